"""The search index's document table: one row per ticket, the text that search reads.

The database-specific index over it (an FTS5 table on SQLite, a weighted ``tsvector`` column
with a GIN index on PostgreSQL) is made by :mod:`.schema`, not declared here, so the models
stay the same on both databases.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..models import Ticket


class SearchDocument(Base):
    """The searchable text of one ticket, split by who may find it.

    ``subject`` and ``public_text`` (the number, body, customer-facing replies, the
    customer's name and email) are what a customer's search reads; ``staff_text`` (the
    internal notes) only staff search reads. ``filter_text`` holds the ticket's tenant,
    status, department, assignee, requester, priority and id range as tokens (see
    :mod:`.filters`) that no typed word can match: a filtered search is one probe of the
    index. Kept in the transaction of every change.
    """

    __tablename__ = "tickets_search_documents"
    __table_args__ = (sa.Index("ix_tickets_search_documents_tenant", "tenant_id", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets_tickets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    public_text: Mapped[str] = mapped_column(sa.Text, default="")
    staff_text: Mapped[str] = mapped_column(sa.Text, default="")
    filter_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


#: A search reads the index newest ticket first and checks each match against the
#: person's visibility and the filters. This index answers that check by ticket id from
#: a few bytes per ticket, instead of reading each whole ticket row (subject and body).
SEARCH_PROBE_INDEX = sa.Index(
    "ix_tickets_tickets_search_probe",
    Ticket.id,
    Ticket.tenant_id,
    Ticket.department_id,
    Ticket.assignee_id,
    Ticket.requester_id,
    Ticket.status,
    Ticket.priority,
)
