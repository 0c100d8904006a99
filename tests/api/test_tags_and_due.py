"""Tags and due times in the API (SPEC §17): staff change tags with PATCH through the workspace's
tag service, staff see ``tags`` and ``due`` in the list and the detail alike, customers never."""

import json
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.api import tokens as api_tokens
from xobito_tickets.db import session
from xobito_tickets.models import Department, OutboxEmail, Priority, Tenant, Ticket, TicketEvent, User, utcnow
from xobito_tickets.sla import receivers
from xobito_tickets.sla.manual import set_manual_due
from xobito_tickets.tickets.services import close_ticket, open_ticket
from xobito_tickets.webhooks.models import WebhookDelivery
from xobito_tickets.webhooks.services import create_endpoint
from xobito_tickets.workspace.models import Tag, TicketTag
from xobito_tickets.workspace.services import change_tags, ticket_tags

from ..prod.conftest import QueryCounter
from ..sla.conftest import set_targets
from .conftest import body

#: The fields only staff may see of a ticket.
STAFF_ONLY = {"assignee", "tags", "due"}


def tags_of(app, number="TKT-000001"):
    with app.app_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == int(number.split("-")[1])))
        return ticket_tags(ticket)


def history(app):
    with app.app_context():
        return session.execute(
            sa.select(TicketEvent.kind, TicketEvent.old_value, TicketEvent.new_value).order_by(TicketEvent.id)
        ).all()


def iso(value):
    return value.replace(tzinfo=UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- PATCH tags ----------------------------------------------------------------------------


def test_staff_set_the_tags_with_patch_recorded_in_the_history(app, api, tokens, ticket):
    before = history(app)
    response = api.patch(f"/tickets/{ticket}", tokens.staff, json={"tags": ["VIP", "  printer   fire ", "vip"]})
    assert response.status_code == 200, response.data
    assert body(response)["tags"] == ["printer fire", "VIP"]
    assert tags_of(app) == ["printer fire", "VIP"]
    assert history(app)[len(before) :] == [("tagged", None, "VIP"), ("tagged", None, "printer fire")]
    # The whole new set: a tag left out is removed; case-insensitive, so "vip" keeps "VIP".
    data = body(api.patch(f"/tickets/{ticket}", tokens.staff, json={"tags": ["vip", "Billing"]}))
    assert data["tags"] == ["Billing", "VIP"]
    assert ("untagged", "printer fire", None) in history(app)
    # The web form's comma-separated text is taken too; an empty list clears.
    assert body(api.patch(f"/tickets/{ticket}", tokens.staff, json={"tags": "a, b,,"}))["tags"] == ["a", "b"]
    assert body(api.patch(f"/tickets/{ticket}", tokens.staff, json={"tags": []}))["tags"] == []
    assert tags_of(app) == []
    # The same set again changes nothing and records nothing.
    count = len(history(app))
    assert body(api.patch(f"/tickets/{ticket}", tokens.staff, json={"tags": []}))["tags"] == []
    assert len(history(app)) == count


def test_tags_are_the_tenants_tags_shared_with_the_web(app, api, world, tokens, ticket, client, auth):
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        other = open_ticket(acme, session.get(User, world.customer_id), session.get(Department, world.support_id),
                            "Second", "Body text")  # fmt: skip
        change_tags(other, session.get(User, world.staff_id), replace=["Hardware"])
    # A tag typed in another case is the existing tag, as on the web.
    assert body(api.patch(f"/tickets/{ticket}", tokens.staff, json={"tags": ["hardware"]}))["tags"] == ["Hardware"]
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(Tag)) == 1
    # The staff page shows the API's tags, and the web's queue filter finds the ticket.
    auth.login("sam@acme.test")
    page = client.get(f"/acme/admin/tickets/{ticket}").get_data(as_text=True)
    assert "Hardware" in page
    queue = client.get("/acme/admin/tickets?tag=HARDWARE").get_data(as_text=True)
    assert ticket in queue and "TKT-000002" in queue


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        (["x" * 41], "at most 40 characters"),
        ([f"t{i}" for i in range(21)], "at most 20 tags"),
        (["bad\nname"], "control characters"),
        (["a,b"], "cannot contain a comma"),
        ([" "], "at least one character"),
        (7, "list of names"),
        ([1, 2], "list of names"),
        (None, "list of names"),
        ({"add": ["x"]}, "list of names"),
    ],
)
def test_refused_tags_are_422_and_change_nothing(app, api, tokens, ticket, tags, message):
    api.patch(f"/tickets/{ticket}", tokens.staff, json={"tags": ["keep"]})
    before = (history(app), tags_of(app))
    # With a valid priority beside them: nothing of the request is stored.
    response = api.patch(f"/tickets/{ticket}", tokens.staff, json={"priority": "urgent", "tags": tags})
    assert response.status_code == 422, response.data
    errors = body(response)["errors"]
    assert list(errors) == ["tags"] and message in " ".join(errors["tags"]), errors
    assert (history(app), tags_of(app)) == before
    assert body(api.get(f"/tickets/{ticket}", tokens.staff))["priority"] == "medium"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("customer", 403), ("read_only_staff", 403), ("other_customer", 404), ("billing_staff", 404), ("revoked", 401)],
)
def test_tags_refused_to_whoever_may_not_set_them(app, api, tokens, ticket, persona, status):
    api.patch(f"/tickets/{ticket}", tokens.staff, json={"tags": ["internal"]})
    with app.app_context():
        before = (
            session.execute(sa.select(Tag.name)).all(),
            session.execute(sa.select(TicketTag.ticket_id, TicketTag.tag_id)).all(),
        )
    count = len(history(app))
    response = api.patch(f"/tickets/{ticket}", getattr(tokens, persona), json={"tags": ["mine", "hacked"]})
    assert response.status_code == status
    assert set(body(response)) == {"error"} and b"internal" not in response.data
    with app.app_context():
        after = (
            session.execute(sa.select(Tag.name)).all(),
            session.execute(sa.select(TicketTag.ticket_id, TicketTag.tag_id)).all(),
        )
    assert after == before and len(history(app)) == count


