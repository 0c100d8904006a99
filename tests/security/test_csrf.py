"""Cross-site request forgery (SPEC §10, §13): another site making a logged-in browser post
a form. With CSRF checks on, as deployed, every POST route of the app answers 400 without
a token, with a bad one, or with a token of another session, and nothing changes. GET
never changes anything, so a link or an image cannot either."""

import pytest

from xobito_tickets import create_app

from ..conftest import csrf_token_from
from .conftest import login, snapshot


def _routes(method):
    """Return (endpoint, rule) of every route of the app that accepts ``method``."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    rules = [r for r in app.url_map.iter_rules() if method in r.methods and r.endpoint != "static"]
    return sorted((rule.endpoint, rule.rule) for rule in rules)


POST_ROUTES = _routes("POST")
GET_ROUTES = _routes("GET")


def fill(rule_text, world):
    """Build a concrete URL for a rule, with objects that exist (so only CSRF can stop the request)."""
    values = {
        "tenant": "acme",
        "ticket": "TKT-000001",
        "number": "TKT-000001",
        "department_id": world.support_id,
        "user_id": world.other_customer_id,
        "token": "not-a-real-token",
        "name": "missing.eml",
        "filename": "tickets.css",
        "endpoint_id": 1,
        "delivery_id": 1,
        "token_id": 1,
        "attachment_id": 1,
        "row_id": 1,
        "subdomain": "acme",
        "canned_id": 1,
    }
    url = rule_text
    for key, value in values.items():
        for converter in ("", "int:", "path:"):
            url = url.replace(f"<{converter}{key}>", str(value))
    assert "<" not in url, f"no test value for an argument of {rule_text}: add one to fill()"
    return url


#: A form that would succeed for each route, so the only reason to refuse it is the token.
VALID_FORMS = {
    "tickets.portal.ticket_store": lambda w: {"subject": "Forged", "department": w.support_id, "body": "Forged body"},
    "tickets.portal.ticket_reply": lambda w: {"body": "Forged reply"},
    "tickets.admin.ticket_reply": lambda w: {"body": "Forged staff reply"},
    "tickets.admin.ticket_assign": lambda w: {"department": w.billing_id, "assignee": w.billing_staff_id},
    "tickets.admin.ticket_priority": lambda w: {"priority": "urgent"},
    "tickets.admin.department_create": lambda w: {"name": "Forged dept", "active": "y"},
    "tickets.admin.department_edit": lambda w: {"name": "Renamed", "active": "y", "members": [w.staff_id]},
    "tickets.admin.team_create": lambda w: {
        "name": "Mallory",
        "email": "mallory@acme.test",
        "role": "admin",
        "password": "forged-password-1",
    },
    "tickets.admin.team_edit": lambda w: {"name": "Oscar", "email": "oscar@acme.test", "role": "admin"},
    "tickets.admin.ticket_cc_add": lambda w: {"email": "mallory@example.com"},
    "tickets.portal.ticket_cc_add": lambda w: {"email": "mallory@example.com"},
    "tickets.admin.ticket_store_on_behalf": lambda w: {
        "customer": "forged@example.com",
        "subject": "Forged",
        "department": w.support_id,
        "priority": "high",
        "body": "Forged body",
    },
    "tickets.admin.canned_reply_create": lambda w: {
        "title": "Forged",
        "body": "Forged {{ agent.name }}",
        "personal": "y",
    },
    "tickets.auth.login": lambda w: {"email": "carla@acme.test", "password": "correct horse battery"},
    "tickets.auth.register": lambda w: {"name": "Forged", "email": "forged@acme.test", "password": "forged-pass-1"},
    "tickets.auth.password_forgot": lambda w: {"email": "carla@acme.test"},
    "tickets.auth.password_reset": lambda w: {"password": "new-password-1", "confirm": "new-password-1"},
}


@pytest.fixture
def victim(csrf_app, make, world):
    """Ada, the admin, logged in on the CSRF-checking app, with a ticket in the database."""
    make.ticket()
    client = csrf_app.test_client()
    assert login(client, "ada@acme.test").status_code == 302
    return client


@pytest.fixture
def foreign_token(csrf_app, world):
    """A valid token, but of another browser's session (the attacker's own)."""
    attacker = csrf_app.test_client()
    login(attacker, "carla@acme.test")
    return csrf_token_from(attacker.get("/acme/tickets/create").get_data(as_text=True))


@pytest.mark.parametrize("endpoint, rule", POST_ROUTES, ids=[e for e, _ in POST_ROUTES])
def test_post_without_a_valid_token_is_refused(csrf_app, victim, foreign_token, world, endpoint, rule):
    """CSRF: each POST route refuses a forged form (no token, a garbage token, another session's
    token) with 400 and changes nothing (rows, files, outbox)."""
    form = VALID_FORMS.get(endpoint, lambda w: {})(world)
    before = snapshot(csrf_app, skip=())
    for token in (None, "IjEyMyI.forged.signature", foreign_token):
        data = dict(form)
        if token is not None:
            data["csrf_token"] = token
        response = victim.post(fill(rule, world), data=data)
        if endpoint.startswith("tickets_api."):
            # The API takes bearer tokens only: the victim's cookie is no login there.
            assert response.status_code == 401, (endpoint, token, response.status_code)
        else:
            assert response.status_code == 400, (endpoint, token, response.status_code)
            assert "The form expired or came from another site" in response.get_data(as_text=True)
        assert snapshot(csrf_app, skip=()) == before


def test_token_in_a_header_of_another_session_is_refused(csrf_app, victim, foreign_token, world):
    """CSRF through the X-CSRFToken header: a token of another session is no better there."""
    before = snapshot(csrf_app, skip=())
    response = victim.post("/acme/tickets/TKT-000001/close", headers={"X-CSRFToken": foreign_token})
    assert response.status_code == 400
    assert snapshot(csrf_app, skip=()) == before


def test_json_body_is_not_a_way_around_the_token(csrf_app, victim, world):
    """CSRF with another content type: a JSON post is refused like a form."""
    before = snapshot(csrf_app, skip=())
    response = victim.post("/acme/admin/tickets/TKT-000001/close", json={"csrf_token": "x"})
    assert response.status_code == 400
    assert snapshot(csrf_app, skip=()) == before


def test_cross_site_referer_is_refused_over_https(csrf_app, world):
    """CSRF over HTTPS with a stolen-looking token: a post from another site's page is refused."""
    client = csrf_app.test_client()
    page = client.get("/acme/login", base_url="https://helpdesk.test")
    token = csrf_token_from(page.get_data(as_text=True))
    data = {"email": "carla@acme.test", "password": "correct horse battery", "csrf_token": token}
    before = snapshot(csrf_app, skip=())
    for headers in ({"Referer": "https://evil.test/phish"}, {}):
        response = client.post("/acme/login", data=data, base_url="https://helpdesk.test", headers=headers)
        assert response.status_code == 400
    assert snapshot(csrf_app, skip=()) == before
    ok = client.post(
        "/acme/login",
        data=data,
        base_url="https://helpdesk.test",
        headers={"Referer": "https://helpdesk.test/acme/login"},
    )
    assert ok.status_code == 302


