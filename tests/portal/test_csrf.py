"""CSRF, with protection on as in production: every POST needs the page's token."""

import re

import pytest

from ..conftest import PASSWORD, csrf_token_from
from .conftest import post_multipart, snapshot, upload
from .samples import PNG


@pytest.fixture
def app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def _login(client, email="carla@acme.test", tenant="acme"):
    token = csrf_token_from(client.get(f"/{tenant}/login").get_data(as_text=True))
    response = client.post(f"/{tenant}/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return response


@pytest.fixture
def logged_in(client, world):
    _login(client)
    return client


def _post_requests(number):
    return [
        (
            "/acme/tickets/store",
            {"subject": "S", "department": "1", "body": "Body text", "attachments": [upload(PNG, "a.png")]},
        ),
        (f"/acme/tickets/{number}/reply", {"body": "Reply text", "attachments": [upload(PNG, "a.png")]}),
        (f"/acme/tickets/{number}/close", {}),
        ("/acme/logout", {}),
    ]


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("token", [None, "", "not-a-token", "WRONG"])
def test_posts_without_a_valid_token_are_400(logged_in, make, app, index, token):
    number = make.ticket().number
    url, data = _post_requests(number)[index]
    if token == "WRONG":
        # A real token, but of another session.
        other = app.test_client()
        token = csrf_token_from(other.get("/acme/login").get_data(as_text=True))
    if token is not None:
        data = dict(data, csrf_token=token)
    before = snapshot(app)
    response = post_multipart(logged_in, url, data)
    assert response.status_code == 400
    assert "The form expired or came from another site" in response.get_data(as_text=True)
    assert snapshot(app) == before
    # Still logged in: a refused logout did not log out.
    assert logged_in.get("/acme/tickets").status_code == 200


@pytest.mark.parametrize("url", ["/acme/login", "/acme/register"])
def test_login_and_register_need_a_token(client, world, app, url):
    before = snapshot(app)
    data = {"email": "carla@acme.test", "password": PASSWORD, "name": "New"}
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert snapshot(app) == before
    assert client.get("/acme/tickets").status_code == 302  # not logged in


def test_valid_tokens_work_for_the_whole_story(logged_in, world, app, make):
    page = logged_in.get("/acme/tickets/create").get_data(as_text=True)
    response = post_multipart(
        logged_in,
        "/acme/tickets/store",
        {
            "csrf_token": csrf_token_from(page),
            "subject": "With token",
            "department": str(world.support_id),
            "priority": "low",
            "body": "Works",
            "attachments": [upload(PNG, "a.png")],
        },
    )
    assert response.status_code in (302, 303)
    number = response.headers["Location"].rsplit("/", 1)[1]
    page = logged_in.get(f"/acme/tickets/{number}").get_data(as_text=True)
    tokens = set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', page))
    assert tokens
    token = tokens.pop()
    response = logged_in.post(f"/acme/tickets/{number}/reply", data={"csrf_token": token, "body": "A reply"})
    assert response.status_code in (302, 303)
    response = logged_in.post(f"/acme/tickets/{number}/close", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert make.ticket_state(number)[:2] == ("closed", 1)
    response = logged_in.post("/acme/logout", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert logged_in.get("/acme/tickets").status_code == 302


def test_every_logged_in_page_carries_a_token(logged_in, make, app):
    number = make.ticket().number
    pages = [
        "/acme/tickets",
        "/acme/tickets/create",
        f"/acme/tickets/{number}",
        "/acme/tickets/TKT-999999",
        "/acme/tickets?status=bogus",
    ]
    for url in pages:
        html = logged_in.get(url).get_data(as_text=True)
        assert csrf_token_from(html)
        assert 'action="/acme/logout"' in html
    logged_in.post(f"/acme/tickets/{number}/close", data={"csrf_token": csrf_token_from(html)})
    html = logged_in.get(f"/acme/tickets/{number}").get_data(as_text=True)
    assert csrf_token_from(html)  # the closed ticket page too


def test_token_from_before_login_does_not_work_after(client, world, make):
    old_token = csrf_token_from(client.get("/acme/login").get_data(as_text=True))
    _login(client)
    number = make.ticket().number
    response = client.post(f"/acme/tickets/{number}/close", data={"csrf_token": old_token})
    assert response.status_code == 400
    assert make.ticket_state(number)[0] == "open"


def test_register_with_a_token_works(client, world, app):
    token = csrf_token_from(client.get("/acme/register").get_data(as_text=True))
    response = client.post(
        "/acme/register", data={"csrf_token": token, "name": "Nina New", "email": "nina@example.com"}
    )
    # Accepted (not a 400): sign-up answers the same page for every address and confirms by email.
    assert response.status_code == 200
    assert "nina@example.com" in response.get_data(as_text=True)
