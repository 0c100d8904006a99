"""Tables of the helpdesk. Every tenant-owned row carries ``tenant_id``."""

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base


def utcnow():
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _created_at(context):
    """The ``created_at`` of the row being inserted (a column default)."""
    return context.get_current_parameters().get("created_at") or utcnow()


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored without zone and always handed back as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=UTC)
        return value


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def label(self):
        return self.value.capitalize()


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"

    @property
    def label(self):
        return self.value.capitalize()


class Priority(enum.IntEnum):
    """Ticket priority; the integer order is the triage order."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    URGENT = 4

    @property
    def key(self):
        return self.name.lower()

    @property
    def label(self):
        return self.name.capitalize()

    @classmethod
    def from_key(cls, key):
        """Return the priority named ``key`` (``"low"`` …), or None."""
        try:
            return cls[str(key).upper()]
        except KeyError:
            return None


#: The lifecycle of SPEC §4: (status, action) -> new status. An action that is not
#: in the table is refused. ``staff_reply`` is a reply by staff or an admin.
TRANSITIONS = {
    (TicketStatus.OPEN, "staff_reply"): TicketStatus.ANSWERED,
    (TicketStatus.ANSWERED, "staff_reply"): TicketStatus.ANSWERED,
    (TicketStatus.OPEN, "customer_reply"): TicketStatus.OPEN,
    (TicketStatus.ANSWERED, "customer_reply"): TicketStatus.ANSWERED,
    (TicketStatus.OPEN, "close"): TicketStatus.CLOSED,
    (TicketStatus.ANSWERED, "close"): TicketStatus.CLOSED,
    (TicketStatus.CLOSED, "reopen"): TicketStatus.OPEN,
}


def format_ticket_number(number):
    """Return the display form of a ticket number: ``TKT-000042``."""
    return f"TKT-{number:06d}"


#: The largest ticket number the ``number`` column (a 32-bit INTEGER) can hold; a larger
#: one in a URL or a search is no ticket (PostgreSQL would refuse to compare it).
MAX_TICKET_NUMBER = 2**31 - 1

#: The largest row id (``id`` columns are 32-bit INTEGERs). An id past it, typed into a
#: URL or a form, is no row: check it before a query, as PostgreSQL refuses the comparison.
MAX_ROW_ID = 2**31 - 1


def parse_ticket_number(text):
    """Return the integer of ``TKT-000042``, or None if ``text`` is not one."""
    text = str(text or "")
    if not text.startswith("TKT-"):
        return None
    digits = text[4:]
    if not (6 <= len(digits) <= 12) or not digits.isascii() or not digits.isdigit():
        return None
    number = int(digits)
    if number > MAX_TICKET_NUMBER or format_ticket_number(number) != text:
        return None
    return number


class Tenant(Base):
    __tablename__ = "tickets_tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    allow_signup: Mapped[bool] = mapped_column(default=True)
    #: Staff and admins must use two-factor login (auth/twofactor.py) before any staff page.
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The language whose stemming search uses on PostgreSQL (``english``, ``german`` …,
    #: see ``search.schema.LANGUAGES``); None: TICKETS_SEARCH_LANGUAGE.
    search_language: Mapped[str | None] = mapped_column(sa.String(32))

    def __repr__(self):
        return f"<Tenant {self.slug}>"


department_members = sa.Table(
    "tickets_department_members",
    Base.metadata,
    sa.Column("department_id", sa.ForeignKey("tickets_departments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("tickets_users.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_tickets_department_members_user_id", "user_id"),
)


class User(UserMixin, Base):
    """A person of one tenant: a customer, staff member or admin.

    In the standalone app this is the login account (``password_hash``). An embedding
    host keeps its own users; the module then keeps one row here per host user it has
    seen (``external_id``), with no password, so tickets can name people and the
    queue can search them.
    """

    __tablename__ = "tickets_users"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "email", name="uq_tickets_users_tenant_email"),
        sa.UniqueConstraint("tenant_id", "external_id", name="uq_tickets_users_tenant_external"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.CUSTOMER.value)
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    external_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The person's language (``"de"``) and IANA time zone; None: the browser's / the default.
    language: Mapped[str | None] = mapped_column(sa.String(16))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    #: Notification kinds (``"ticket_created"`` …) a staff member chose not to receive.
    muted_notifications: Mapped[list | None] = mapped_column(sa.JSON)
    #: When the pending invitation (or sign-up) link was sent; resending or revoking it changes
    #: this, which voids older links. None: no invitation pending.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: TOTP secret, encrypted (auth/secretbox.py: a Fernet token, never the plain secret);
    #: confirmed when ``totp_confirmed_at`` is set; the last accepted time step keeps a code
    #: from being used twice.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    # Loaded on access, not joined: in a request the tenant is already in the session
    # (identity map), so ``user.tenant`` costs no query. Joined, it was nested inside
    # the outer joins of Ticket.requester / Reply.author, and SQLite then materialised
    # the whole users table on every ticket page (10 ms per query at 1,000 users).
    tenant: Mapped[Tenant] = relationship()
    departments: Mapped[list["Department"]] = relationship(
        secondary=department_members, back_populates="members", order_by="Department.name"
    )

    @property
    def is_staff(self):
        """True for staff and admins."""
        return self.role in (Role.STAFF.value, Role.ADMIN.value)

    @property
    def is_admin(self):
        return self.role == Role.ADMIN.value

    @property
    def role_label(self):
        return Role(self.role).label

    @property
    def has_two_factor(self):
        """True once the person confirmed a TOTP authenticator."""
        return self.totp_confirmed_at is not None and bool(self.totp_secret)

    # Flask-Login's UserMixin (the standalone login uses these rows directly); a
    # deactivated person is no active user.
    @property
    def is_active(self):
        return self.active

    def __repr__(self):
        return f"<User {self.email} ({self.role})>"


class LoginSession(Base):
    """A server-side record of a standalone login; logout deletes it."""

    __tablename__ = "tickets_login_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class LoginFailure(Base):
    """One failed login, counted per account and per client address."""

    __tablename__ = "tickets_login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.Index("ix_tickets_login_failures_key_created", "key", "created_at"),)


class Department(Base):
    __tablename__ = "tickets_departments"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name", name="uq_tickets_departments_tenant_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(
        secondary=department_members, back_populates="departments", order_by=[User.name, User.id]
    )

    def __repr__(self):
        return f"<Department {self.name}>"


class TicketCounter(Base):
    """The last ticket number given out in a tenant (one row per tenant)."""

    __tablename__ = "tickets_counters"

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class QueueCount(Base):
    """How many tickets of a tenant have one department, assignee, priority and status.

    The services keep it in step with ``tickets_tickets`` in the same transaction
    (:mod:`xobito_tickets.queuecounts`), so the queue's status tabs are a ``SUM`` over
    a few hundred rows instead of a count over every ticket of the tenant.
    ``assignee_id`` is 0 for unassigned tickets: a primary key column cannot be NULL.
    No foreign keys on department and assignee: rows left at 0 must not stop a
    department from being deleted.
    """

    __tablename__ = "tickets_queue_counts"

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    assignee_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    priority: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)
    #: Of those ``n``, how many have the customer's message last (``last_message_by``):
    #: the Answered tickets that still need a reply.
    waiting: Mapped[int] = mapped_column(default=0, server_default="0")


class Ticket(Base):
    __tablename__ = "tickets_tickets"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "number", name="uq_tickets_tickets_tenant_number"),
        # The list pages: newest activity first, within the tenant, per customer, per
        # department, per assignee, per status; ``id`` breaks ties for keyset paging.
        # The activity index also carries every column the staff queue filters and
        # searches on (not the body), so a filtered or searched page, and its status
        # counts, scan this index instead of reading whole rows.
        sa.Index(
            "ix_tickets_tickets_activity",
            "tenant_id",
            "last_reply_at",
            "id",
            "status",
            "priority",
            "department_id",
            "assignee_id",
            "requester_id",
            "number",
            "subject",
        ),
        sa.Index("ix_tickets_tickets_requester_activity", "tenant_id", "requester_id", "last_reply_at", "id"),
        sa.Index("ix_tickets_tickets_department_activity", "tenant_id", "department_id", "last_reply_at", "id"),
        # Trailing department and status: a staff member's tickets assigned outside
        # their departments are counted from this index alone (the queue's tabs).
        sa.Index(
            "ix_tickets_tickets_assignee_activity",
            "tenant_id",
            "assignee_id",
            "last_reply_at",
            "id",
            "department_id",
            "status",
        ),
        sa.Index("ix_tickets_tickets_status_activity", "tenant_id", "status", "last_reply_at", "id"),
        sa.Index("ix_tickets_tickets_priority_activity", "tenant_id", "priority", "last_reply_at", "id"),
        sa.Index("ix_tickets_tickets_created", "tenant_id", "created_at", "id"),
        # The staff queue's status counts: a staff member's departments are counted
        # from this index alone, without reading the tickets. Ordered by activity after the
        # status, it also reads one department's tickets of a status newest first (the
        # queue's filters, the CSV export) without visiting the other statuses' rows.
        sa.Index(
            "ix_tickets_tickets_department_status_activity",
            "tenant_id",
            "department_id",
            "status",
            "last_reply_at",
            "id",
        ),
        # The Overdue tab, sort by due and the SLA warning job (xobito_tickets.sla).
        sa.Index("ix_tickets_tickets_due", "tenant_id", "due_at", "id"),
        sa.Index("ix_tickets_tickets_warn", "sla_warn_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    number: Mapped[int] = mapped_column()
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_departments.id"))
    priority: Mapped[int] = mapped_column(sa.SmallInteger, default=Priority.MEDIUM.value)
    status: Mapped[str] = mapped_column(sa.String(16), default=TicketStatus.OPEN.value)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_users.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_reply_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when this ticket was merged into another: its page and later email replies lead there.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets_tickets.id"))
    # Service levels (xobito_tickets.sla keeps these in the change's transaction).
    #: The first public staff reply.
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: None while the clock is paused (waiting on the customer) or stopped (Closed).
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The earliest pending due time of the two (None: nothing due); the Overdue tab and sort=due.
    #: A due time set by hand (``due_override_at``) takes its place until it is cleared.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A due time staff set by hand; the SLA clock's recomputations leave it alone until cleared.
    due_override_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the warning before ``due_at`` is due (the tenant's lead time earlier, in business time).
    sla_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Business seconds counted while waiting on staff, up to ``sla_clock_started_at``.
    sla_used_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    #: When the clock last started running; None while paused or stopped. A new ticket's clock
    #: starts at its creation, written with the row itself.
    sla_clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=_created_at)
    #: Who wrote the newest customer-facing message: "customer" (the body or a customer
    #: reply) or "staff". Notes do not count. The queue's "Needs reply" tab reads it.
    last_message_by: Mapped[str] = mapped_column(sa.String(16), default="customer", server_default="customer")

    department: Mapped[Department] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    #: The customer-facing replies only (``kind == "reply"``): safe to hand to a portal
    #: page or a customer's email. The staff thread, notes included, is ``messages``.
    replies: Mapped[list["Reply"]] = relationship(
        primaryjoin="and_(Ticket.id == Reply.ticket_id, Reply.kind == 'reply')",
        order_by="Reply.created_at, Reply.id",
        viewonly=True,
    )
    #: Every message of the staff thread, replies and internal notes, oldest first.
    messages: Mapped[list["Reply"]] = relationship(
        back_populates="ticket", order_by="Reply.created_at, Reply.id", viewonly=True
    )

    @property
    def display_number(self):
        return format_ticket_number(self.number)

    @property
    def status_enum(self):
        return TicketStatus(self.status)

    @property
    def priority_enum(self):
        return Priority(self.priority)

    @property
    def is_closed(self):
        return self.status == TicketStatus.CLOSED.value

    def __repr__(self):
        return f"<Ticket {self.display_number}>"


class MessageKind(enum.StrEnum):
    """What a row of ``tickets_replies`` is: a reply the customer sees, or a staff-only note."""

    REPLY = "reply"
    NOTE = "note"


class Reply(Base):
    """A message of the thread after the ticket's body.

    ``kind`` is "reply" (customer-facing) or "note" (internal, staff only). Anything a
    customer or a CC can reach selects ``kind == "reply"`` at the query level.
    """

    __tablename__ = "tickets_replies"
    __table_args__ = (sa.Index("ix_tickets_replies_ticket_created", "ticket_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tickets.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(16), default=MessageKind.REPLY.value, server_default="reply")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[User] = relationship()

    @property
    def is_note(self):
        return self.kind == MessageKind.NOTE.value


class Attachment(Base):
    """A stored file; ``reply_id`` is None for files sent with the ticket itself."""

    __tablename__ = "tickets_attachments"
    __table_args__ = (sa.Index("ix_tickets_attachments_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tickets.id"))
    reply_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets_replies.id"))
    uploader_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_users.id"))
    storage_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketEvent(Base):
    """One line of a ticket's history: who did what, and when."""

    __tablename__ = "tickets_events"
    __table_args__ = (sa.Index("ix_tickets_events_ticket_created", "ticket_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tickets.id"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets_users.id"))
    #: created, replied, status, assigned, department, priority
    kind: Mapped[str] = mapped_column(sa.String(32))
    old_value: Mapped[str | None] = mapped_column(sa.String(255))
    new_value: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(Base):
    """An email waiting to be sent, written in the transaction of the change."""

    __tablename__ = "tickets_outbox"
    __table_args__ = (
        sa.Index("ix_tickets_outbox_due", "status", "next_attempt_at", "id"),
        sa.Index("ix_tickets_outbox_tenant", "tenant_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets_tenants.id"))
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets_tickets.id"))
    #: ticket_created, ticket_receipt, reply_posted, ticket_closed, ticket_reopened,
    #: ticket_assigned, note_mention, password_reset
    kind: Mapped[str] = mapped_column(sa.String(32))
    recipient_email: Mapped[str] = mapped_column(sa.String(254))
    recipient_name: Mapped[str] = mapped_column(sa.String(200), default="")
    subject: Mapped[str] = mapped_column(sa.String(500))
    #: What the templates need, frozen at the time of the change.
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    message_id: Mapped[str] = mapped_column(sa.String(255))
    thread_id: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
