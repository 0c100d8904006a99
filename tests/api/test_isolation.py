"""The isolation matrix: every endpoint × every kind of token, and nothing changed on a refusal.

Carla's ticket is in Support. Oscar (another customer) and Bea (staff of Billing only) may not
see it: 404, as on the web. Globex's token is unknown to Acme, a revoked token is unknown: 401.
A read-only token (a customer's or staff's) reads but gets 403 on every write. Tags (PATCH) are
staff's only: a customer gets 403, as for every other field.
"""

import io

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Attachment, Department, OutboxEmail, Reply, Tenant, Ticket, TicketEvent, User
from xobito_tickets.tickets.services import open_ticket
from xobito_tickets.tickets.uploads import UploadedFile
from xobito_tickets.webhooks.models import WebhookDelivery
from xobito_tickets.workspace.models import Tag, TicketTag

from .conftest import body

NUMBER = "TKT-000001"


@pytest.fixture
def filed(app, world):
    """Carla's ticket in Support with one attachment; return the attachment's id."""
    with app.app_context():
        upload = UploadedFile("log.txt", "text/plain", io.BytesIO(b"error log"), 9)
        ticket = open_ticket(
            session.get(Tenant, world.acme_id),
            session.get(User, world.customer_id),
            session.get(Department, world.support_id),
            "Printer on fire",
            "It is on fire.",
            files=[upload],
        )
        return session.scalar(sa.select(Attachment.id).where(Attachment.ticket_id == ticket.id))


def snapshot(app):
    """Everything a refused request must leave as it was."""
    with app.app_context():
        session.expire_all()
        count = lambda model: session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        ticket = session.scalar(sa.select(Ticket))
        return (
            count(Ticket),
            count(Reply),
            count(Attachment),
            count(TicketEvent),
            count(OutboxEmail),
            count(WebhookDelivery),
            count(Tag),
            count(TicketTag),
            (ticket.status, ticket.priority, ticket.department_id, ticket.assignee_id, ticket.last_reply_at),
        )


def endpoints(world, attachment_id):
    """(name, method, path, request options) of every endpoint of §17."""
    return [
        ("list", "GET", "/tickets", {}),
        ("create", "POST", "/tickets", {"json": {"subject": "New", "department": world.support_id, "body": "Hi"}}),
        ("detail", "GET", f"/tickets/{NUMBER}", {}),
        ("patch", "PATCH", f"/tickets/{NUMBER}", {"json": {"priority": "urgent"}}),
        ("patch_tags", "PATCH", f"/tickets/{NUMBER}", {"json": {"tags": ["Escalated"]}}),
        ("reply", "POST", f"/tickets/{NUMBER}/replies", {"json": {"body": "A reply from the API"}}),
        ("note", "POST", f"/tickets/{NUMBER}/notes", {"json": {"body": "An internal note"}}),
        ("close", "POST", f"/tickets/{NUMBER}/close", {}),
        ("reopen", "POST", f"/tickets/{NUMBER}/reopen", {}),
        ("download", "GET", f"/tickets/{NUMBER}/attachments/{attachment_id}", {}),
        ("departments", "GET", "/departments", {}),
        ("me", "GET", "/me", {}),
    ]


ENDPOINTS = [
    "list", "create", "detail", "patch", "patch_tags", "reply", "note", "close", "reopen", "download",
    "departments", "me",
]  # fmt: skip
WRITES = ["create", "patch", "patch_tags", "reply", "note", "close", "reopen"]

#: persona -> endpoint -> expected status (missing: 200).
EXPECTED = {
    "customer": {"create": 201, "patch": 403, "patch_tags": 403, "reply": 201, "note": 403, "reopen": 403},
    "other_customer": {
        "create": 201, "detail": 404, "patch": 404, "patch_tags": 404, "reply": 404, "note": 404,
        "close": 404, "reopen": 404, "download": 404,
    },
    "billing_staff": {
        "create": 403, "detail": 404, "patch": 404, "patch_tags": 404, "reply": 404, "note": 404,
        "close": 404, "reopen": 404, "download": 404,
    },
    "staff": {"create": 403, "reply": 201, "note": 201, "reopen": 422},
    "admin": {"create": 403, "reply": 201, "note": 201, "reopen": 422},
    "globex_admin": dict.fromkeys(ENDPOINTS, 401),
    "revoked": dict.fromkeys(ENDPOINTS, 401),
    "read_only_customer": dict.fromkeys(WRITES, 403),
    "read_only_staff": dict.fromkeys(WRITES, 403),
}  # fmt: skip


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("persona", list(EXPECTED))
def test_matrix(app, api, world, tokens, filed, persona, endpoint):
    name, method, path, options = next(e for e in endpoints(world, filed) if e[0] == endpoint)
    expected = EXPECTED[persona].get(endpoint, 200)
    before = snapshot(app)
    response = api.request(method, path, getattr(tokens, persona), **options)
    assert response.status_code == expected, (persona, endpoint, response.data)
    if expected >= 400:
        assert snapshot(app) == before, f"{persona} {endpoint} changed something"
        assert "error" in body(response) or "errors" in body(response)
        # Nothing of the ticket in a refusal.
        assert b"Printer on fire" not in response.data and b"on fire" not in response.data
    if expected == 404:
        assert body(response) == {"error": "Not found, or not visible to this token."}


def test_lists_show_only_what_each_person_may_see(app, api, world, tokens, filed):
    def numbers(token):
        return [t["number"] for t in body(api.get("/tickets", token))["data"]]

    assert numbers(tokens.customer) == [NUMBER]
    assert numbers(tokens.staff) == [NUMBER]
    assert numbers(tokens.admin) == [NUMBER]
    assert numbers(tokens.other_customer) == []
    assert numbers(tokens.billing_staff) == []
    assert body(api.get("/tickets", tokens.globex_admin, tenant="globex"))["data"] == []


def test_assigned_staff_outside_the_department_sees_the_ticket(app, api, world, tokens, filed):
    response = api.patch(f"/tickets/{NUMBER}", tokens.admin, json={"assignee": world.billing_staff_id})
    assert response.status_code == 200
    assert api.get(f"/tickets/{NUMBER}", tokens.billing_staff).status_code == 200


def test_other_tenants_ids_are_not_found(app, api, world, tokens, filed):
    # Globex's admin, with Globex's token, asks Globex's API for Acme's ticket and file.
    assert api.get(f"/tickets/{NUMBER}", tokens.globex_admin, tenant="globex").status_code == 404
    path = f"/tickets/{NUMBER}/attachments/{filed}"
    assert api.get(path, tokens.globex_admin, tenant="globex").status_code == 404


@pytest.mark.parametrize("number", ["TKT-1", "tkt-000001", "TKT-0000001", "TKT-99999999999", "1", "%00"])
def test_malformed_numbers_are_404(api, tokens, filed, number):
    assert api.get(f"/tickets/{number}", tokens.admin, validate=False).status_code == 404
