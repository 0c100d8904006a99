"""Standalone login, logout and sign-up."""

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from xobito_tickets.db import session
from xobito_tickets.models import LoginSession, Tenant, User

from ..conftest import PASSWORD, count_rows
from .conftest import live_sessions, snapshot


def _login(client, email="carla@acme.test", password=PASSWORD, tenant="acme", next_path=None):
    query = {"next": next_path} if next_path is not None else None
    return client.post(f"/{tenant}/login", query_string=query, data={"email": email, "password": password})


def test_login_page(client, world):
    response = client.get("/acme/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Log in to Acme Inc" in html
    assert '<label for="email">' in html and '<label for="password">' in html
    assert 'autocomplete="current-password"' in html
    assert 'href="/acme/register"' in html


def test_login_lands_on_the_ticket_list(client, world):
    response = _login(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/acme/tickets"
    assert "Carla Customer" in client.get("/acme/tickets").get_data(as_text=True)


def test_login_email_is_case_insensitive(client, world):
    assert _login(client, email="  Carla@ACME.test ").status_code == 302


def test_login_with_the_default_password_hash(client, world, app):
    """The production hash (werkzeug's default) works end to end."""
    with app.app_context():
        user = session.get(User, world.customer_id)
        user.password_hash = generate_password_hash("a real scrypt password")
        assert user.password_hash.startswith("scrypt:")
        session.commit()
    assert _login(client, password="a real scrypt password").status_code == 302
    assert _login(client, password=PASSWORD).status_code == 422


@pytest.mark.parametrize(
    "email, password",
    [("carla@acme.test", "wrong password"), ("nobody@acme.test", PASSWORD), ("nobody@acme.test", "wrong")],
)
def test_wrong_email_and_wrong_password_give_the_same_answer(client, world, email, password):
    reference = _login(client, "carla@acme.test", "another wrong one")
    response = _login(client, email, password)
    assert response.status_code == reference.status_code == 422
    strip = lambda html: html.replace(email, "").replace("carla@acme.test", "")  # noqa: E731
    assert strip(response.get_data(as_text=True)) == strip(reference.get_data(as_text=True))
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/acme/tickets").status_code == 302


def test_failed_login_keeps_the_email_but_not_the_password(client, world):
    html = _login(client, password="secret-typo").get_data(as_text=True)
    assert 'value="carla@acme.test"' in html
    assert "secret-typo" not in html


@pytest.mark.parametrize("data", [{}, {"email": "carla@acme.test"}, {"password": PASSWORD}, {"email": " "}])
def test_incomplete_login_form_is_422_with_errors(client, world, data):
    response = client.post("/acme/login", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter your email address." in html or "Enter your password." in html


def test_inactive_user_cannot_log_in(client, world, app):
    with app.app_context():
        session.get(User, world.customer_id).active = False
        session.commit()
    response = _login(client)
    assert response.status_code == 422
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_deactivating_a_user_ends_their_session(client, world, app):
    _login(client)
    assert client.get("/acme/tickets").status_code == 200
    with app.app_context():
        session.get(User, world.customer_id).active = False
        session.commit()
    assert client.get("/acme/tickets").status_code == 302


def test_session_is_renewed_at_login(client, world, app):
    client.get("/acme/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
        sess["tickets_sid"] = "fixed-by-an-attacker"
    _login(client)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        first_sid = sess["tickets_sid"]
        assert first_sid != "fixed-by-an-attacker"
    _login(client)
    with client.session_transaction() as sess:
        second_sid = sess["tickets_sid"]
    assert second_sid != first_sid
    # The earlier server-side session of this browser is gone, not left behind.
    with app.app_context():
        assert session.get(LoginSession, first_sid) is None
        assert session.get(LoginSession, second_sid) is not None


def test_logout_kills_a_copied_cookie(client, world, app):
    _login(client)
    cookie = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/acme/tickets").status_code == 200  # the copy works while logged in
    response = client.post("/acme/logout")
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/acme/login"
    assert live_sessions(app) == 0
    assert client.get("/acme/tickets").status_code == 302
    thief.set_cookie("session", cookie)
    response = thief.get("/acme/tickets")
    assert response.status_code == 302 and response.headers["Location"].startswith("/acme/login")


def test_logout_when_not_logged_in_just_goes_to_login(client, world):
    response = client.post("/acme/logout")
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/acme/login"


def test_login_in_one_tenant_is_not_a_login_in_another(client, world):
    _login(client)
    response = client.get("/globex/tickets")
    assert response.status_code == 404
    assert "Log in to Globex" in response.get_data(as_text=True)
    html = client.get("/globex/login").get_data(as_text=True)
    assert "Log in to Globex" in html and "Carla" not in html


@pytest.mark.parametrize(
    "target",
    ["/acme/tickets/TKT-000001", "/acme/tickets?status=open&priority=high", "/acme/tickets/create"],
)
def test_next_goes_to_same_site_paths(client, world, target):
    response = _login(client, next_path=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\\evil.example",
        "https://evil.example/",
        "http:evil.example",
        "evil.example",
        "javascript:alert(1)",
        "/\r\nSet-Cookie:x=1",
        "\\\\evil.example",
        " //evil.example",
        "/\t/evil.example",
        "%2F%2Fevil.example",
        "///evil.example",
        "/\x00//evil.example",
        "",
    ],
)
def test_next_refuses_other_sites(client, world, target):
    if "\x00" in target:
        # A NUL in a query is refused outright (400), before any login.
        assert client.get("/acme/login", query_string={"next": target}).status_code == 400
        assert _login(client, next_path=target).status_code == 400
        assert client.get("/acme/tickets").status_code == 302
        return
    # The refused target is not carried into the login form either.
    html = client.get("/acme/login", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in html and "Set-Cookie" not in html
    response = _login(client, next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/acme/tickets"


def test_logged_in_visit_to_login_goes_home(client, world):
    _login(client)
    response = client.get("/acme/login?next=/acme/tickets/create")
    assert response.status_code == 302 and response.headers["Location"] == "/acme/tickets/create"
    response = client.get("/acme/login?next=//evil.example")
    assert response.headers["Location"] == "/acme/tickets"


def test_next_survives_a_failed_attempt(client, world):
    html = _login(client, password="wrong", next_path="/acme/tickets/create").get_data(as_text=True)
    assert 'action="/acme/login?next=/acme/tickets/create"' in html
    response = client.post(
        "/acme/login?next=/acme/tickets/create", data={"email": "carla@acme.test", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/acme/tickets/create"


def test_repeated_failures_get_a_readable_429(client, world, app):
    for _ in range(app.config["TICKETS_LOGIN_MAX_FAILURES_ACCOUNT"]):
        assert _login(client, password="wrong").status_code == 422
    response = _login(client)  # even the right password must wait
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


# Sign-up.


def _register(client, **overrides):
    data = {"name": "Nina New", "email": "nina@example.com", "password": "long enough pw"}
    data.update(overrides)
    return client.post("/acme/register", data=data)


def test_register_page(client, world):
    html = client.get("/acme/register").get_data(as_text=True)
    # Sign-up asks no password: the emailed link confirms the address and sets it (tests/people).
    assert "Create your account" in html and 'name="password"' not in html


def test_register_creates_a_customer_who_confirms_by_email(client, world, app):
    response = _register(client, email="  Nina@Example.com ")
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    with app.app_context():
        user = session.scalar(sa.select(User).where(User.email == "nina@example.com"))
        assert user.role == "customer" and user.tenant_id == world.acme_id and user.name == "Nina New"
        # Not usable before the link is opened: no password, no login.
        assert user.password_hash is None and user.invited_at is not None
    assert client.get("/acme/tickets").status_code == 302


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": "someone@acme.test"}, "Enter a valid email address."),  # a reserved domain
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"email": ""}, "Enter your email address."),
        ({"name": "  "}, "Enter your name."),
        ({"name": "x" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_register_refuses_bad_input(client, world, app, overrides, message):
    with app.app_context():
        from xobito_tickets.team.services import create_user

        create_user(session.get(Tenant, world.acme_id), "kim@example.com", "Kim", "customer", "kims password")
    before = snapshot(app)
    response = _register(client, **overrides)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert snapshot(app) == before
    assert client.get("/acme/tickets").status_code == 302


def test_same_email_may_register_in_another_tenant(client, world, app):
    assert _register(client).status_code == 200
    response = client.post("/globex/register", data={"name": "Nina", "email": "nina@example.com"})
    assert response.status_code == 200
    assert count_rows(app, User) == 7 + 2


def test_register_can_be_turned_off_per_tenant(client, world, app):
    with app.app_context():
        session.get(Tenant, world.acme_id).allow_signup = False
        session.commit()
    before = snapshot(app)
    assert client.get("/acme/register").status_code == 404
    assert _register(client).status_code == 404
    assert snapshot(app) == before
    assert 'href="/acme/register"' not in client.get("/acme/login").get_data(as_text=True)
    # Globex still allows it.
    assert client.get("/globex/register").status_code == 200


def test_a_wrong_password_is_said_once(client, world):
    response = client.post("/acme/login", data={"email": "carla@acme.test", "password": "not her password"})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count("Wrong email or password.") == 1


def test_logout_says_so(client, auth, world):
    auth.login("carla@acme.test")
    response = client.post("/acme/logout", follow_redirects=True)
    assert "You are logged out." in response.get_data(as_text=True)
