"""Two-factor login below the pages: a fixed clock through the stored (encrypted) secret, limits per
address, and password links that do not skip the second factor."""

from datetime import UTC, datetime

import pyotp
import pytest

from xobito_tickets.auth import twofactor, twofactor_service
from xobito_tickets.db import session
from xobito_tickets.models import User

from .conftest import deliver, emails_to, links_in, path_of, totp_now
from .test_two_factor_login import enrol

SECRET = pyotp.random_base32(32)
#: A fixed moment: 30 seconds before Europe's clocks went forward in 2026 (TOTP counts UTC seconds, so
#: nothing changes there).
T = datetime(2026, 3, 29, 0, 59, 30, tzinfo=UTC).timestamp()


def code_at(moment):
    return pyotp.TOTP(SECRET).at(moment)


@pytest.fixture
def app_config(app_config):
    app_config["TICKETS_LOGIN_MAX_FAILURES_ACCOUNT"] = 10
    app_config["TICKETS_LOGIN_MAX_FAILURES_ADDRESS"] = 3
    return app_config


def test_login_codes_with_a_fixed_clock(app, world):
    with app.app_context():
        sam = session.get(User, world.staff_id)
        assert twofactor_service.confirm_enrolment(sam, SECRET, code_at(T - 120), for_time=T) is None  # too old
        codes = twofactor_service.confirm_enrolment(sam, SECRET, code_at(T), for_time=T)
        assert len(codes) == twofactor.RECOVERY_CODE_COUNT
        check = twofactor_service.check_login_code
        # The step enrolment used is spent; the next one (a phone 30 s ahead) is good, once.
        assert check(sam, code_at(T), for_time=T) is None
        assert check(sam, code_at(T + 30), for_time=T + 10) == "totp"
        assert check(sam, code_at(T + 30), for_time=T + 31) is None
        # Two minutes later: an old code is refused, the current one and its neighbours are good.
        assert check(sam, code_at(T + 60), for_time=T + 150) is None
        assert check(sam, code_at(T + 150), for_time=T + 150) == "totp"
        assert check(sam, code_at(T + 180), for_time=T + 150) == "totp"
        # An earlier step than the last one used never comes back.
        assert check(sam, code_at(T + 150), for_time=T + 160) is None


def test_wrong_codes_count_per_address_across_accounts(client, auth, world, app):
    secrets = {}
    for email in ("sam@acme.test", "bea@acme.test"):
        auth.login(email)
        secrets[email], _codes = enrol(client, app, email)
        client.post("/acme/logout")
    # Two wrong codes for Sam and one for Bea, from one address: its limit of 3 is reached.
    auth.login("sam@acme.test")
    for _ in range(2):
        assert client.post("/acme/login/code", data={"code": "000000"}).status_code == 422
    auth.login("bea@acme.test")
    assert client.post("/acme/login/code", data={"code": "000000"}).status_code == 422
    limited = client.post("/acme/login/code", data={"code": totp_now(secrets["bea@acme.test"], 1)})
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert client.get("/acme/admin/tickets").status_code == 302
    # Another address is not held by this one's failures.
    other = app.test_client()
    other.post(
        "/acme/login",
        data={"email": "bea@acme.test", "password": "correct horse battery"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    right = other.post(
        "/acme/login/code",
        data={"code": totp_now(secrets["bea@acme.test"], 1)},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert right.status_code == 303


def test_a_password_link_does_not_skip_the_second_factor(client, auth, world, app, smtp_server):
    auth.login("sam@acme.test")
    secret, _codes = enrol(client, app, "sam@acme.test")
    client.post("/acme/logout")
    auth.login("ada@acme.test")
    assert client.post(f"/acme/admin/team/{world.staff_id}/invite").status_code == 303
    client.post("/acme/logout")
    deliver(app)
    (email,) = emails_to(smtp_server, "sam@acme.test")
    link = path_of(next(url for url in links_in(email.text) if "/welcome/" in url))
    response = client.post(link, data={"password": "sam's new password", "confirm": "sam's new password"})
    # The new password is set, and the login goes on to the code step: the link is no second factor.
    assert response.status_code == 303 and response.headers["Location"] == "/acme/login/code"
    assert client.get("/acme/admin/tickets").status_code == 302
    assert client.post("/acme/login/code", data={"code": totp_now(secret, 1)}).status_code == 303
    assert client.get("/acme/admin/tickets").status_code == 200
