"""Ticket list queries: filters from the URL and keyset (cursor) pagination.

Keyset paging keeps a deep page as fast as the first: the database seeks to the
cursor in the sort index instead of counting past ``OFFSET`` rows.
"""

import base64
import binascii
import dataclasses
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from ..db import session
from ..i18n.setup import lazy_gettext as _l
from ..models import (
    MAX_TICKET_NUMBER,
    Priority,
    Ticket,
    TicketStatus,
    User,
    UTCDateTime,
    format_ticket_number,
)
from ..search import Scope, filter_groups, match_clause, number_clause, search, snippets_from, with_texts
from ..search import parse as parse_search
from ..web.forms import parse_row_id

#: sort key -> the columns it orders by, all descending; ``id`` always breaks ties.
#: A due time later than any real one: tickets with nothing due sort after every due ticket.
NOTHING_DUE = datetime(9999, 1, 1, tzinfo=UTC)

SORTS = {
    "activity": (Ticket.last_reply_at, Ticket.id),
    "priority": (Ticket.priority, Ticket.last_reply_at, Ticket.id),
    "created": (Ticket.created_at, Ticket.id),
    "due": (sa.func.coalesce(Ticket.due_at, sa.literal(NOTHING_DUE, UTCDateTime())).label("due_sort"), Ticket.id),
}
SORT_LABELS = {"activity": _l("Last activity"), "priority": _l("Priority"), "created": _l("Created"), "due": _l("Due")}
#: Sorts whose first page starts at the smallest value (the soonest due time).
ASCENDING_SORTS = {"due"}

#: A search word that names a ticket: ``TKT-000042``, ``#42`` (number only) or
#: plain digits ``000042`` / ``42`` (the number, or the digits in a subject or name).
_NUMBER_WORD = re.compile(r"^(TKT-|#)?([0-9]{1,12})$", re.IGNORECASE)


def parse_number_query(text):
    """Return the ticket number that ``text`` names (``TKT-000042``, ``#42``, ``000042``, ``42``), or None."""
    match = _NUMBER_WORD.match((text or "").strip())
    if match is None:
        return None
    number = int(match.group(2))
    return number if 0 < number <= MAX_TICKET_NUMBER else None


@dataclass
class TicketFilters:
    """The list filters of SPEC §10, parsed leniently: what is not understood is ignored."""

    statuses: list = field(default_factory=list)
    priorities: list = field(default_factory=list)
    department_id: int | None = None
    assignee: str | None = None  # "me", "none" or a user id (staff queue only)
    q: str = ""
    sort: str = "activity"

    @classmethod
    def from_args(cls, args, departments=(), staff=(), allow_staff_filters=False):
        """Build filters from request args; unknown values are dropped."""
        statuses = []
        for value in args.getlist("status"):
            if value in TicketStatus._value2member_map_ and value not in statuses:
                statuses.append(value)
        priorities = []
        for value in args.getlist("priority"):
            priority = Priority.from_key(value)
            if priority is not None and priority not in priorities:
                priorities.append(priority)
        department_id = None
        raw = args.get("department", "")
        if parse_row_id(raw) in {d.id for d in departments}:
            department_id = int(raw)
        filters = cls(statuses=statuses, priorities=priorities, department_id=department_id)
        filters.q = " ".join(args.get("q", "").split())[:200]
        if allow_staff_filters:
            raw = args.get("assignee", "")
            if raw in ("me", "none") or parse_row_id(raw) in {u.id for u in staff}:
                filters.assignee = raw
            sort = args.get("sort", "activity")
            filters.sort = sort if sort in SORTS else "activity"
        return filters

    @property
    def search_query(self):
        """The search box's text as a :class:`~xobito_tickets.search.SearchQuery`."""
        return parse_search(self.q)

    def is_ranked(self):
        """True when the search has words: the list is then ranked by :func:`xobito_tickets.search.search`."""
        return bool(self.q) and self.search_query.has_words

    def conditions(self, user=None, table=Ticket, words=True):
        """Return the SQL conditions of these filters, on ``Ticket`` or on ``QueueCount``.

        ``QueueCount`` has no search: count a search from the tickets. ``words=False``
        leaves the search's words out (the ranked search applies them itself).
        """
        conds = []
        if self.statuses:
            conds.append(table.status.in_(self.statuses))
        if self.priorities:
            conds.append(table.priority.in_([int(p) for p in self.priorities]))
        if self.department_id is not None:
            conds.append(table.department_id == self.department_id)
        if self.assignee == "me" and user is not None:
            conds.append(table.assignee_id == user.id)
        elif self.assignee == "none":
            # QueueCount records an unassigned ticket under assignee 0.
            conds.append(table.assignee_id.is_(None) if table is Ticket else table.assignee_id == 0)
        elif self.assignee and self.assignee.isdigit():
            conds.append(table.assignee_id == int(self.assignee))
        if self.q and user is not None:
            if table is not Ticket:
                raise ValueError("a search is counted from the tickets")
            query = self.search_query
            numbers = number_clause(query)
            if numbers is not None:
                conds.append(numbers)
            if words and query.has_words:
                conds.append(match_clause(query, Scope.of(user, sa.true())))
        return conds

    def search_groups(self, user):
        """Return these filters but the status as the search index's token groups (see ``search.filters``)."""
        assignee_id = None
        if self.assignee == "me" and user is not None:
            assignee_id = user.id
        elif self.assignee == "none":
            assignee_id = 0
        elif self.assignee and self.assignee.isdigit():
            assignee_id = int(self.assignee)
        return filter_groups(department_id=self.department_id, assignee_id=assignee_id, priorities=self.priorities)

    def is_active(self):
        return bool(self.statuses or self.priorities or self.department_id or self.assignee or self.q)

    def query_args(self, **overrides):
        """Return the filters as URL query arguments (for links that keep them)."""
        args = {
            "status": list(self.statuses),
            "priority": [p.key for p in self.priorities],
        }
        if self.department_id is not None:
            args["department"] = self.department_id
        if self.assignee:
            args["assignee"] = self.assignee
        if self.q:
            args["q"] = self.q
        if self.sort != "activity":
            args["sort"] = self.sort
        args.update(overrides)
        return {k: v for k, v in args.items() if v not in (None, "", [])}


