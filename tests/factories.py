"""The test factory: tickets and replies made through the services, as the app would make them.

Every suite uses it through the ``make`` fixture of tests/conftest.py, so a ticket made in a
test went through the same write path (transaction, history, counts, signals) as one made
through a page.
"""

import io
from dataclasses import dataclass, field

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Attachment, Department, Priority, Reply, Tenant, Ticket, User
from xobito_tickets.tickets.services import open_ticket, post_reply
from xobito_tickets.tickets.uploads import UploadedFile


@dataclass(frozen=True)
class MadeTicket:
    """A ticket the factory opened: its display number, row id, tenant and attachments at the time."""

    number: str
    id: int
    tenant_id: int
    attachment_ids: list = field(default_factory=list)


def _uploads(files):
    return [UploadedFile(name, kind, io.BytesIO(data), len(data)) for name, kind, data in files]


class Factory:
    """Open tickets and post replies through the services; read back what they stored."""

    def __init__(self, app, world):
        self.app = app
        self.world = world

    def ticket(
        self,
        requester_id=None,
        department_id=None,
        subject="Printer on fire",
        body="It is on fire.",
        priority=Priority.MEDIUM,
        files=(),
        tenant="acme",
    ):
        """Open a ticket in ``tenant`` (by default Carla's, or Globex's customer's, in Support)."""
        world = self.world
        if requester_id is None:
            requester_id = world.customer_id if tenant == "acme" else world.globex_customer_id
        if department_id is None:
            department_id = world.support_id if tenant == "acme" else world.globex_support_id
        with self.app.test_request_context():
            requester = session.get(User, requester_id)
            department = session.get(Department, department_id)
            ticket = open_ticket(
                requester.tenant, requester, department, subject, body, priority=priority, files=_uploads(files)
            )
            made = MadeTicket(
                number=ticket.display_number,
                id=ticket.id,
                tenant_id=ticket.tenant_id,
                attachment_ids=self._attachment_ids(ticket.id),
            )
            session.remove()
        return made

    def reply(self, number, author_id, body="Thanks, looking into it.", files=(), tenant="acme"):
        """Post a reply as ``author_id`` on ticket ``number`` of ``tenant``; return the reply id."""
        with self.app.test_request_context():
            author = session.get(User, author_id)
            reply_id = post_reply(self.get(number, tenant), author, body, files=_uploads(files)).id
            session.remove()
        return reply_id

    def get(self, number, tenant="acme"):
        """Return the ticket row numbered ``number`` in ``tenant`` (in the current app context)."""
        return session.scalar(
            sa.select(Ticket)
            .join(Tenant, Tenant.id == Ticket.tenant_id)
            .where(Tenant.slug == tenant, Ticket.number == int(number[4:]))
        )

    def ticket_state(self, number, tenant="acme"):
        """Return (status, number of replies, number of attachments) of a ticket."""
        with self.app.app_context():
            ticket = self.get(number, tenant)
            replies = session.scalar(sa.select(sa.func.count()).select_from(Reply).where(Reply.ticket_id == ticket.id))
            files = session.scalar(
                sa.select(sa.func.count()).select_from(Attachment).where(Attachment.ticket_id == ticket.id)
            )
            return ticket.status, replies, files

    def attachment_ids(self, number, tenant="acme"):
        """Return the attachment ids of a ticket, oldest first."""
        with self.app.app_context():
            return self._attachment_ids(self.get(number, tenant).id)

    @staticmethod
    def _attachment_ids(ticket_id):
        return list(
            session.scalars(sa.select(Attachment.id).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id))
        )
