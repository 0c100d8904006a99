"""Ticket changes become signed webhook requests: written in the change's transaction, sent by
the worker's job, checked by the real receiver with the README recipe and against the
``webhooks`` section of the OpenAPI document."""

from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers

from xobito_tickets import create_app, jobs
from xobito_tickets.db import session
from xobito_tickets.merge.services import merge_ticket
from xobito_tickets.models import Department, Tenant, Ticket, User
from xobito_tickets.tickets.services import open_ticket
from xobito_tickets.webhooks.models import WebhookDelivery, WebhookEndpoint
from xobito_tickets.webhooks.services import create_endpoint, set_active

from ..api.conftest import ApiClient, Tokens, body


@pytest.fixture
def app_config(app_config):
    app_config["TICKETS_WEBHOOK_ALLOW_PRIVATE"] = True
    return app_config


@dataclass
class WebhookCall:
    """A received request in the shape openapi-core validates webhooks in."""

    name: str
    body: bytes
    headers: dict
    method: str = "post"
    content_type: str = "application/json"
    parameters: RequestParameters = field(init=False)

    def __post_init__(self):
        self.parameters = RequestParameters(header=Headers(self.headers))


def register(runner, receiver, *events):
    """Register the receiver with the CLI; point its signature check at the printed secret."""
    args = ["tickets", "webhook", "create", "--tenant", "acme", "--url", receiver.url()]
    for event in events:
        args += ["--event", event]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    receiver.secret = secret
    return secret


def run_jobs(app):
    return jobs.run_once(app, names=["webhooks"])["webhooks"]


def test_every_event_is_delivered_signed_and_as_documented(app, world, runner, receiver):
    register(runner, receiver)
    api, tokens = ApiClient(app), Tokens(app, world)
    number = body(
        api.post("/tickets", tokens.customer, json={"subject": "Fire", "department": world.support_id, "body": "Help"})
    )["number"]
    api.post(f"/tickets/{number}/replies", tokens.staff, json={"body": "On our way."})
    api.patch(f"/tickets/{number}", tokens.admin, json={"priority": "urgent"})
    api.patch(f"/tickets/{number}", tokens.admin, json={"assignee": world.staff_id})
    api.post(f"/tickets/{number}/close", tokens.customer)
    api.post(f"/tickets/{number}/reopen", tokens.staff)
    api.post(f"/tickets/{number}/notes", tokens.staff, json={"body": "Customer is a VIP."})
    other = body(
        api.post("/tickets", tokens.customer, json={"subject": "Fire 2", "department": world.support_id, "body": "!"})
    )["number"]
    with app.app_context():
        tickets = {t.display_number: t for t in session.scalars(sa.select(Ticket))}
        merge_ticket(tickets[number], tickets[other], session.get(User, world.staff_id))
    assert run_jobs(app) == 9
    events = [r.json()["type"] for r in receiver.received]
    assert events == [
        "ticket.created",
        "ticket.replied",
        "ticket.priority_changed",
        "ticket.assigned",
        "ticket.closed",
        "ticket.reopened",
        "ticket.note_added",
        "ticket.created",
        "ticket.merged",
    ]
    openapi = api.openapi()
    for request in receiver.received:
        assert request.signature_ok is True
        payload = request.json()
        assert request.headers["X-Xobito-Event"] == payload["type"]
        assert payload["tenant"] == "acme" and payload["data"]["ticket"]["number"] in (number, other)
        openapi.validate_webhook_request(WebhookCall(payload["type"], request.body, request.headers))
    replied = receiver.received[1].json()
    assert replied["data"]["message"]["body"] == "On our way." and replied["data"]["message"]["kind"] == "reply"
    assert receiver.received[3].json()["data"]["ticket"]["assignee"]["email"] == "sam@acme.test"
    note = receiver.received[6].json()["data"]["message"]
    assert note["kind"] == "note" and note["body"] == "Customer is a VIP."
    merged = receiver.received[8].json()["data"]["ticket"]
    assert merged["number"] == number and merged["status"] == "closed"
    # Nothing is sent twice.
    assert run_jobs(app) == 0


def test_endpoint_gets_only_its_events(app, world, runner, receiver):
    register(runner, receiver, "ticket.closed")
    api, tokens = ApiClient(app), Tokens(app, world)
    number = body(
        api.post("/tickets", tokens.customer, json={"subject": "S", "department": world.support_id, "body": "B"})
    )["number"]
    api.post(f"/tickets/{number}/close", tokens.customer)
    run_jobs(app)
    assert [r.json()["type"] for r in receiver.received] == ["ticket.closed"]


def test_a_refused_change_writes_no_delivery(app, world, runner, receiver):
    register(runner, receiver)
    api, tokens = ApiClient(app), Tokens(app, world)
    number = body(
        api.post("/tickets", tokens.customer, json={"subject": "S", "department": world.support_id, "body": "B"})
    )["number"]
    api.post(f"/tickets/{number}/close", tokens.customer)
    with app.app_context():
        before = session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery))
    assert api.post(f"/tickets/{number}/replies", tokens.customer, json={"body": "Reply to closed"}).status_code == 422
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == before


def test_other_tenants_changes_are_not_sent(app, world, runner, receiver):
    register(runner, receiver)
    with app.app_context():
        open_ticket(
            session.get(Tenant, world.globex_id),
            session.get(User, world.globex_customer_id),
            session.get(Department, world.globex_support_id),
            "Globex's own",
            "Not for Acme's endpoint.",
        )
        assert session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0
    assert run_jobs(app) == 0 and receiver.received == []


def test_an_endpoint_changed_by_another_process_counts_from_the_next_change(app, app_config, world, make):
    # A change learns whether its workspace has endpoints inside its own transaction, so
    # nothing this process remembers can hide an endpoint another process added.
    def deliveries():
        with app.app_context():
            return session.scalars(sa.select(WebhookDelivery.event).order_by(WebhookDelivery.id)).all()

    made = make.ticket()
    assert deliveries() == []
    other = create_app(app_config)
    try:
        with other.app_context():
            endpoint, _secret = create_endpoint(session.get(Tenant, world.acme_id), "http://127.0.0.1:9/hook")
            endpoint_id = endpoint.id
        make.reply(made.number, world.staff_id)
        assert deliveries() == ["ticket.replied"]
        with other.app_context():
            set_active(session.get(WebhookEndpoint, endpoint_id), False)
        make.reply(made.number, world.customer_id)
        make.ticket()
        assert deliveries() == ["ticket.replied"]
        with other.app_context():
            set_active(session.get(WebhookEndpoint, endpoint_id), True)
        make.ticket()
        assert deliveries() == ["ticket.replied", "ticket.created"]
    finally:
        with other.app_context():
            session.remove()
            other.extensions["sqlalchemy"].engine.dispose()


def test_cli_refuses_an_internal_url_without_allow_private(app, runner, world):
    app.config["TICKETS_WEBHOOK_ALLOW_PRIVATE"] = False
    result = runner.invoke(args=["tickets", "webhook", "create", "--tenant", "acme", "--url", "http://localhost:9/x"])
    assert result.exit_code != 0 and "loopback" in result.output
    result = runner.invoke(args=["tickets", "webhook", "create", "--tenant", "acme", "--url", "ftp://example.com/"])
    assert result.exit_code != 0 and "http" in result.output
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0
