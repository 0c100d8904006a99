"""The queue's status counts (``tickets_queue_counts``): kept by the services in the same
transaction as each change, so the tabs always say what a count of the tickets would say."""

import re

import pytest
import sqlalchemy as sa

from xobito_tickets import signals
from xobito_tickets.db import session
from xobito_tickets.errors import ServiceError
from xobito_tickets.models import Department, Priority, QueueCount, Ticket, User
from xobito_tickets.tickets.services import (
    assign_ticket,
    change_priority,
    close_ticket,
    open_ticket,
    post_reply,
    reopen_ticket,
)

from ..conftest import PASSWORD
from .conftest import queue_counts_drift


def _get(model, row_id):
    return session.get(model, row_id)


def _ticket(number, world):
    return session.scalars(sa.select(Ticket).where(Ticket.tenant_id == world.acme_id, Ticket.number == number)).one()


def test_every_action_keeps_the_counts_equal_to_a_count_of_the_tickets(app, world):
    with app.test_request_context():
        customer, staff, admin = (_get(User, i) for i in (world.customer_id, world.staff_id, world.admin_id))
        billing_staff = _get(User, world.billing_staff_id)
        support, billing = _get(Department, world.support_id), _get(Department, world.billing_id)
        acme = customer.tenant
        steps = [
            ("open in Support", lambda: open_ticket(acme, customer, support, "Printer", "Jammed.", Priority.HIGH)),
            ("open in Billing", lambda: open_ticket(acme, customer, billing, "Invoice", "Wrong total.")),
            ("open another", lambda: open_ticket(acme, customer, support, "VPN", "Down.", Priority.LOW)),
            ("staff reply: Open to Answered", lambda: post_reply(_ticket(1, world), staff, "Try this.")),
            ("customer reply: Answered to Open", lambda: post_reply(_ticket(1, world), customer, "No luck.")),
            ("customer reply on Open: no move", lambda: post_reply(_ticket(1, world), customer, "Still.")),
            ("assign department and person", lambda: assign_ticket(_ticket(1, world), admin, billing, billing_staff)),
            ("take it back, unassigned", lambda: assign_ticket(_ticket(1, world), admin, support, None)),
            ("assign a person only", lambda: assign_ticket(_ticket(2, world), admin, billing, admin)),
            ("priority", lambda: change_priority(_ticket(2, world), admin, Priority.URGENT)),
            ("the same priority again", lambda: change_priority(_ticket(2, world), admin, Priority.URGENT)),
            ("customer closes", lambda: close_ticket(_ticket(2, world), customer)),
            ("admin reopens", lambda: reopen_ticket(_ticket(2, world), admin)),
            ("staff closes", lambda: close_ticket(_ticket(3, world), staff)),
        ]
        for name, step in steps:
            step()
            assert queue_counts_drift(app) == {}, name
        rows = session.execute(sa.select(QueueCount).where(QueueCount.tenant_id == world.acme_id)).scalars().all()
        assert sum(row.n for row in rows) == 3
        # Ticket 2: Billing, assigned to the admin, urgent, open again.
        assert any(
            (r.department_id, r.assignee_id, r.priority, r.status, r.n)
            == (world.billing_id, world.admin_id, int(Priority.URGENT), "open", 1)
            for r in rows
        )


def test_a_refused_or_rolled_back_change_leaves_the_counts_alone(app, world):
    with app.test_request_context():
        customer, staff = _get(User, world.customer_id), _get(User, world.staff_id)
        ticket = open_ticket(customer.tenant, customer, _get(Department, world.support_id), "A", "B")
        close_ticket(ticket, customer)
        before = session.execute(sa.select(QueueCount.status, QueueCount.n).order_by(QueueCount.status)).all()
        with pytest.raises(ServiceError):
            post_reply(_ticket(ticket.number, world), customer, "Refused: the ticket is closed.")

        # A subscriber failing inside the transaction rolls the reopening back, counts included.
        def failing_receiver(sender, **kwargs):
            raise RuntimeError("subscriber failed")

        signals.ticket_reopened.connect(failing_receiver)
        try:
            with pytest.raises(RuntimeError):
                reopen_ticket(_ticket(ticket.number, world), staff)
        finally:
            signals.ticket_reopened.disconnect(failing_receiver)
        assert _ticket(ticket.number, world).status == "closed"
        assert session.execute(sa.select(QueueCount.status, QueueCount.n).order_by(QueueCount.status)).all() == before
    assert queue_counts_drift(app) == {}


def _tabs(client, query=""):
    """Return the numbers on the queue's status tabs: {"All": 3, "Open": 2, …}."""
    html = client.get("/acme/admin/tickets" + query).get_data(as_text=True)
    nav = html[html.index('<nav class="xt-tabs"') : html.index("</nav>", html.index('<nav class="xt-tabs"'))]
    return {label: int(count) for label, count in re.findall(r'>([\w ]+?) <span class="xt-count">(\d+)</span>', nav)}


def test_recount_repairs_counts_of_tickets_written_around_the_services(app, world, runner):
    with app.test_request_context():
        customer = _get(User, world.customer_id)
        for subject in ("One", "Two"):
            open_ticket(customer.tenant, customer, _get(Department, world.support_id), subject, "Body.")
        # An import writes a third ticket straight into the table.
        session.execute(
            sa.insert(Ticket).values(
                tenant_id=world.acme_id,
                number=3,
                subject="Imported",
                body="From the old system.",
                department_id=world.support_id,
                priority=int(Priority.MEDIUM),
                status="answered",
                requester_id=world.customer_id,
            )
        )
        session.commit()
    assert queue_counts_drift(app) != {}
    client = app.test_client()
    client.post("/acme/login", data={"email": "ada@acme.test", "password": PASSWORD})
    assert _tabs(client)["All open"] == 2

    result = runner.invoke(args=["tickets", "recount", "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    assert "Recounted the queue counts of 'acme'." in result.output
    assert queue_counts_drift(app) == {}
    # The imported Answered ticket has the customer's message last: it needs a reply.
    assert _tabs(client)["All open"] == 3 and _tabs(client)["Needs reply"] == 3

    result = runner.invoke(args=["tickets", "recount", "--tenant", "nope"])
    assert result.exit_code != 0 and "No workspace with the slug 'nope'" in result.output