def test_patch_writes_the_same_history_and_webhooks_as_the_side_panel(app, api, world, tokens, client, auth):
    """The API's PATCH and the ticket page's side panel: the same changes, history, emails and events."""
    app.config["TICKETS_WEBHOOK_ALLOW_PRIVATE"] = True
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        create_endpoint(acme, "http://127.0.0.1:9/hook")
        carla, support = session.get(User, world.customer_id), session.get(Department, world.support_id)
        web, via_api = (open_ticket(acme, carla, support, f"Ticket {n}", "Body text").display_number for n in (1, 2))
        session.execute(sa.delete(WebhookDelivery))
        session.execute(sa.delete(OutboxEmail))
        session.commit()

    def effects(number):
        with app.app_context():
            ticket_id = session.scalar(sa.select(Ticket.id).where(Ticket.number == int(number[4:])))
            events = session.execute(
                sa.select(TicketEvent.kind, TicketEvent.old_value, TicketEvent.new_value)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind != "created")
                .order_by(TicketEvent.id)
            ).all()
            deliveries = session.scalars(
                sa.select(WebhookDelivery.body)
                .where(WebhookDelivery.ticket_number == int(number[4:]))
                .order_by(WebhookDelivery.id)
            ).all()
            emails = session.execute(
                sa.select(OutboxEmail.kind, OutboxEmail.recipient_email)
                .where(OutboxEmail.ticket_id == ticket_id)
                .order_by(OutboxEmail.id)
            ).all()
        sent = []
        for raw in deliveries:
            payload = json.loads(raw)
            ticket = payload["data"]["ticket"]
            for varying in ("number", "subject", "url", "created_at", "last_activity_at", "due"):
                ticket.pop(varying)
            sent.append((payload["type"], ticket))
        return events, sent, emails

    auth.login("sam@acme.test")
    change = {"priority": "urgent", "tags": "VIP, Printer", "assignee": world.billing_staff_id}
    response = client.post(f"/acme/admin/tickets/{web}/properties", data={**change, "department": world.support_id})
    assert response.status_code in (302, 303), response.data
    response = api.patch(f"/tickets/{via_api}", tokens.staff, json={**change, "tags": ["VIP", "Printer"]})
    assert response.status_code == 200, response.data
    web_effects, api_effects = effects(web), effects(via_api)
    assert api_effects == web_effects
    events, sent, emails = api_effects
    assert [kind for kind, _, _ in events] == ["priority", "tagged", "tagged", "assigned"]
    assert [kind for kind, _ in sent] == ["ticket.priority_changed", "ticket.assigned"]
    # The staff payload of the webhook carries the tags, as the API's staff view does.
    assert sent[-1][1]["tags"] == ["Printer", "VIP"] and sent[-1][1]["assignee"]["id"] == world.billing_staff_id
    # Bea is told once that the ticket is hers; nobody else is emailed (tags are staff-only).
    assert [email for _, email in emails] == ["bea@acme.test"]


