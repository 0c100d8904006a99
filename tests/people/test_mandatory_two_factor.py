"""Mandatory two-factor login cannot be skipped: every page, every API call, every way to a token."""

import re

import pytest
import sqlalchemy as sa

from xobito_tickets.api.models import ApiToken
from xobito_tickets.api.tokens import create_token
from xobito_tickets.db import session
from xobito_tickets.models import Department, Tenant, User
from xobito_tickets.tickets.services import open_ticket
from xobito_tickets.workspace.services import add_note

from ..conftest import PASSWORD, count_rows, snapshot
from .conftest import totp_now
from .test_two_factor_login import enrol, require_two_factor

#: What the walk must never find in an answer: a ticket, its customer, another staff member, a note.
STAFF_DATA = ("Printer on fire", "TKT-000001", "carla@acme.test", "Carla Customer", "Bea Billing", "Toner secret")

#: Endpoints a person held at enrolment may still use: set-up, its QR code, the login pages
#: (logout), the language switch, the static files, the health check, the API's public
#: description. Their POSTs are not sent (login, sign-up and reset are open to anyone anyway).
OPEN_ENDPOINTS = {
    "tickets.profile.two_factor_enrol",
    "tickets.profile.two_factor_qr",
    "tickets.language.language_set",
    "tickets_api.openapi_document",
    "tickets_api.openapi_page",
    "tickets_health",
    "index",
}
OPEN_PREFIXES = ("tickets.auth.", "tickets_assets.", "static", "tickets_devmail.", "tickets_devreply.")


@pytest.fixture
def staff_world(app, world):
    """The conftest world with a ticket of Carla's, a staff note on it, and tokens of Ada and Sam."""
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        ticket = open_ticket(
            acme,
            session.get(User, world.customer_id),
            session.get(Department, world.support_id),
            "Printer on fire",
            "Help",
        )
        add_note(ticket, session.get(User, world.staff_id), "Toner secret: the spare key is under the mat")
        world.number = ticket.display_number
        world.tokens = {}
        for email, user_id in (("ada@acme.test", world.admin_id), ("sam@acme.test", world.staff_id)):
            row, token = create_token(session.get(User, user_id), "Made before the rule")
            world.tokens[email] = token
            world.token_id = row.id
    return world


def payload(world):
    """Return form fields that the module's forms accept: sent to every POST, so a leak would store something."""
    return {
        "subject": "Walked subject",
        "body": "A walked body, long enough for every form.",
        "department": str(world.support_id),
        "priority": "high",
        "name": "Walked name",
        "email": "walked@acme.test",
        "customer": "walked@acme.test",
        "role": "staff",
        "title": "Walked title",
        "description": "Walked description",
        "url": "https://hooks.example.com/walked",
        "tags": "walked",
        "assignee": str(world.staff_id),
        "members": str(world.staff_id),
        "active": "y",
        "tickets": world.number,
        "action": "close",
        "confirm": "1",
        "current_password": PASSWORD,
        "new_password": "a walked new password",
        "timezone": "Europe/Berlin",
        "require_two_factor": "",
        "comment": "Walked comment",
    }


def url_values(world):
    """Return a real value for every URL argument the module's rules take."""
    return {
        "tenant": "acme",
        "subdomain": "acme",
        "ticket": world.number,
        "number": world.number,
        "department_id": world.support_id,
        "user_id": world.customer_id,
        "token_id": world.token_id,
        "token": "x",
        "name": "x",
        "filename": "x",
        "canned_id": 1,
        "endpoint_id": 1,
        "delivery_id": 1,
        "row_id": 1,
        "attachment_id": 1,
    }


def held_rules(app, world):
    """Return (rule, path, methods) of every rule a person held at enrolment must be refused."""
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS or rule.endpoint.startswith(OPEN_PREFIXES):
            continue
        path = rule.build(url_values(world), append_unknown=False)[1]
        rules.append((rule, path, sorted(rule.methods - {"HEAD", "OPTIONS"})))
    return rules


def assert_no_staff_data(response, where):
    text = response.get_data(as_text=True)
    for marker in STAFF_DATA:
        assert marker not in text, (where, marker)


@pytest.mark.parametrize("email", ["ada@acme.test", "sam@acme.test"])
def test_every_route_refuses_a_person_held_at_enrolment_and_changes_nothing(client, auth, app, staff_world, email):
    world = staff_world
    require_two_factor(app, world)
    assert auth.login(email).status_code == 302
    before = snapshot(app)
    walked = {"page": 0, "api": 0}
    for rule, path, methods in held_rules(app, world):
        for method in methods:
            data = payload(world) if method != "GET" else None
            where = (method, path)
            if rule.endpoint.startswith("tickets_api."):
                # The API never takes the session cookie, and a token made before the rule is held too.
                assert client.open(path, method=method, json=data).status_code == 401, where
                headers = {"Authorization": f"Bearer {world.tokens[email]}"}
                response = client.open(path, method=method, json=data, headers=headers)
                assert response.status_code == 403, where
                assert "two-factor" in response.get_json()["error"], where
                walked["api"] += 1
            elif rule.endpoint == "tickets_inbound_api.receive_message":
                # The tenant's mail door: a token of the tenant, never a person's session.
                response = client.open(path, method=method, data=b"Subject: x\r\n\r\nx")
                assert response.status_code == 401, where
            else:
                response = client.open(path, method=method, data=data)
                assert response.status_code == 303, where
                assert response.headers["Location"] == "/acme/profile/two-factor", where
                walked["page"] += 1
            assert_no_staff_data(response, where)
    # What the person may still open shows nothing of the workspace either.
    for path in ("/acme/profile/two-factor", "/acme/login", "/acme/api/v1/docs"):
        assert_no_staff_data(client.get(path), path)
    assert walked["page"] > 90 and walked["api"] >= 11, walked
    assert snapshot(app) == before
    # Set up, the same person gets through, and the old token works again.
    enrol(client, app, email)
    assert client.get("/acme/admin/tickets").status_code == 200
    me = client.get("/acme/api/v1/me", headers={"Authorization": f"Bearer {world.tokens[email]}"})
    assert me.status_code == 200 and me.get_json()["email"] == email