def _encode_value(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return "t" + str(int(value.timestamp() * 1_000_000))
    return "i" + str(int(value))


def _decode_value(text):
    kind, digits = text[:1], text[1:]
    if not digits.lstrip("-").isdigit() or len(digits) > 20:
        raise ValueError(text)
    number = int(digits)
    if kind == "t":
        return datetime.fromtimestamp(number / 1_000_000, UTC).replace(tzinfo=None)
    if kind == "i":
        if abs(number) >= 2**63:
            raise ValueError(text)
        return number
    raise ValueError(text)


def encode_cursor(ticket, sort):
    """Return the opaque cursor that points at ``ticket`` in ``sort`` order."""
    values = [getattr(ticket, column.key) for column in SORTS[sort]]
    raw = "~".join(_encode_value(v) for v in values)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor, sort):
    """Return the values of ``cursor``, or None if it is not one of ours."""
    if not cursor or len(cursor) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        values = [_decode_value(part) for part in raw.split("~")]
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
        return None
    if len(values) != len(SORTS[sort]):
        return None
    # Each value must have its column's kind: a time where a time is sorted on.
    for value, column in zip(values, SORTS[sort], strict=True):
        if isinstance(value, datetime) != isinstance(column.type, UTCDateTime):
            return None
    return values


class Person:
    """The name and email of a ticket's requester or assignee on a list row."""

    __slots__ = ("id", "name", "email")

    def __init__(self, id, name, email):  # noqa: A002 (the column's name)
        self.id, self.name, self.email = id, name, email


class TicketRow:
    """One ticket of a list page: the columns a list shows, read without the ORM.

    Loading 25 ``Ticket`` objects cost three times the query itself; a row carries
    the same attribute names a list template uses (``display_number``, ``subject``,
    ``department_id``, ``priority_enum``, ``status``, ``last_reply_at``,
    ``created_at``, ``last_message_by``, and with people ``requester`` and ``assignee``).
    """

    __slots__ = (
        "id",
        "number",
        "subject",
        "department_id",
        "priority",
        "status",
        "requester_id",
        "assignee_id",
        "created_at",
        "last_reply_at",
        "due_at",
        "sla_warn_at",
        "last_message_by",
        "requester",
        "assignee",
    )

    def __init__(self, row, with_people):
        (
            self.id,
            self.number,
            self.subject,
            self.department_id,
            self.priority,
            self.status,
            self.requester_id,
            self.assignee_id,
            self.created_at,
            self.last_reply_at,
            self.due_at,
            self.sla_warn_at,
            self.last_message_by,
        ) = row[:13]
        if with_people:
            self.requester = Person(self.requester_id, row[13], row[14])
            self.assignee = Person(self.assignee_id, row[15], row[16]) if self.assignee_id is not None else None
        else:
            self.requester = self.assignee = None

    @property
    def display_number(self):
        return format_ticket_number(self.number)

    @property
    def priority_enum(self):
        return _PRIORITIES[self.priority]

    @property
    def is_closed(self):
        return self.status == TicketStatus.CLOSED.value

    @property
    def due_sort(self):
        """The value the ``due`` sort orders by (its cursor)."""
        return self.due_at if self.due_at is not None else NOTHING_DUE


_PRIORITIES = {int(p): p for p in Priority}
_ROW_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.subject,
    Ticket.department_id,
    Ticket.priority,
    Ticket.status,
    Ticket.requester_id,
    Ticket.assignee_id,
    Ticket.created_at,
    Ticket.last_reply_at,
    Ticket.due_at,
    Ticket.sla_warn_at,
    Ticket.last_message_by,
)
_REQUESTER = aliased(User, name="requester")
_ASSIGNEE = aliased(User, name="assignee")


