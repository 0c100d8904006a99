"""The staff ticket view costs the same few statements whatever the ticket holds.

Two tickets of Support, both seen by Sam: a bare one (the body and 2 replies) and a full one
(60 messages, a third of them internal notes, a file on every message, 10 CCs, 5 tags, a
rating with a comment, 3 emails received). An N+1 anywhere on the page (a query per message,
file, CC, tag or email) shows as a difference between the two.
"""

from datetime import timedelta

import pytest

from xobito_tickets.cc.models import TicketCC
from xobito_tickets.db import session
from xobito_tickets.inbound.models import InboundMessage
from xobito_tickets.models import Attachment, MessageKind, Reply, Ticket, TicketCounter, TicketEvent, utcnow
from xobito_tickets.satisfaction.models import Rating
from xobito_tickets.tickets import counts as queuecounts
from xobito_tickets.workspace.models import Tag, TicketTag

from ..prod.test_query_budget import TICKET_VIEW_BUDGET, _assert_budget, _count, _logged_in

FULL_THREAD = 60


def _ticket(world, number, status="open"):
    start = utcnow() - timedelta(days=2)
    ticket = Ticket(
        tenant_id=world.acme_id,
        number=number,
        subject=f"Ticket {number}",
        body="Something is wrong.",
        department_id=world.support_id,
        priority=2,
        status=status,
        requester_id=world.customer_id,
        created_at=start,
        last_reply_at=start,
    )
    session.add(ticket)
    session.flush()
    session.add(TicketEvent(tenant_id=world.acme_id, ticket_id=ticket.id, actor_id=world.customer_id, kind="created"))
    return ticket


def _messages(world, ticket, count, notes=False, files=False):
    start = utcnow() - timedelta(days=1)
    authors = [world.customer_id, world.staff_id, world.admin_id]
    for i in range(count):
        note = notes and i % 3 == 2
        reply = Reply(
            tenant_id=world.acme_id,
            ticket_id=ticket.id,
            author_id=world.admin_id if note else authors[i % 2],
            body=f"{'Note' if note else 'Reply'} number {i}, for @Sam Support",
            kind=(MessageKind.NOTE if note else MessageKind.REPLY).value,
            created_at=start + timedelta(minutes=i),
        )
        session.add(reply)
        session.flush()
        session.add(
            TicketEvent(
                tenant_id=world.acme_id,
                ticket_id=ticket.id,
                actor_id=reply.author_id,
                kind="note" if note else "replied",
                new_value=str(reply.id),
            )
        )
        if files:
            session.add(
                Attachment(
                    tenant_id=world.acme_id,
                    ticket_id=ticket.id,
                    reply_id=reply.id,
                    uploader_id=reply.author_id,
                    storage_key=f"tickets/{world.acme_id}/replies/budget-{reply.id}",
                    filename=f"shot-{i}.png" if i % 2 else f"log-{i}.txt",
                    content_type="image/png" if i % 2 else "text/plain",
                    size=68,
                )
            )


@pytest.fixture
def two_tickets(app, world):
    """Seed a bare and a full ticket of Support; return their numbers (bare, full)."""
    with app.app_context():
        bare = _ticket(world, 1)
        _messages(world, bare, 2)
        full = _ticket(world, 2, status="closed")
        full.closed_at = utcnow()
        _messages(world, full, FULL_THREAD, notes=True, files=True)
        for i in range(10):
            session.add(TicketCC(tenant_id=world.acme_id, ticket_id=full.id, email=f"cc{i}@example.com"))
        for name in ("VIP", "bug", "billing", "printer", "urgent-ish"):
            tag = Tag(tenant_id=world.acme_id, name=name, key=name.casefold())
            session.add(tag)
            session.flush()
            session.add(TicketTag(ticket_id=full.id, tag_id=tag.id, tenant_id=world.acme_id))
        session.add(Rating(tenant_id=world.acme_id, ticket_id=full.id, rating="bad", comment="Slow <b>reply</b>."))
        for i in range(3):
            session.add(
                InboundMessage(
                    tenant_id=world.acme_id,
                    source="imap",
                    sender="carla@acme.test",
                    subject=f"Re: Ticket 2 ({i})",
                    message_id=f"<m{i}@acme.test>",
                    outcome="replied",
                    ticket_id=full.id,
                    raw_key=f"inbound/{world.acme_id}/raw-{i}",
                    size=100,
                )
            )
        session.get(TicketCounter, world.acme_id).last_number = 2
        queuecounts.rebuild(world.acme_id)
        session.commit()
        return bare.display_number, full.display_number


def test_the_staff_ticket_view_costs_the_same_for_a_bare_and_a_full_ticket(app, world, two_tickets):
    bare, full = two_tickets
    client = _logged_in(app, "sam@acme.test")
    counts = [_count(app, client, "GET", f"/acme/admin/tickets/{number}", 200) for number in two_tickets]
    _assert_budget(*counts, budget=TICKET_VIEW_BUDGET)
    assert TICKET_VIEW_BUDGET == 8

    # The full page shows what was seeded (a count that stays flat because parts went missing proves nothing).
    page = client.get(f"/acme/admin/tickets/{full}").get_data(as_text=True)
    assert page.count('class="xt-message xt-note"') == FULL_THREAD // 3
    assert "Reply number 58" in page and "Note number 59" in page
    assert "cc9@example.com" in page and "cc0@example.com" in page
    for name in ("VIP", "bug", "billing", "printer", "urgent-ish"):
        assert f'<li class="xt-tag">{name}</li>' in page
    assert "Rated Bad" in page and "Slow &lt;b&gt;reply&lt;/b&gt;." in page
    assert "Emails received" in page and "Re: Ticket 2 (0)" in page and "Re: Ticket 2 (2)" in page
    assert "shot-59.png" in page and "log-58.txt" in page
    bare_page = client.get(f"/acme/admin/tickets/{bare}").get_data(as_text=True)
    assert "Not rated" in bare_page and "Emails received" not in bare_page


def test_the_emails_received_list_keeps_only_kept_messages_of_this_ticket(app, world, two_tickets):
    bare, full = two_tickets
    with app.app_context():
        ticket_id = session.scalar(Ticket.__table__.select().with_only_columns(Ticket.id).where(Ticket.number == 1))
        # Logged for the bare ticket but not kept (no raw bytes), and one of another tenant's ids.
        session.add(
            InboundMessage(
                tenant_id=world.acme_id,
                source="imap",
                sender="x@example.com",
                subject="Not kept",
                outcome="replied",
                ticket_id=ticket_id,
            )
        )
        session.add(
            InboundMessage(
                tenant_id=world.globex_id,
                source="imap",
                sender="y@example.com",
                subject="Other tenant",
                outcome="replied",
                ticket_id=ticket_id,
                raw_key="inbound/x",
            )
        )
        session.commit()
    client = _logged_in(app, "sam@acme.test")
    page = client.get(f"/acme/admin/tickets/{bare}").get_data(as_text=True)
    assert "Not kept" not in page and "Other tenant" not in page and "Emails received" not in page