def test_patch_that_routes_the_ticket_away_answers_it_once(app, api, world, tokens, ticket):
    response = api.patch(
        f"/tickets/{ticket}", tokens.staff, json={"department": world.billing_id, "assignee": world.billing_staff_id}
    )
    assert response.status_code == 200, response.data
    data = body(response)
    assert data["department"]["name"] == "Billing" and data["assignee"]["email"] == "bea@acme.test"
    assert api.get(f"/tickets/{ticket}", tokens.staff).status_code == 404
    assert api.get(f"/tickets/{ticket}", tokens.billing_staff).status_code == 200


# -- tags and due in the staff view --------------------------------------------------------


@pytest.fixture
def sla_ticket(app, world):
    """An urgent Open ticket of Carla's under round-the-clock targets (30 min first response)."""
    with app.app_context():
        set_targets(world.acme_id, urgent=(30, 240), high=(60, 480))
        acme = session.get(Tenant, world.acme_id)
        ticket = open_ticket(
            acme,
            session.get(User, world.customer_id),
            session.get(Department, world.support_id),
            "Down",
            "All down.",
            priority=Priority.URGENT,
        )
        return ticket.display_number


def test_staff_see_the_due_time_in_the_list_and_the_detail(app, api, tokens, sla_ticket):
    with app.app_context():
        due_at = session.scalar(sa.select(Ticket.due_at))
        created = session.scalar(sa.select(Ticket.created_at))
    assert due_at is not None and abs(due_at - (created + timedelta(minutes=30))) < timedelta(seconds=2)
    detail = body(api.get(f"/tickets/{sla_ticket}", tokens.staff))
    (row,) = body(api.get("/tickets", tokens.staff))["data"]
    assert detail["due"] == row["due"] == iso(due_at)
    # A staff answer pauses the clock (waiting on the customer): nothing is due.
    api.post(f"/tickets/{sla_ticket}/replies", tokens.staff, json={"body": "Looking into it now."})
    assert body(api.get(f"/tickets/{sla_ticket}", tokens.staff))["due"] is None
    assert body(api.get("/tickets", tokens.staff))["data"][0]["due"] is None


def test_overdue_tickets_are_found_by_tab_and_sorted_by_due(app, api, world, tokens, sla_ticket):
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        later = open_ticket(
            acme,
            session.get(User, world.customer_id),
            session.get(Department, world.support_id),
            "Later",
            "Body",
            priority=Priority.URGENT,
        )
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == 1))
        ticket.created_at -= timedelta(hours=2)
        ticket.sla_clock_started_at -= timedelta(hours=2)
        receivers.refresh(ticket)
        session.commit()
        assert ticket.due_at < utcnow() < later.due_at
    overdue = body(api.get("/tickets?tab=overdue", tokens.staff))["data"]
    assert [t["number"] for t in overdue] == [sla_ticket]
    by_due = body(api.get("/tickets?sort=due", tokens.staff))["data"]
    assert [t["number"] for t in by_due] == [sla_ticket, "TKT-000002"]


def test_list_rows_equal_the_detail_with_tags_and_due(app, api, world, tokens, sla_ticket):
    api.patch(f"/tickets/{sla_ticket}", tokens.admin, json={"tags": ["zeta", "Alpha", "beta"]})
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        closed = open_ticket(
            acme, session.get(User, world.customer_id), session.get(Department, world.support_id), "Old", "Body"
        )
        change_tags(closed, session.get(User, world.staff_id), replace=["Old"])
        close_ticket(closed, session.get(User, world.customer_id))
    for token in (tokens.staff, tokens.admin, tokens.customer):
        rows = body(api.get("/tickets", token))["data"]
        assert len(rows) == 2
        for row in rows:
            detail = body(api.get(f"/tickets/{row['number']}", token))
            assert row == {key: detail[key] for key in row}
            assert set(detail) - set(row) == {"body", "attachments", "messages"}
    staff_rows = {r["number"]: r for r in body(api.get("/tickets", tokens.staff))["data"]}
    assert staff_rows[sla_ticket]["tags"] == ["Alpha", "beta", "zeta"] and staff_rows[sla_ticket]["due"]
    assert staff_rows["TKT-000002"]["tags"] == ["Old"] and staff_rows["TKT-000002"]["due"] is None
    assert staff_rows["TKT-000002"]["closed_at"] is not None


def test_staff_filter_the_list_by_tag(app, api, world, tokens, ticket):
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        open_ticket(acme, session.get(User, world.customer_id), session.get(Department, world.support_id), "B", "Body")
    api.patch(f"/tickets/{ticket}", tokens.staff, json={"tags": ["VIP", "Printer"]})
    numbers = lambda query, token=tokens.staff: [t["number"] for t in body(api.get(query, token))["data"]]  # noqa: E731
    assert numbers("/tickets?tag=vip") == [ticket]
    assert numbers("/tickets?tag=vip&tag=PRINTER") == [ticket]
    assert numbers("/tickets?tag=vip&tag=nothing") == []
    assert len(numbers("/tickets")) == 2
    # A customer's tag filter is ignored: it must not tell which of their tickets carry a tag.
    assert numbers("/tickets?tag=vip", tokens.customer) == numbers("/tickets", tokens.customer)
    assert len(numbers("/tickets?tag=vip", tokens.customer)) == 2