def test_logout_cannot_be_forged(csrf_app, victim):
    """Logout CSRF: a forged logout leaves the session working."""
    assert victim.post("/acme/logout").status_code == 400
    assert victim.get("/acme/tickets").status_code in (200, 302)
    assert victim.get("/acme/admin/tickets").status_code == 200


def test_valid_tokens_are_accepted(csrf_app, world, make):
    """The feature the guard protects: the real forms, with their own token, work."""
    make.ticket()
    client = csrf_app.test_client()
    assert login(client, "carla@acme.test").status_code == 302
    token = csrf_token_from(client.get("/acme/tickets/create").get_data(as_text=True))
    response = client.post(
        "/acme/tickets/store",
        data={"subject": "Real", "department": world.support_id, "body": "A real ticket", "csrf_token": token},
    )
    assert response.status_code == 303
    token = csrf_token_from(client.get("/acme/tickets/TKT-000001").get_data(as_text=True))
    assert (
        client.post("/acme/tickets/TKT-000001/reply", data={"body": "Real reply", "csrf_token": token}).status_code
        == 303
    )
    assert client.post("/acme/tickets/TKT-000001/close", data={"csrf_token": token}).status_code == 303
    assert client.post("/acme/logout", data={"csrf_token": token}).status_code == 302


def test_token_is_renewed_at_login(csrf_app, world):
    """Login CSRF and token fixation: the token of the anonymous session stops working after login."""
    client = csrf_app.test_client()
    old_token = csrf_token_from(client.get("/acme/login").get_data(as_text=True))
    response = client.post(
        "/acme/login", data={"email": "carla@acme.test", "password": "correct horse battery", "csrf_token": old_token}
    )
    assert response.status_code == 302
    assert client.post("/acme/logout", data={"csrf_token": old_token}).status_code == 400


@pytest.mark.parametrize("endpoint, rule", GET_ROUTES, ids=[e for e, _ in GET_ROUTES])
def test_get_never_changes_anything(csrf_app, victim, world, endpoint, rule):
    """State change by GET (a link or an <img> on another site): every GET route leaves everything as it was."""
    before = snapshot(csrf_app, skip=())
    response = victim.get(fill(rule, world))
    response.close()
    assert response.status_code < 500
    assert snapshot(csrf_app, skip=()) == before


def test_module_checks_tokens_without_the_hosts_csrfprotect(app_config, make, world):
    """CSRF in an embedding host that never set up Flask-WTF's CSRFProtect: the module's own check holds."""
    from flask import Flask
    from flask_login import LoginManager
    from flask_sqlalchemy import SQLAlchemy

    from xobito_tickets import Tickets
    from xobito_tickets.auth.views import load_standalone_user
    from xobito_tickets.db import metadata, session

    make.ticket()
    host = Flask("host_without_csrfprotect")
    host.config.update(app_config, WTF_CSRF_ENABLED=True, TICKETS_AUTH="standalone")
    db = SQLAlchemy(metadata=metadata)
    db.init_app(host)
    LoginManager(host).user_loader(load_standalone_user)
    Tickets(host, db=db)
    assert "csrf" not in host.extensions
    client = host.test_client()
    assert login(client, "carla@acme.test").status_code == 302
    before = snapshot(host, skip=())
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post("/acme/tickets/TKT-000001/close", data=data).status_code == 400
        assert client.post("/acme/tickets/TKT-000001/reply", data={"body": "forged reply", **data}).status_code == 400
    assert snapshot(host, skip=()) == before
    token = csrf_token_from(client.get("/acme/tickets/TKT-000001").get_data(as_text=True))
    assert client.post("/acme/tickets/TKT-000001/close", data={"csrf_token": token}).status_code == 303
    with host.app_context():
        session.remove()
        db.engine.dispose()