def test_the_walk_payload_does_store_things_when_nothing_holds_the_person(client, auth, app, staff_world):
    """The control: without the rule the same forms make a token and a department, so the walk can fail."""
    world = staff_world
    auth.login("ada@acme.test")
    tokens = count_rows(app, ApiToken)
    assert client.post("/acme/profile/tokens", data=payload(world)).status_code == 201
    assert count_rows(app, ApiToken) == tokens + 1
    departments = count_rows(app, Department)
    assert client.post("/acme/admin/departments/create", data=payload(world)).status_code in (302, 303)
    assert count_rows(app, Department) == departments + 1


def test_no_token_is_made_for_a_person_held_at_enrolment(client, auth, app, world, runner):
    require_two_factor(app, world)
    before = count_rows(app, ApiToken)
    # The command line refuses too, with the reason, and stores nothing.
    result = runner.invoke(args=["tickets", "token", "create", "--tenant", "acme", "--email", "sam@acme.test"])
    assert result.exit_code != 0 and "two-factor" in result.output
    assert "xt_" not in result.output
    assert count_rows(app, ApiToken) == before
    # A customer is never held: the rule is for staff and admins.
    result = runner.invoke(args=["tickets", "token", "create", "--tenant", "acme", "--email", "carla@acme.test"])
    assert result.exit_code == 0 and result.output.strip().splitlines()[-1].startswith("xt_")
    # Once Sam has it set up, the command makes the token.
    auth.login("sam@acme.test")
    enrol(client, app, "sam@acme.test")
    result = runner.invoke(args=["tickets", "token", "create", "--tenant", "acme", "--email", "sam@acme.test"])
    assert result.exit_code == 0 and result.output.strip().splitlines()[-1].startswith("xt_")
    with app.app_context():
        owners = session.scalars(sa.select(User.email).join(ApiToken, ApiToken.user_id == User.id)).all()
    assert sorted(owners) == ["carla@acme.test", "sam@acme.test"]


def test_an_embedding_sites_login_decides_about_second_factors(app, world):
    """With TICKETS_AUTH = "host" the module holds nobody: the host's login owns the second factor."""
    require_two_factor(app, world)
    app.config["TICKETS_AUTH"] = "host"
    with app.app_context():
        row, token = create_token(session.get(User, world.staff_id), "Host site")
        assert token.startswith("xt_") and row.id


def required(app, world):
    with app.app_context():
        return session.get(Tenant, world.acme_id).require_two_factor


def checkbox(client):
    """Return the team page's require-two-factor checkbox tag."""
    page = client.get("/acme/admin/team").get_data(as_text=True)
    return re.search(r'<input[^>]*name="require_two_factor"[^>]*>', page).group(0)


def test_an_admin_with_two_factor_login_makes_it_mandatory_on_the_team_page(client, auth, app, world):
    auth.login("ada@acme.test")
    assert "checked" not in checkbox(client)
    # Without it herself she would be held at set-up on the next page: refused, with the reason.
    refused = client.post("/acme/admin/team/two-factor", data={"require_two_factor": "y"}, follow_redirects=True)
    assert "Set up two-factor login for yourself first" in refused.get_data(as_text=True)
    assert not required(app, world)
    secret, _codes = enrol(client, app, "ada@acme.test")
    response = client.post("/acme/admin/team/two-factor", data={"require_two_factor": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/acme/admin/team"
    assert required(app, world) and "checked" in checkbox(client)
    assert client.get("/acme/admin/tickets").status_code == 200  # Ada has it: not held
    client.post("/acme/logout")
    auth.login("sam@acme.test")
    held = client.get("/acme/admin/tickets")
    assert held.status_code == 303 and held.headers["Location"] == "/acme/profile/two-factor"
    client.post("/acme/logout")
    # An unticked box makes it optional again, and Sam is free.
    auth.login("ada@acme.test")
    assert client.post("/acme/login/code", data={"code": totp_now(secret, 1)}).status_code == 303
    assert client.post("/acme/admin/team/two-factor", data={}).status_code == 303
    assert not required(app, world) and "checked" not in checkbox(client)
    client.post("/acme/logout")
    auth.login("sam@acme.test")
    assert client.get("/acme/admin/tickets").status_code == 200


def test_only_this_workspaces_admins_change_the_rule(client, auth, app, world):
    auth.login("sam@acme.test")
    assert client.post("/acme/admin/team/two-factor", data={"require_two_factor": "y"}).status_code in (403, 404)
    client.post("/acme/logout")
    auth.login("gary@globex.test", tenant="globex")
    assert client.post("/acme/admin/team/two-factor", data={"require_two_factor": "y"}).status_code == 404
    assert not required(app, world)
