"""Sign-up answers the same for every address; the email decides, and the account works after its link."""

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import OutboxEmail, Tenant, User
from xobito_tickets.team.services import create_user

from ..conftest import PASSWORD, count_rows
from .conftest import deliver, emails_to, links_in, path_of, user_row


def sign_up(client, email, name="Nina New", tenant="acme", **headers):
    return client.post(f"/{tenant}/register", data={"name": name, "email": email}, headers=headers)


def add_kim(app, world):
    """Kim has an account already (example.com: the sign-up form refuses reserved .test domains)."""
    with app.app_context():
        create_user(session.get(Tenant, world.acme_id), "kim@example.com", "Kim", "customer", PASSWORD)


def test_new_and_known_addresses_get_the_same_page(client, world, app, smtp_server):
    add_kim(app, world)
    fresh = sign_up(client, "nina@example.com")
    known = sign_up(client, "kim@example.com")
    assert fresh.status_code == known.status_code == 200
    assert fresh.get_data(as_text=True).replace("nina@example.com", "X") == known.get_data(as_text=True).replace(
        "kim@example.com", "X"
    )
    assert "exists" not in known.get_data(as_text=True)
    deliver(app)
    (welcome,) = emails_to(smtp_server, "nina@example.com")
    (notice,) = emails_to(smtp_server, "kim@example.com")
    assert "Confirm your email address" in welcome.subject
    assert "already have an account" in notice.subject
    assert "/acme/password/reset/" in notice.text and "/acme/login" in notice.text
    # Kim's password still works: the notice changed nothing.
    assert client.post("/acme/login", data={"email": "kim@example.com", "password": PASSWORD}).status_code == 302


def test_account_is_usable_after_the_link(client, world, app, smtp_server):
    sign_up(client, "Nina@Example.com")
    assert client.post("/acme/login", data={"email": "nina@example.com", "password": ""}).status_code == 422
    deliver(app)
    (welcome,) = emails_to(smtp_server, "nina@example.com")
    link = path_of(next(url for url in links_in(welcome.text) if "/welcome/" in url))
    page = client.get(link)
    assert page.status_code == 200 and "nina@example.com" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "Use 8 to 200 characters." in short.get_data(as_text=True)
    done = client.post(link, data={"password": "a fine password", "confirm": "a fine password"})
    assert done.status_code == 303 and done.headers["Location"] == "/acme/tickets"
    assert "You have no tickets yet" in client.get("/acme/tickets").get_data(as_text=True)
    # The link worked once.
    client.post("/acme/logout")
    assert client.get(link).status_code == 400
    assert client.post(link, data={"password": "another password", "confirm": "another password"}).status_code == 400
    login = client.post("/acme/login", data={"email": "nina@example.com", "password": "a fine password"})
    assert login.status_code == 302


def test_sign_up_in_german_gets_german_email(client, world, app, smtp_server):
    sign_up(client, "greta@example.com", name="Greta", **{"Accept-Language": "de-DE,de;q=0.9"})
    assert user_row(app, "greta@example.com").language == "de"
    deliver(app)
    (welcome,) = emails_to(smtp_server, "greta@example.com")
    assert welcome.subject == "Bitte bestätigen Sie Ihre E-Mail-Adresse für Acme Inc"
    assert "Hallo Greta," in welcome.text and "Danke für Ihre Registrierung" in welcome.text
    assert 'lang="de"' in welcome.html


def test_sign_up_emails_are_limited_per_address(client, world, app):
    add_kim(app, world)
    for _ in range(8):
        assert sign_up(client, "kim@example.com").status_code == 200
    with app.app_context():
        sent = session.scalar(
            sa.select(sa.func.count()).select_from(OutboxEmail).where(OutboxEmail.recipient_email == "kim@example.com")
        )
    assert sent == app.config["TICKETS_PASSWORD_RESET_LIMIT"]


def test_sign_up_off_is_404_and_stores_nothing(client, world, app):
    with app.app_context():
        session.get(Tenant, world.acme_id).allow_signup = False
        session.commit()
    before = count_rows(app, User)
    assert sign_up(client, "nina@example.com").status_code == 404
    assert count_rows(app, User) == before
