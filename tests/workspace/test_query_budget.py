"""The workspace's pages stay within the query budget, flat whether a queue or thread holds 1 row or 100.

Reuses the seed of tests/prod/test_query_budget.py (Bea sees 1 ticket with 1 reply, Sam 100 tickets
and a thread of 100 replies) and adds, on both sides alike, an internal note and tags on every ticket.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import MessageKind, Reply, Ticket, utcnow
from xobito_tickets.workspace.models import Tag, TicketTag

from ..prod.test_query_budget import BUDGET, TICKET_VIEW_BUDGET, _assert_budget, _count, _logged_in, seeded

__all__ = ["seeded"]


@pytest.fixture
def tagged(app, world, seeded):
    """Give every ticket two tags, its thread an internal note and a passed due time; return the threads' numbers."""
    with app.app_context():
        tags = [
            Tag(tenant_id=world.acme_id, name=name, key=name.casefold(), created_at=utcnow()) for name in ("VIP", "bug")
        ]
        session.add_all(tags)
        session.flush()
        for ticket in session.scalars(sa.select(Ticket).where(Ticket.tenant_id == world.acme_id)):
            # Overdue: the Overdue tab lists every ticket, each with its due chip.
            ticket.due_at = utcnow() - timedelta(hours=1)
            for tag in tags:
                session.add(TicketTag(ticket_id=ticket.id, tag_id=tag.id, tenant_id=world.acme_id))
            session.add(
                Reply(
                    tenant_id=world.acme_id,
                    ticket_id=ticket.id,
                    author_id=world.admin_id,
                    body="Internal.",
                    kind=MessageKind.NOTE.value,
                )
            )
        session.commit()
    return seeded


PAGES = {
    "queue, default view": "/acme/admin/tickets",
    "queue, mine": "/acme/admin/tickets?tab=mine",
    "queue, unassigned": "/acme/admin/tickets?tab=unassigned",
    "queue, overdue": "/acme/admin/tickets?tab=overdue",
    "queue, all open": "/acme/admin/tickets?tab=open",
    "queue, closed": "/acme/admin/tickets?tab=closed",
    "queue, all": "/acme/admin/tickets?tab=all",
    "queue, overdue by tag": "/acme/admin/tickets?tab=overdue&tag=vip",
    "queue, by tags": "/acme/admin/tickets?tag=vip&tag=BUG",
    "ticket view with notes and tags": "/acme/admin/tickets/{ticket}",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_workspace_pages_cost_the_same_for_1_and_100_rows(app, tagged, page):
    counts = []
    for email, number in zip(("bea@acme.test", "sam@acme.test"), tagged, strict=True):
        client = _logged_in(app, email)
        counts.append(_count(app, client, "GET", PAGES[page].format(ticket=number), 200))
    _assert_budget(*counts, budget=TICKET_VIEW_BUDGET if page.startswith("ticket view") else BUDGET)
    print(f"{page}: {len(counts[1])} statements (budget {BUDGET})")
    if page.startswith("queue") and "closed" not in page and "mine" not in page:
        # The larger queue lists a full page of rows (not a shortcut through an empty list).
        client = _logged_in(app, "sam@acme.test")
        assert client.get(PAGES[page].format(ticket=tagged[1])).get_data(as_text=True).count('name="tickets"') >= 20
