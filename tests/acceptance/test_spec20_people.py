"""SPEC §20: invitations (admins never choose a password), the profile page, languages."""

import re

from .conftest import emails, last_email_id, login, text_of


def test_admins_invite_by_email_and_never_choose_a_password(app, client, world):
    login(client, "ada@acme.test")
    form = client.get("/acme/admin/team/create").get_data(as_text=True)
    assert 'type="password"' not in form
    mark = last_email_id(app)
    response = client.post(
        "/acme/admin/team/create", data={"name": "Nina New", "email": "nina@acme.test", "role": "staff"}
    )
    assert response.status_code in (302, 303)
    (message,) = [m for _id, to, m in emails(app, mark) if to == "nina@acme.test"]
    link = re.search(r"http://helpdesk\.test(/acme/welcome/\S+)", message.body).group(1)
    visitor = app.test_client()
    assert visitor.get(link).status_code == 200
    assert visitor.post(link, data={"password": "nina's password", "confirm": "nina's password"}).status_code == 303
    again = app.test_client()
    assert again.post(link, data={"password": "other password!", "confirm": "other password!"}).status_code in (
        400,
        404,
        410,
    )
    assert again.post("/acme/login", data={"email": "nina@acme.test", "password": "nina's password"}).status_code == 302


def test_the_profile_page_has_every_part(app, client, world):
    login(client, "sam@acme.test")
    html = client.get("/acme/profile").get_data(as_text=True)
    for field in ('name="name"', 'name="timezone"', 'name="language"', 'name="notifications"', 'name="new_password"'):
        assert field in html, field
    assert "/acme/profile/tokens" in html


def test_pages_follow_the_browser_then_the_persons_language(app, client, world):
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    login_page = text_of(client.get("/acme/login", headers=german))
    assert "Passwort" in login_page
    login(client, "sam@acme.test")
    assert client.post(
        "/acme/profile", data={"name": "Sam Support", "language": "es", "timezone": "UTC"}
    ).status_code in (
        302,
        303,
    )
    page = client.get("/acme/profile", headers=german).get_data(as_text=True)
    assert 'lang="es"' in page
