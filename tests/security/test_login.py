"""Login attacks (SPEC §13): password guessing, account enumeration, session fixation,
sessions that outlive logout, and the limiter's own table growing without end."""

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import LoginFailure, LoginSession, User, utcnow

from ..conftest import PASSWORD, count_rows
from .conftest import login

ATTACKER = "203.0.113.66"


@pytest.fixture
def small_address_limit(app_config):
    """A per-address limit of 6 (the default is 20), to keep the spraying tests quick."""
    app_config["TICKETS_LOGIN_MAX_FAILURES_ADDRESS"] = 6


def attempt(client, email, password="wrong password", addr=ATTACKER, tenant="acme"):
    """Post the login form from client address ``addr``."""
    return client.post(
        f"/{tenant}/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": addr}
    )


def age_rows(app, model, seconds):
    """Move every row of ``model`` ``seconds`` into the past (time passing, without sleeping)."""
    with app.app_context():
        session.execute(sa.update(model).values(created_at=utcnow() - timedelta(seconds=seconds)))
        session.commit()


def is_logged_in(client, tenant="acme"):
    return client.get(f"/{tenant}/tickets").status_code == 200


def test_guessing_one_accounts_password_is_stopped_with_429(client, world, app):
    """Brute force per account: after 5 failures even the right password gets a readable 429."""
    for _ in range(5):
        assert attempt(client, "carla@acme.test").status_code == 422
    sessions_before = count_rows(app, LoginSession)
    response = attempt(client, "carla@acme.test", PASSWORD)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many failed attempts" in html and re.search(r"Try again in \d+ minutes?", html)
    assert 1 <= int(response.headers["Retry-After"]) <= app.config["TICKETS_LOGIN_WINDOW"]
    assert count_rows(app, LoginSession) == sessions_before
    assert not is_logged_in(client)
    # The window passes: the owner gets in again.
    age_rows(app, LoginFailure, app.config["TICKETS_LOGIN_WINDOW"] + 1)
    assert attempt(client, "carla@acme.test", PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_guessing_from_many_addresses_still_locks_the_account(client, world):
    """Distributed brute force: the per-account limit does not depend on the client address."""
    for n in range(5):
        assert attempt(client, "carla@acme.test", addr=f"198.51.100.{n + 1}").status_code == 422
    assert attempt(client, "carla@acme.test", PASSWORD, addr="198.51.100.99").status_code == 429


def test_spraying_many_accounts_from_one_address_is_stopped(small_address_limit, client, world, app):
    """Password spraying: one address trying one password on many accounts hits the per-address limit."""
    limit = app.config["TICKETS_LOGIN_MAX_FAILURES_ADDRESS"]
    for n in range(limit):
        assert attempt(client, f"user{n}@acme.test").status_code == 422
    response = attempt(client, "carla@acme.test", PASSWORD)
    assert response.status_code == 429
    assert not is_logged_in(client)
    # Another client address is not affected.
    assert attempt(client, "carla@acme.test", PASSWORD, addr="192.0.2.10").status_code == 302


def test_ipv6_clients_are_counted_per_64_prefix(small_address_limit, client, world, app):
    """Limit evasion: an IPv6 host owns a whole /64, so rotating the low bits must not reset the count."""
    limit = app.config["TICKETS_LOGIN_MAX_FAILURES_ADDRESS"]
    for n in range(limit):
        assert attempt(client, f"user{n}@acme.test", addr=f"2001:db8:1:2::{n + 1:x}").status_code == 422
    assert attempt(client, "carla@acme.test", PASSWORD, addr="2001:db8:1:2:ffff::1").status_code == 429
    assert attempt(client, "carla@acme.test", PASSWORD, addr="2001:db8:1:3::1").status_code == 302


def test_parallel_guesses_cannot_slip_past_the_limit(app, world):
    """Race on the limiter: guesses sent at the same moment are each counted before the password check."""
    limit = app.config["TICKETS_LOGIN_MAX_FAILURES_ACCOUNT"]
    statuses = []
    barrier = threading.Barrier(12)

    def guess():
        client = app.test_client()
        barrier.wait()
        statuses.append(attempt(client, "carla@acme.test").status_code)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(statuses)) == [422, 429]
    assert statuses.count(422) <= limit


def test_wrong_email_and_wrong_password_get_the_same_answer(client, world, app):
    """Account enumeration: an unknown email, a wrong password and a deactivated account look identical."""
    with app.app_context():
        session.get(User, world.other_customer_id).active = False
        session.commit()

    def answer(email, password, addr):
        response = attempt(client, email, password, addr=addr)
        html = re.sub(r'name="csrf_token"[^>]*', "", response.get_data(as_text=True))
        return response.status_code, html.replace(email, "EMAIL"), sorted(response.headers.keys())

    unknown = answer("nobody@acme.test", "wrong password", "192.0.2.1")
    wrong_password = answer("carla@acme.test", "wrong password", "192.0.2.2")
    deactivated = answer("oscar@acme.test", PASSWORD, "192.0.2.3")
    assert unknown[0] == 422 and "Wrong email or password." in unknown[1]
    assert unknown == wrong_password == deactivated


