"""The side panel saves department, assignee, priority and tags as one action: all of it, or nothing.

A refusal of any part (a tag rule, an assignee outside the workspace or not staff) stores nothing,
sends nothing and answers 422 with the error next to that field and every value as it was typed.
A save that passes writes its history lines together and emails each recipient at most once.
"""

import html
import re

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.errors import ServiceError
from xobito_tickets.models import QueueCount, Ticket, TicketEvent, User
from xobito_tickets.tickets import counts as queuecounts
from xobito_tickets.workspace.services import save_properties

from .conftest import field_error, login, snapshot, ticket_row

TOO_MANY_TAGS = ", ".join(f"t{i}" for i in range(21))


def _panel(client, number, **data):
    return client.post(f"/acme/admin/tickets/{number}/properties", data=data)


def _selected(response, field):
    """Return the value of the option shown selected in the select ``field``."""
    page = response.get_data(as_text=True)
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', page, flags=re.S).group(1)
    (option,) = [tag for tag in re.findall(r"<option[^>]*>", select) if re.search(r"\sselected\b", tag)]
    return re.search(r'value="([^"]*)"', option).group(1)


def _typed(response, field):
    page = response.get_data(as_text=True)
    return html.unescape(re.search(rf'<input[^>]*name="{field}"[^>]*value="([^"]*)"', page).group(1))


def _queue_counts(app):
    with app.app_context():
        return sorted(tuple(row) for row in session.execute(sa.select(QueueCount.__table__)).all() if row.n)


@pytest.mark.parametrize(
    "assignee, tags, field, message",
    [
        ("gary", "VIP, fire", "assignee", "Choose a staff member or admin from the list, or nobody."),
        ("carla", "VIP, fire", "assignee", "Choose a staff member or admin from the list, or nobody."),
        ("sam", "VIP, " + "x" * 41, "tags", "at most 40 characters"),
        ("sam", TOO_MANY_TAGS, "tags", "A ticket carries at most 20 tags."),
    ],
    ids=["assignee of another workspace", "a customer as assignee", "a tag too long", "21 tags"],
)
def test_a_refused_part_stores_nothing_and_keeps_what_was_typed(
    inbox, app, client, world, desk, assignee, tags, field, message
):
    people = {"gary": world.globex_admin_id, "carla": world.customer_id, "sam": world.staff_id}
    login(client, "ada@acme.test")
    before = snapshot(app)
    response = _panel(
        client,
        desk.open_number,
        department=world.billing_id,
        assignee=people[assignee],
        priority="urgent",
        tags=tags,
    )
    assert response.status_code == 422
    assert message in field_error(response, field)
    other = {"assignee", "tags"} - {field}
    assert all(field_error(response, name) is None for name in other | {"department", "priority"})
    # Every value as typed, not as stored.
    assert _selected(response, "priority") == "urgent"
    assert _selected(response, "department") == str(world.billing_id)
    assert _typed(response, "tags") == tags
    if field != "assignee":
        assert _selected(response, "assignee") == str(world.staff_id)
    # Nothing stored (the ticket, its tags, its history, the counts), nothing sent.
    assert snapshot(app) == before
    assert inbox.new() == []
    ticket = ticket_row(app, desk.open_number)
    assert (ticket.department_id, ticket.assignee_id, ticket.priority) == (world.support_id, desk.alex_id, 2)


def test_a_save_that_passes_is_one_history_set_and_one_email(inbox, app, client, world, desk):
    login(client, "ada@acme.test")
    with app.app_context():
        ticket_id = session.scalar(sa.select(Ticket.id).where(Ticket.number == int(desk.open_number[4:])))
        events_before = session.scalar(sa.select(sa.func.max(TicketEvent.id)))
    response = _panel(
        client,
        desk.open_number,
        department=world.billing_id,
        assignee=world.billing_staff_id,
        priority="urgent",
        tags="VIP, fire",
    )
    assert response.status_code == 303
    ticket = ticket_row(app, desk.open_number)
    assert (ticket.department_id, ticket.assignee_id, ticket.priority) == (world.billing_id, world.billing_staff_id, 4)
    with app.app_context():
        events = session.execute(
            sa.select(TicketEvent.kind, TicketEvent.new_value, TicketEvent.actor_id, TicketEvent.created_at)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.id > events_before)
            .order_by(TicketEvent.id)
        ).all()
    assert [(kind, new) for kind, new, _, _ in events] == [
        ("priority", "Urgent"),
        ("tagged", "VIP"),
        ("tagged", "fire"),
        ("department", "Billing"),
        ("assigned", "Bea Billing"),
    ]
    assert {actor for _, _, actor, _ in events} == {world.admin_id}
    # One email: "assigned to you" to Bea. Priority and tags tell nobody; the customer hears nothing.
    emails = inbox.new()
    assert [(e.envelope_to, e.subject) for e in emails] == [
        (["bea@acme.test"], f"[{desk.open_number}] Assigned to you: Printer on fire")
    ]
    # The queue counts moved with the ticket, as a recount finds them.
    kept = _queue_counts(app)
    with app.app_context():
        queuecounts.rebuild(world.acme_id)
        session.commit()
    assert _queue_counts(app) == kept


def test_a_refusal_at_the_last_part_rolls_back_the_earlier_ones(app, world, desk):
    """The service itself: the assignment is refused after priority and tags were changed in the transaction."""
    before = snapshot(app)
    with app.test_request_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == int(desk.open_number[4:])))
        admin = session.get(User, world.admin_id)
        carla = session.get(User, world.customer_id)
        with pytest.raises(ServiceError) as refused:
            save_properties(ticket, admin, priority=4, tags=["VIP", "fire"], assignment=(ticket.department, carla))
        assert refused.value.field == "assignee"
        session.rollback()
    assert snapshot(app) == before
    with app.test_request_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == int(desk.open_number[4:])))
        # Nothing is left half-open either: the next change commits on its own.
        save_properties(ticket, session.get(User, world.admin_id), priority=3)
    assert ticket_row(app, desk.open_number).priority == 3