@dataclass
class Page:
    items: list
    next_cursor: str | None
    prev_cursor: str | None
    is_first: bool
    #: The :class:`~xobito_tickets.search.SearchPage` when the list was ranked by a search.
    search: object = None

    @property
    def snippets(self):
        """``{ticket id: Snippet}`` of a ranked search, else empty."""
        return self.search.snippets if self.search is not None else {}


@lru_cache(maxsize=2)
def _row_statement(with_people):
    # The same two statements on every list page: built once (a statement is immutable;
    # ``where`` and ``order_by`` return new ones).
    stmt = sa.select(*_ROW_COLUMNS)
    if with_people:
        stmt = (
            stmt.add_columns(_REQUESTER.name, _REQUESTER.email, _ASSIGNEE.name, _ASSIGNEE.email)
            .outerjoin(_REQUESTER, _REQUESTER.id == Ticket.requester_id)
            .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Ticket.assignee_id)
        )
    return stmt


def _ranked_page(visibility, filters, cursor, before, per_page, user, with_people):
    """Return the page of a search with words: best match first (:func:`xobito_tickets.search.search`)."""
    others = dataclasses.replace(filters, statuses=[])
    scope = Scope.of(user, visibility)
    found = search(
        filters.search_query,
        scope,
        others.conditions(user, words=False),
        filters.statuses,
        cursor=cursor,
        before=before,
        per_page=per_page,
        limit=current_app.config["TICKETS_SEARCH_LIMIT"],
        groups=others.search_groups(user),
        texts=False,
        # The lists show the total alone, not each status's count: a status chosen is read alone.
        counts=False,
    )
    rows = {}
    if found.ids:
        # The rows and their snippets' texts in one statement.
        statement = with_texts(_row_statement(with_people), scope.staff).where(Ticket.id.in_(found.ids))
        texts = []
        # Core rows (the columns' types still apply): no ORM result processing for plain
        # columns. The connection does not flush the session as ``session.execute`` would.
        if session.autoflush:
            session.flush()
        for row in session.connection().execute(statement):
            rows[row[0]] = TicketRow(row, with_people)
            texts.append((row[0], row[-2], row[-1]))
        found.snippets = snippets_from(filters.search_query, texts, scope.staff)
    return Page(
        items=[rows[ticket_id] for ticket_id in found.ids if ticket_id in rows],
        next_cursor=found.next_cursor,
        prev_cursor=found.prev_cursor,
        is_first=found.is_first,
        search=found,
    )


def paginate_tickets(visibility, filters, cursor=None, before=None, per_page=25, user=None, with_people=False):
    """Return one page of :class:`TicketRow` matching ``visibility`` and the filters.

    ``with_people``: each row also names its requester and assignee (the staff queue).
    A search with words is ranked by relevance instead of sorted (see :mod:`xobito_tickets.search`).
    """
    if filters.is_ranked() and user is not None:
        return _ranked_page(visibility, filters, cursor, before, per_page, user, with_people)
    sort = filters.sort if filters.sort in SORTS else "activity"
    columns = SORTS[sort]
    stmt = _row_statement(with_people).where(visibility, *filters.conditions(user))
    going_back = False
    # Lists read newest first (descending); the due sort reads soonest first.
    ascending = sort in ASCENDING_SORTS
    values = decode_cursor(before, sort) if before else None
    if values is not None:
        going_back = True
        earlier = sa.tuple_(*columns) < sa.tuple_(*values) if ascending else sa.tuple_(*columns) > sa.tuple_(*values)
        stmt = stmt.where(earlier).order_by(*[c.desc() if ascending else c.asc() for c in columns])
    else:
        values = decode_cursor(cursor, sort) if cursor else None
        if values is not None:
            later = sa.tuple_(*columns) > sa.tuple_(*values) if ascending else sa.tuple_(*columns) < sa.tuple_(*values)
            stmt = stmt.where(later)
        stmt = stmt.order_by(*[c.asc() if ascending else c.desc() for c in columns])
    rows = [TicketRow(row, with_people) for row in session.execute(stmt.limit(per_page + 1))]
    more = len(rows) > per_page
    rows = rows[:per_page]
    if going_back:
        rows.reverse()
        next_cursor = encode_cursor(rows[-1], sort) if rows else None
        prev_cursor = encode_cursor(rows[0], sort) if rows and more else None
        is_first = not more
    else:
        next_cursor = encode_cursor(rows[-1], sort) if rows and more else None
        is_first = values is None
        prev_cursor = encode_cursor(rows[0], sort) if rows and not is_first else None
    return Page(items=rows, next_cursor=next_cursor, prev_cursor=prev_cursor, is_first=is_first)