# -- customers never see staff-only data ---------------------------------------------------


def test_customers_never_see_tags_assignee_due_or_notes(app, api, world, tokens, sla_ticket):
    api.patch(f"/tickets/{sla_ticket}", tokens.admin, json={"tags": ["Secret-tag"], "assignee": world.staff_id})
    api.post(f"/tickets/{sla_ticket}/notes", tokens.staff, json={"body": "Secret note about the customer"})
    staff = body(api.get(f"/tickets/{sla_ticket}", tokens.staff))
    assert staff["tags"] == ["Secret-tag"] and staff["assignee"]["name"] == "Sam Support" and staff["due"]
    answers = {
        "list": api.get("/tickets", tokens.customer),
        "filtered list": api.get("/tickets?tag=Secret-tag&assignee=me&sort=due&tab=mine", tokens.customer),
        "detail": api.get(f"/tickets/{sla_ticket}", tokens.customer),
        "reply": api.post(f"/tickets/{sla_ticket}/replies", tokens.customer, json={"body": "Any news on this?"}),
        "close": api.post(f"/tickets/{sla_ticket}/close", tokens.customer),
        "create": api.post(
            "/tickets", tokens.customer, json={"subject": "New", "department": world.support_id, "body": "Hi"}
        ),
    }
    for name, response in answers.items():
        assert response.status_code in (200, 201), (name, response.data)
        data = body(response)
        tickets = data["data"] if "data" in data else [data] if "number" in data else []
        for ticket in tickets:
            assert not STAFF_ONLY & set(ticket), (name, ticket)
            assert all(m["kind"] == "reply" for m in ticket.get("messages", ()))
        for secret in (b"Secret-tag", b"Secret note", b'Sam Support","email', b"sam@acme.test", b'"due"'):
            assert secret not in response.data, (name, secret)


# -- the list's cost -----------------------------------------------------------------------


def test_list_statements_do_not_grow_with_rows_tags_or_closed_tickets(app, api, world, tokens, monkeypatch):
    # The rate counter writes its count once a second: on a slow machine that write would land
    # in one measured request and not the other. Counted here is the list's own reading.
    monkeypatch.setattr(api_tokens, "FLUSH_SECONDS", 3600.0)
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine

    def statements(token, query="/tickets?limit=100"):
        api.get(query, token)  # warm: the token's first use, the document
        with QueryCounter(engine) as counter:
            response = api.get(query, token)
        assert response.status_code == 200
        return counter.count, len(body(response)["data"])

    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        carla, sam = session.get(User, world.customer_id), session.get(User, world.staff_id)
        first = open_ticket(acme, carla, session.get(Department, world.support_id), "One", "Body")
    one = {who: statements(getattr(tokens, who)) for who in ("staff", "admin", "customer")}
    assert all(rows == 1 for _, rows in one.values()), one
    with app.app_context():
        carla, sam = session.get(User, world.customer_id), session.get(User, world.staff_id)
        change_tags(session.get(Ticket, first.id), sam, replace=["a", "b", "c"])
        for i in range(40):
            t = open_ticket(acme, carla, session.get(Department, world.support_id), f"T{i}", "Body")
            change_tags(t, sam, replace=[f"tag{i}", "shared", f"x{i % 3}"])
            if i % 4 == 0:
                close_ticket(t, carla)
    many = {who: statements(getattr(tokens, who)) for who in ("staff", "admin", "customer")}
    for who in one:
        assert many[who][1] == 41, many
        # The page's closed times (and, for staff, tags) in one statement, whatever the page holds.
        assert many[who][0] == one[who][0], (who, one[who], many[who])


def test_a_due_time_set_by_hand_is_the_apis_due(app, api, world, tokens, ticket):
    """The ticket waits on the customer (Answered, no clock running); staff promised a time anyway."""
    promised = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    with app.app_context():
        row = session.scalar(sa.select(Ticket))
        set_manual_due(row, session.get(User, world.staff_id), promised.replace(tzinfo=UTC))
    detail = body(api.get(f"/tickets/{ticket}", tokens.staff))
    (row,) = body(api.get("/tickets", tokens.staff))["data"]
    assert detail["status"] == "answered" and detail["due"] == row["due"] == iso(promised)
    assert "due" not in body(api.get(f"/tickets/{ticket}", tokens.customer))
