"""Bearer tokens: who gets in, who gets 401/403/429, and that cookies never count."""

import time

import pytest
import sqlalchemy as sa

from xobito_tickets import create_app
from xobito_tickets.api.models import ApiToken
from xobito_tickets.api.tokens import FLUSH_EVERY
from xobito_tickets.db import session
from xobito_tickets.models import Ticket, User

from .conftest import BASE, body


def test_no_token_is_401_with_bearer_challenge(api, world):
    response = api.get("/tickets", None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in body(response)["error"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token xt_abc", "Bearer xt_not-a-real-token", "Bearer " + "x" * 5000],
)
def test_malformed_or_unknown_tokens_are_401(api, world, tokens, header):
    response = api.request("GET", "/tickets", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401(api, tokens):
    assert api.get("/me", tokens.revoked).status_code == 401


def test_token_of_another_workspace_is_401(api, tokens):
    # Globex's admin token, sent to Acme's API: no such token there.
    assert api.get("/tickets", tokens.globex_admin).status_code == 401
    assert api.get("/me", tokens.globex_admin, tenant="globex").status_code == 200


def test_token_of_a_deactivated_person_is_401(app, api, world, tokens):
    with app.app_context():
        session.get(User, world.staff_id).active = False
        session.commit()
    assert api.get("/me", tokens.staff).status_code == 401


def test_session_cookie_is_never_accepted(app, api, world, auth, client, ticket):
    """A logged-in browser session is no API login (and so the API needs no CSRF token)."""
    assert auth.login("carla@acme.test").status_code in (302, 303)
    response = client.get("/acme/api/v1/tickets", base_url=BASE)
    assert response.status_code == 401
    response = client.post("/acme/api/v1/tickets/TKT-000001/close", base_url=BASE)
    assert response.status_code == 401
    with app.app_context():
        assert session.scalar(sa.select(Ticket.status)) != "closed"


def test_api_needs_no_csrf_token(app, api, tokens, ticket):
    app.config["WTF_CSRF_ENABLED"] = True
    response = api.post(f"/tickets/{ticket}/replies", tokens.customer, json={"body": "Thanks, the fire is out."})
    assert response.status_code == 201


def test_read_only_token_reads_but_cannot_write(app, api, tokens, ticket):
    assert api.get(f"/tickets/{ticket}", tokens.read_only_customer).status_code == 200
    response = api.post(f"/tickets/{ticket}/replies", tokens.read_only_customer, json={"body": "Can I write?"})
    assert response.status_code == 403 and "read-only" in body(response)["error"]
    response = api.patch(f"/tickets/{ticket}", tokens.read_only_staff, json={"priority": "high"})
    assert response.status_code == 403
    with app.app_context():
        row = session.scalar(sa.select(Ticket))
        assert row.priority == 2 and len(row.replies) == 2


def test_me_names_the_person_and_the_token(api, tokens, world):
    data = body(api.get("/me", tokens.read_only_staff))
    assert data["email"] == "sam@acme.test" and data["role"] == "staff" and data["tenant"] == "acme"
    assert data["token"] == {"name": "ro", "read_only": True, "created_at": data["token"]["created_at"]}


def test_last_use_is_recorded(app, api, tokens):
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).where(ApiToken.last_used_at.is_not(None))) == 0
    api.get("/me", tokens.admin)
    with app.app_context():
        used = session.scalars(sa.select(ApiToken).where(ApiToken.last_used_at.is_not(None))).all()
        assert [t.user.email for t in used] == ["ada@acme.test"]


def test_rate_limit_per_token_answers_429_with_retry_after(app, api, tokens):
    app.config["TICKETS_API_RATE_LIMIT"] = 3
    for _ in range(3):
        assert api.get("/me", tokens.staff).status_code == 200
    response = api.get("/me", tokens.staff)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    # Another token of another person has its own allowance.
    assert api.get("/me", tokens.admin).status_code == 200


def test_rate_window_starts_again(app, api, tokens):
    app.config["TICKETS_API_RATE_LIMIT"] = 1
    app.config["TICKETS_API_RATE_WINDOW"] = 2
    api.openapi()  # load the document first: the two requests below must fall in one window
    assert api.get("/me", tokens.staff).status_code == 200
    assert api.get("/me", tokens.staff).status_code == 429
    time.sleep(2.1)
    assert api.get("/me", tokens.staff).status_code == 200


def test_api_answers_are_not_stored_by_caches(api, tokens):
    response = api.get("/me", tokens.staff)
    assert "no-store" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


def test_api_can_be_switched_off(app_config):
    app = create_app({**app_config, "TICKETS_API": False})
    assert not any(rule.endpoint.startswith("tickets_api.") for rule in app.url_map.iter_rules())


def test_rate_limit_holds_across_workers(app, app_config, api, tokens):
    """Two app processes (here: two apps over one database) share one count per token."""
    app.config["TICKETS_API_RATE_LIMIT"] = 30
    other = create_app({**app_config, "TICKETS_API_RATE_LIMIT": 30})
    clients = [app.test_client(), other.test_client()]
    statuses = []
    for i in range(80):
        response = clients[i % 2].get("/acme/api/v1/me", headers={"Authorization": f"Bearer {tokens.staff}"})
        statuses.append(response.status_code)
    allowed = statuses.count(200)
    # Each worker writes its count at least every FLUSH_EVERY requests: the overshoot is bounded.
    assert 30 <= allowed <= 30 + 2 * FLUSH_EVERY
    assert statuses.count(429) == 80 - allowed
    with other.app_context():
        other.extensions["sqlalchemy"].engine.dispose()