def test_unknown_emails_are_rate_limited_like_real_ones(client, world):
    """Account enumeration through the limiter: a made-up email is locked after as many failures."""
    for _ in range(5):
        assert attempt(client, "nobody@acme.test").status_code == 422
    assert attempt(client, "nobody@acme.test").status_code == 429


@pytest.mark.parametrize(
    "email",
    ["x" * 5000 + "@acme.test", "carla@acme.test\r\nBcc: a@evil.test", "\u202ecarla@acme.test", "' OR 1=1 --"],
    ids=["5000-chars", "crlf", "bidi", "sql"],
)
def test_odd_emails_are_a_plain_failure(client, world, email):
    """Injection and overflow through the email field: an odd value is just a failed login, never a 500."""
    response = attempt(client, email)
    assert response.status_code == 422
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_session_is_renewed_at_login(csrf_app, world):
    """Session fixation: a session cookie planted before login is not logged in afterwards."""
    app = csrf_app
    victim = app.test_client()
    victim.get("/acme/login")
    planted = victim.get_cookie("session").value
    assert login(victim, "carla@acme.test").status_code == 302
    assert victim.get_cookie("session").value != planted
    assert is_logged_in(victim)
    attacker = app.test_client()
    attacker.set_cookie("session", planted)
    assert not is_logged_in(attacker)


def test_logout_ends_the_session_on_the_server(app, world):
    """Session replay: a copy of the cookie taken before logout no longer works after it."""
    client = app.test_client()
    login(client, "carla@acme.test")
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert is_logged_in(thief)
    assert client.post("/acme/logout").status_code == 302
    assert count_rows(app, LoginSession) == 0
    assert not is_logged_in(client)
    assert not is_logged_in(thief)
    response = thief.get("/acme/tickets")
    assert response.status_code == 302 and "/acme/login" in response.headers["Location"]


def test_logout_leaves_other_logins_alone(app, world):
    """Logging out one browser does not log out the same person's other browser."""
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "carla@acme.test")
    login(phone, "carla@acme.test")
    laptop.post("/acme/logout")
    assert is_logged_in(phone) and not is_logged_in(laptop)


def test_old_sessions_expire_on_the_server(app, world):
    """A stolen cookie does not work for ever: logins end after TICKETS_LOGIN_SESSION_LIFETIME."""
    client = app.test_client()
    login(client, "carla@acme.test")
    age_rows(app, LoginSession, app.config["TICKETS_LOGIN_SESSION_LIFETIME"] + 60)
    assert not is_logged_in(client)
    assert count_rows(app, LoginSession) == 0


def test_deactivated_user_is_logged_out(app, world):
    """A person removed from the team loses access at once, not at their next login."""
    client = app.test_client()
    login(client, "carla@acme.test")
    with app.app_context():
        session.get(User, world.customer_id).active = False
        session.commit()
    assert not is_logged_in(client)


def test_success_clears_the_accounts_failures(client, world, app):
    """A user who mistypes a few times and then gets in starts again from zero."""
    for _ in range(4):
        attempt(client, "carla@acme.test")
    assert attempt(client, "carla@acme.test", PASSWORD).status_code == 302
    with app.app_context():
        keys = session.scalars(sa.select(LoginFailure.key)).all()
    assert not [key for key in keys if key.startswith("acct:")]
    client.post("/acme/logout")
    for _ in range(5):
        assert attempt(client, "carla@acme.test").status_code == 422


def test_refused_attempts_do_not_extend_the_lockout(client, world, app):
    """Lockout as denial of service: hammering a locked account does not keep it locked for ever."""
    for _ in range(5):
        attempt(client, "carla@acme.test")
    failures = count_rows(app, LoginFailure)
    for _ in range(10):
        assert attempt(client, "carla@acme.test").status_code == 429
    assert count_rows(app, LoginFailure) == failures


def test_old_failures_are_pruned(client, world, app):
    """Unbounded growth: failures older than the window are deleted when new ones arrive."""
    for n in range(6):
        attempt(client, f"user{n}@acme.test", addr=f"192.0.2.{n + 1}")
    assert count_rows(app, LoginFailure) == 12
    age_rows(app, LoginFailure, app.config["TICKETS_LOGIN_WINDOW"] + 5)
    attempt(client, "carla@acme.test")
    assert count_rows(app, LoginFailure) == 2


def test_a_login_in_one_workspace_is_not_a_login_in_another(app, world):
    """Cross-tenant session reuse: acme's cookie opens nothing on globex (404)."""
    client = app.test_client()
    login(client, "carla@acme.test")
    response = client.get("/globex/tickets")
    assert response.status_code == 404
    # And acme's credentials do not work on globex's login form.
    assert attempt(client, "carla@acme.test", PASSWORD, tenant="globex").status_code == 422
