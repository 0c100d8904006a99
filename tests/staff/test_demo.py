"""The demo workspace holds a realistic queue, and an admin and a staff member can work it."""

import re
from collections import Counter

import sqlalchemy as sa

from xobito_tickets.canned.models import CannedReply
from xobito_tickets.cc.models import TicketCC
from xobito_tickets.db import session
from xobito_tickets.demo import PASSWORD
from xobito_tickets.models import Department, Reply, Tenant, Ticket, TicketEvent, User

from .conftest import text_of


def _login(client, email):
    response = client.post("/demo/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_demo_queue_and_a_days_work(app, runner, client):
    result = runner.invoke(args=["tickets", "demo"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.test / demo-password" in result.output
    assert "Already there" in runner.invoke(args=["tickets", "demo"]).output

    with app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == "demo"))
        tickets = session.scalars(sa.select(Ticket).where(Ticket.tenant_id == tenant.id)).all()
        departments = {d.id: d for d in session.scalars(sa.select(Department).where(Department.tenant_id == tenant.id))}
        # Sixty stories, Greta's in German (xobito_tickets/profile/demo.py) and a duplicate merged into one of them.
        assert len(tickets) == 62
        merged = [t for t in tickets if t.merged_into_id is not None]
        assert len(merged) == 1 and merged[0].status == "closed"
        assert (
            session.scalar(
                sa.select(sa.func.count()).select_from(CannedReply).where(CannedReply.tenant_id == tenant.id)
            )
            >= 4
        )
        assert {
            c.personal for c in session.scalars(sa.select(CannedReply).where(CannedReply.tenant_id == tenant.id))
        } == {
            True,
            False,
        }
        assert (
            session.scalar(sa.select(sa.func.count()).select_from(TicketCC).where(TicketCC.tenant_id == tenant.id)) >= 1
        )
        assert set(Counter(t.status for t in tickets)) == {"open", "answered", "closed"}
        assert set(Counter(t.priority for t in tickets)) == {1, 2, 3, 4}
        assert len({t.department_id for t in tickets}) == 4
        assert any(not departments[t.department_id].active for t in tickets)
        assignees = Counter(t.assignee_id for t in tickets)
        assert assignees[None] >= 10 and len(assignees) >= 5
        assert session.scalar(sa.select(sa.func.count()).select_from(Reply).where(Reply.tenant_id == tenant.id)) > 60
        kinds = set(session.scalars(sa.select(TicketEvent.kind).where(TicketEvent.tenant_id == tenant.id)))
        assert kinds == {
            "created",
            "replied",
            "status",
            "assigned",
            "department",
            "priority",
            "note",
            "tagged",
            "merged_into",
            "merged_from",
            "cc_added",
            "rating",
        }
        # Notes and tags on some tickets (the workspace's demo).
        notes = session.scalar(sa.select(sa.func.count()).select_from(Reply).where(Reply.kind == "note"))
        assert notes == 4
        # Activity is spread over weeks, newest tickets untouched, replies after their ticket.
        ages = sorted(t.last_reply_at for t in tickets)
        assert (ages[-1] - ages[0]).days >= 14
        for reply in session.scalars(sa.select(Reply).where(Reply.tenant_id == tenant.id)):
            assert reply.created_at >= reply.ticket.created_at
        olga = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.email == "olga@demo.test"))
        assert not olga.active
        assert session.scalar(sa.select(sa.func.count()).select_from(Reply).where(Reply.author_id == olga.id))

    # Sam starts his day: the unassigned open tickets of his departments.
    _login(client, "sam@demo.test")
    queue = client.get("/demo/admin/tickets?status=open&assignee=none")
    assert queue.status_code == 200
    numbers = re.findall(r'<td class="xt-nowrap"><a href="[^"]+">(TKT-\d+)</a>', queue.get_data(as_text=True))
    assert numbers, "Sam has nothing to pick up"
    first = numbers[0]
    with app.app_context():
        sam = session.scalar(sa.select(User).where(User.email == "sam@demo.test"))
        ticket = session.scalar(
            sa.select(Ticket).where(Ticket.tenant_id == sam.tenant_id, Ticket.number == int(first[4:]))
        )
        department_id, sam_id = ticket.department_id, sam.id
    mine = {"department": department_id, "assignee": sam_id}
    response = client.post(f"/demo/admin/tickets/{first}/assign", data=mine)
    assert response.status_code == 303
    assert client.post(f"/demo/admin/tickets/{first}/reply", data={"body": "On it, Sam here."}).status_code == 303
    page = text_of(client.get(f"/demo/admin/tickets/{first}"))
    assert "Sam Support changed status Open → Answered" in page
    assert first in client.get("/demo/admin/tickets?assignee=me&status=answered").get_data(as_text=True)

    # Ada hands Olga's tickets (she left) to Tom.
    client.post("/demo/logout")
    _login(client, "admin@demo.test")
    with app.app_context():
        tom = session.scalar(sa.select(User).where(User.email == "tom@demo.test"))
        olgas = session.scalars(sa.select(Ticket).where(Ticket.assignee_id == olga.id, Ticket.status != "closed")).all()
        work = [(t.display_number, t.department_id) for t in olgas]
    assert work, "the demo has no open ticket left with Olga"
    for number, department_id in work:
        response = client.post(
            f"/demo/admin/tickets/{number}/assign", data={"department": department_id, "assignee": tom.id}
        )
        assert response.status_code == 303
    tabs = text_of(client.get(f"/demo/admin/tickets?assignee={olga.id}&status=open&status=answered"))
    assert "No tickets match these filters" in tabs
