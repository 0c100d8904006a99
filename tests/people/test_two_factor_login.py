"""Two-factor login: enrolment with a QR code, the code step, recovery codes, limits, and the mandatory setting."""

import re

import pyotp
import pytest
import sqlalchemy as sa

from xobito_tickets.auth.models import RecoveryCode
from xobito_tickets.db import session
from xobito_tickets.models import Department, LoginSession, Tenant, Ticket, User
from xobito_tickets.tickets.services import open_ticket

from ..conftest import PASSWORD, count_rows
from .conftest import totp_now, user_row


def enrol(client, app, email):
    """Set up two-factor login for the logged-in ``email``; return (secret, recovery codes)."""
    page = client.get("/acme/profile/two-factor")
    assert page.status_code == 200 and 'src="/acme/profile/two-factor/qr.svg"' in page.get_data(as_text=True)
    # The key as text, for typing into the app: the same secret as the QR code's.
    secret = re.search(r'<code class="xt-secret">([A-Z2-7 ]+)</code>', page.get_data(as_text=True)).group(1)
    secret = secret.replace(" ", "")
    # Nothing is stored before a code confirms it (the page is a GET).
    assert user_row(app, email).totp_secret is None
    assert client.get("/acme/profile/two-factor").get_data(as_text=True).count(secret[:4]) >= 1
    qr = client.get("/acme/profile/two-factor/qr.svg")
    assert qr.status_code == 200 and qr.content_type == "image/svg+xml" and b"<svg" in qr.data
    wrong = client.post("/acme/profile/two-factor", data={"code": "000000"})
    assert wrong.status_code == 422 and "not right" in wrong.get_data(as_text=True)
    done = client.post("/acme/profile/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_enrol_then_login_asks_for_the_code(client, auth, world, app):
    auth.login("sam@acme.test")
    secret, _codes = enrol(client, app, "sam@acme.test")
    assert user_row(app, "sam@acme.test").has_two_factor
    client.post("/acme/logout")
    response = auth.login("sam@acme.test")
    assert response.status_code == 303 and response.headers["Location"] == "/acme/login/code"
    # The password alone logs nobody in.
    assert client.get("/acme/admin/tickets").status_code == 302
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0
    wrong = client.post("/acme/login/code", data={"code": "123456"})
    assert wrong.status_code == 422 and "Wrong code" in wrong.get_data(as_text=True)
    # The next step's code: enrolment used up the current one (a code is never accepted twice).
    right = client.post("/acme/login/code", data={"code": totp_now(secret, 1)})
    assert right.status_code == 303 and right.headers["Location"] == "/acme/admin/tickets"
    assert client.get("/acme/admin/tickets").status_code == 200


def test_a_code_is_not_accepted_twice(client, auth, world, app):
    auth.login("sam@acme.test")
    secret, _codes = enrol(client, app, "sam@acme.test")
    client.post("/acme/logout")
    # Enrolment used the current step's code: it cannot be replayed for a login.
    auth.login("sam@acme.test")
    assert client.post("/acme/login/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 422
    code = totp_now(secret, 1)
    assert client.post("/acme/login/code", data={"code": code}).status_code == 303
    client.post("/acme/logout")
    auth.login("sam@acme.test")
    assert client.post("/acme/login/code", data={"code": code}).status_code == 422


def test_recovery_code_works_once(client, auth, world, app):
    auth.login("sam@acme.test")
    _secret, codes = enrol(client, app, "sam@acme.test")
    client.post("/acme/logout")
    auth.login("sam@acme.test")
    assert client.post("/acme/login/code", data={"code": codes[0].upper()}).status_code == 303
    client.post("/acme/logout")
    auth.login("sam@acme.test")
    assert client.post("/acme/login/code", data={"code": codes[0]}).status_code == 422
    with app.app_context():
        left = session.scalar(
            sa.select(sa.func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_(None))
        )
    assert left == 9


def test_code_step_needs_the_password_step_first(client, world):
    assert client.get("/acme/login/code").status_code == 303
    assert client.post("/acme/login/code", data={"code": "123456"}).status_code == 303


@pytest.fixture
def app_config(app_config):
    app_config["TICKETS_LOGIN_MAX_FAILURES_ACCOUNT"] = 3
    return app_config


def test_wrong_codes_hit_the_login_limit(client, auth, world, app):
    auth.login("sam@acme.test")
    secret, _codes = enrol(client, app, "sam@acme.test")
    client.post("/acme/logout")
    auth.login("sam@acme.test")
    for _ in range(3):
        assert client.post("/acme/login/code", data={"code": "000000"}).status_code == 422
    # Giving the right password again does not wipe the count of wrong codes.
    auth.login("sam@acme.test")
    limited = client.post("/acme/login/code", data={"code": totp_now(secret, 1)})
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert client.get("/acme/admin/tickets").status_code == 302


def require_two_factor(app, world):
    with app.app_context():
        session.get(Tenant, world.acme_id).require_two_factor = True
        session.commit()


def fill(rule, world, ticket):
    """Return a URL of ``rule`` with values of the acme world, or None when it takes unknown arguments."""
    values = {"tenant": "acme", "ticket": ticket, "department_id": world.support_id, "user_id": world.customer_id}
    values.update({name: "x" for name in rule.arguments if name not in values})
    try:
        path = rule.build(values, append_unknown=False)[1]
    except Exception:  # a converter refused our placeholder: this rule is not one to walk
        return None
    return path


def test_mandatory_two_factor_cannot_be_skipped_by_any_route(client, auth, world, app):
    require_two_factor(app, world)
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        support = session.get(Department, world.support_id)
        ticket = open_ticket(acme, session.get(User, world.customer_id), support, "Hi", "Body")
        number = ticket.display_number
    before = (count_rows(app, Ticket), count_rows(app, User))
    assert auth.login("ada@acme.test").status_code == 302
    walked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("tickets.") or rule.endpoint.startswith("tickets_assets"):
            continue
        path = fill(rule, world, number)
        if path is None:
            continue
        allowed = rule.endpoint in ("tickets.profile.two_factor_enrol", "tickets.profile.two_factor_qr")
        allowed = allowed or rule.endpoint.startswith(("tickets.auth.", "tickets.language."))
        for method in rule.methods & {"GET", "POST"}:
            response = client.open(path, method=method, data={})
            walked += 1
            if allowed:
                continue
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["Location"] == "/acme/profile/two-factor", (method, path)
        if rule.endpoint == "tickets.auth.logout":
            auth.login("ada@acme.test")
    assert walked > 20
    assert (count_rows(app, Ticket), count_rows(app, User)) == before
    # Enrolment lifts it; the customer was never held.
    enrol(client, app, "ada@acme.test")
    assert client.get("/acme/admin/tickets").status_code == 200
    client.post("/acme/logout")
    auth.login("carla@acme.test")
    assert client.get("/acme/tickets").status_code == 200


def test_required_two_factor_cannot_be_turned_off(client, auth, world, app):
    auth.login("sam@acme.test")
    enrol(client, app, "sam@acme.test")
    require_two_factor(app, world)
    response = client.post("/acme/profile/two-factor/off", data={"current_password": PASSWORD})
    assert response.status_code == 303
    assert user_row(app, "sam@acme.test").has_two_factor


def test_turning_off_asks_the_password(client, auth, world, app):
    auth.login("sam@acme.test")
    enrol(client, app, "sam@acme.test")
    wrong = client.post("/acme/profile/two-factor/off", data={"current_password": "guess"})
    assert wrong.status_code == 422 and user_row(app, "sam@acme.test").has_two_factor
    assert client.post("/acme/profile/two-factor/off", data={"current_password": PASSWORD}).status_code == 303
    sam = user_row(app, "sam@acme.test")
    assert not sam.has_two_factor and sam.totp_secret is None
