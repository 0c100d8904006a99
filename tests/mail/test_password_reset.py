"""Password reset end to end: the form, the email through a real SMTP server, the link, the new password."""

import re

import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from xobito_tickets.db import session
from xobito_tickets.models import LoginSession, OutboxEmail, User

from ..conftest import PASSWORD, count_rows
from .conftest import deliver, emails_to

CARLA = "carla@acme.test"
NEW_PASSWORD = "a brand new passphrase"
SENT = "If an account with that address exists, we have sent it a link"


def ask_for_link(client, email, tenant="acme"):
    response = client.post(f"/{tenant}/password/forgot", data={"email": email})
    assert response.status_code == 303
    return client.get(response.headers["Location"])


def reset_link(smtp_server, email=CARLA):
    (message,) = emails_to(smtp_server, email)[-1:]
    match = re.search(r"(http://helpdesk\.test/acme/password/reset/\S+)", message.text)
    assert match, message.text
    return message, match.group(1)


def test_reset_by_email_end_to_end(app, world, client, auth, smtp_server):
    # Carla is logged in on another device: that session must end with the reset.
    other_device = app.test_client()
    other_device.post("/acme/login", data={"email": CARLA, "password": PASSWORD})
    assert other_device.get("/acme/tickets").status_code == 200

    page = client.get("/acme/login").get_data(as_text=True)
    assert 'href="/acme/password/forgot"' in page
    assert client.get("/acme/password/forgot").status_code == 200
    answer = ask_for_link(client, CARLA.upper())
    assert answer.status_code == 200 and SENT in answer.get_data(as_text=True)

    deliver(app)
    message, link = reset_link(smtp_server)
    assert message.subject == "Reset your password for Acme Inc"
    assert "within 60 minutes" in message.text
    assert f'href="{link}"' in message.html
    assert message.header("In-Reply-To") is None  # not part of any ticket's thread

    path = link.removeprefix("http://helpdesk.test")
    form = client.get(path)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    assert "no-store" in form.headers["Cache-Control"]

    mismatch = client.post(path, data={"password": NEW_PASSWORD, "confirm": "something else"})
    assert mismatch.status_code == 422 and "The two passwords differ." in mismatch.get_data(as_text=True)
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "Use 8 to 200 characters." in short.get_data(as_text=True)

    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"].endswith("/acme/login")
    assert "Your password was changed" in client.get("/acme/login").get_data(as_text=True)

    assert other_device.get("/acme/tickets").status_code == 302  # logged out everywhere
    assert count_rows(app, LoginSession) == 0
    assert auth.login(CARLA, PASSWORD).status_code == 422
    assert auth.login(CARLA, NEW_PASSWORD).status_code == 302

    # The link works once.
    again = client.get(path)
    assert again.status_code == 400 and "This link no longer works" in again.get_data(as_text=True)
    assert client.post(path, data={"password": "third password!", "confirm": "third password!"}).status_code == 400


def test_the_answer_is_the_same_for_unknown_and_inactive_addresses(app, world, client, smtp_server):
    known = ask_for_link(client, CARLA)
    unknown = ask_for_link(client, "nobody@acme.test")
    other_tenant = ask_for_link(client, "gina@globex.test")  # exists, but in globex
    with app.app_context():
        session.scalar(sa.select(User).where(User.email == "oscar@acme.test")).active = False
        session.commit()
    inactive = ask_for_link(client, "oscar@acme.test")
    texts = {r.get_data(as_text=True).replace(CARLA, "X") for r in (known, unknown, other_tenant, inactive)}
    assert all(SENT in t for t in texts)
    assert {r.status_code for r in (known, unknown, other_tenant, inactive)} == {200}
    deliver(app)
    assert [e.envelope_to for e in emails_to(smtp_server, CARLA)] == [[CARLA]]
    assert len(smtp_server.received) == 1


def test_bad_input_shows_the_form_again(client, world):
    response = client.post("/acme/password/forgot", data={"email": "not an address"})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.get_data(as_text=True)


def test_reset_requests_are_limited_per_address(app, world, client, smtp_server):
    for _ in range(5):
        ask_for_link(client, CARLA)
    limit = app.config["TICKETS_PASSWORD_RESET_LIMIT"]
    assert count_rows(app, OutboxEmail) == limit


def test_tokens_expire_and_belong_to_one_tenant(app, world, client, smtp_server):
    ask_for_link(client, CARLA)
    deliver(app)
    _, link = reset_link(smtp_server)
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/globex/password/reset/{token}").status_code == 400
    assert client.get(f"/acme/password/reset/{token[:-2]}").status_code == 400
    forged = URLSafeTimedSerializer("not-the-secret", salt="xobito-tickets.password-reset").dumps(
        {"u": world.customer_id, "t": world.acme_id, "f": "x"}
    )
    assert client.get(f"/acme/password/reset/{forged}").status_code == 400
    app.config["TICKETS_PASSWORD_RESET_MAX_AGE"] = -1
    assert client.get(f"/acme/password/reset/{token}").status_code == 400


def test_a_reset_lifts_the_lock_that_password_guessing_put_on_the_account(app, world, client, smtp_server):
    """Someone guessed Carla's password until the account was locked; she resets it and gets in at once."""
    guesser = app.test_client()
    for _ in range(app.config["TICKETS_LOGIN_MAX_FAILURES_ACCOUNT"]):
        guesser.post("/acme/login", data={"email": CARLA, "password": "a wrong guess"})
    locked = client.post("/acme/login", data={"email": CARLA, "password": PASSWORD})
    assert locked.status_code == 429

    ask_for_link(client, CARLA)
    deliver(app)
    _, link = reset_link(smtp_server)
    path = link.removeprefix("http://helpdesk.test")
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303

    assert client.post("/acme/login", data={"email": CARLA, "password": NEW_PASSWORD}).status_code == 302
    assert client.get("/acme/tickets").status_code == 200
    # Failures of other accounts are not forgiven by Carla's reset.
    for _ in range(app.config["TICKETS_LOGIN_MAX_FAILURES_ACCOUNT"]):
        guesser.post("/acme/login", data={"email": "oscar@acme.test", "password": "a wrong guess"})
    assert guesser.post("/acme/login", data={"email": "oscar@acme.test", "password": PASSWORD}).status_code == 429
