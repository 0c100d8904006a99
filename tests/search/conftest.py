"""Fixtures of the search suite: the conftest world with tickets whose text the tests search."""

import pytest

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, User
from xobito_tickets.search import index, results
from xobito_tickets.search.query import parse
from xobito_tickets.tickets.services import open_ticket, post_reply


@pytest.fixture(autouse=True)
def _index_receivers():
    index.connect_receivers()


class Desk:
    """Tickets made through the services (so the index is kept by the signals), by key."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.numbers = {}

    def ticket(self, key, subject, body, requester="customer", department="support", replies=(), tenant="acme"):
        with self.app.test_request_context():
            tenant_row = session.get(Tenant, getattr(self.world, tenant + "_id"))
            person = session.get(User, getattr(self.world, requester + "_id"))
            dept = session.get(Department, getattr(self.world, department + "_id"))
            ticket = open_ticket(tenant_row, person, dept, subject, body, Priority.MEDIUM)
            for author, text in replies:
                post_reply(ticket, session.get(User, getattr(self.world, author + "_id")), text)
            self.numbers[key] = ticket.number
            return ticket.id


@pytest.fixture
def desk(app, world):
    return Desk(app, world)


def scope_of(world, who):
    """Return the search :class:`~results.Scope` of ``who`` (in a request context), without the visibility's tokens."""
    from xobito_tickets.tickets.access import visible_tickets_clause

    user = session.get(User, getattr(world, who + "_id"))
    return results.Scope(
        tenant_id=user.tenant_id,
        visibility=visible_tickets_clause(user),
        staff=user.is_staff,
        configuration=index.search_configuration(user.tenant),
    )


def search(app, world, text, who="admin", conditions=(), **options):
    """Return the ticket numbers that ``who`` finds with ``text``, best first (and the page)."""
    from xobito_tickets.models import Ticket

    with app.test_request_context():
        scope = scope_of(world, who)
        query = parse(text)
        if not query.has_words:
            return [], None
        page = results.search(query, scope, conditions, **options)
        numbers = dict(session.query(Ticket.id, Ticket.number).filter(Ticket.id.in_(page.ids)).all())
        return [numbers[i] for i in page.ids], page
