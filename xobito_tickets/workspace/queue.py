"""The staff queue's views (tabs), its tag filter, and the tab counts read from the counts table.

A tab is a named condition on the tickets plus, when the counts table can answer it,
a ``SUM`` over ``tickets_queue_counts``. Another feature adds a tab with
:func:`register_tab` (the service-level feature adds "Overdue" after "Unassigned").
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import gettext as _

from ..db import session
from ..i18n.labels import priority_label, status_label
from ..i18n.setup import lazy_gettext as _l
from ..models import QueueCount, Ticket, TicketStatus
from ..tickets.access import visible_counts_clause, visible_tickets_clause
from ..tickets.listing import TicketFilters
from .models import Tag, TicketTag
from .tagtext import TagError, clean_tag

OPEN, ANSWERED, CLOSED = (s.value for s in TicketStatus)


@dataclass(frozen=True)
class Tab:
    """One queue view: ``where(user)`` selects its tickets; ``tally(user)`` sums its count from QueueCount.

    ``tally`` None: the count is taken from the tickets with ``COUNT(*)`` (one more query).
    """

    key: str
    label: str
    where: Callable
    tally: Callable | None = None


def _sum(condition, column=QueueCount.n):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, column), else_=0)), 0)


TABS = {}


def register_tab(tab, after=None):
    """Add ``tab`` to the queue's tabs, after the tab keyed ``after`` (else at the end, before "All")."""
    items = [item for item in TABS.items() if item[0] != tab.key]
    keys = [key for key, _tab in items]
    if after in keys:
        position = keys.index(after) + 1
    else:
        position = keys.index("all") if "all" in keys else len(items)
    items.insert(position, (tab.key, tab))
    TABS.clear()
    TABS.update(items)


@lru_cache(maxsize=1)
def needs_reply_clause():
    """Open tickets, and Answered ones whose last customer-facing message is the customer's.

    Built once: it is the default tab's condition, on every queue page.
    """
    return sa.or_(
        Ticket.status == OPEN,
        sa.and_(Ticket.status == ANSWERED, Ticket.last_message_by == "customer"),
    )


for _tab in (
    Tab(
        "needs_reply",
        _l("Needs reply"),
        lambda user: needs_reply_clause(),
        lambda user: _sum(QueueCount.status == OPEN) + _sum(QueueCount.status == ANSWERED, QueueCount.waiting),
    ),
    Tab(
        "mine",
        _l("Mine"),
        lambda user: sa.and_(Ticket.assignee_id == user.id, Ticket.status != CLOSED),
        lambda user: _sum(sa.and_(QueueCount.assignee_id == user.id, QueueCount.status != CLOSED)),
    ),
    Tab(
        "unassigned",
        _l("Unassigned"),
        lambda user: sa.and_(Ticket.assignee_id.is_(None), Ticket.status != CLOSED),
        lambda user: _sum(sa.and_(QueueCount.assignee_id == 0, QueueCount.status != CLOSED)),
    ),
    Tab(
        "open",
        _l("All open"),
        lambda user: Ticket.status != CLOSED,
        lambda user: _sum(QueueCount.status != CLOSED),
    ),
    Tab("closed", _l("Closed"), lambda user: Ticket.status == CLOSED, lambda user: _sum(QueueCount.status == CLOSED)),
    Tab("all", _l("All"), lambda user: sa.true(), lambda user: _sum(sa.true())),
):
    register_tab(_tab)

#: The tab of a queue URL that names no tab and no filter.
DEFAULT_TAB = "needs_reply"
#: The URL parameters that are filters: naming any of them leaves the default tab.
FILTER_NAMES = ("status", "priority", "department", "assignee", "q", "tag")
#: At most this many ``tag`` filters are read from a URL.
MAX_TAG_FILTERS = 10


#: The tab counts' statement per person and set of tabs (see :func:`_counts_statement`).
_COUNTS_STATEMENTS = {}


def _counts_statement(user, tabs):
    """Return the one statement summing the counts of ``tabs`` for ``user``, built once per person.

    Its expression (a ``CASE`` per tab over the counts table, the visibility rule) depends
    only on who asks: building it anew on every request cost a fifth of the queue page,
    and a statement object used again also keeps its SQLAlchemy cache key. What changes
    with time (the Overdue tab's "now") is a bound parameter evaluated at execution.
    """
    key = (user.is_admin, user.is_staff, user.tenant_id, user.id, tabs)
    statement = _COUNTS_STATEMENTS.get(key)
    if statement is None:
        if len(_COUNTS_STATEMENTS) >= 4096:
            _COUNTS_STATEMENTS.clear()
        statement = sa.select(*[tab.tally(user).label(tab.key) for tab in tabs]).where(visible_counts_clause(user))
        _COUNTS_STATEMENTS[key] = statement
    return statement


def tab_counts(user):
    """Return ``{tab key: count}`` over every ticket ``user`` may see, in one query where possible."""
    summed = tuple(tab for tab in TABS.values() if tab.tally is not None)
    counts = {}
    if summed:
        row = session.execute(_counts_statement(user, summed)).one()
        counts = {tab.key: int(value or 0) for tab, value in zip(summed, row, strict=True)}
    for key, tab in TABS.items():
        if tab.tally is None:
            counts[key] = session.scalar(
                sa.select(sa.func.count()).where(visible_tickets_clause(user), tab.where(user))
            )
    return counts


def tag_clause(tenant_id, names):
    """Return the condition "the ticket carries every tag of ``names``" (case-insensitive)."""
    conditions = []
    for name in names:
        tagged = (
            sa.select(TicketTag.ticket_id)
            .join(Tag, Tag.id == TicketTag.tag_id)
            .where(Tag.tenant_id == tenant_id, Tag.key == name.casefold(), TicketTag.tenant_id == tenant_id)
        )
        conditions.append(Ticket.id.in_(tagged))
    return sa.and_(sa.true(), *conditions)


@dataclass
class QueueFilters(TicketFilters):
    """The staff queue's filters: Part 1's, plus ``tag`` (repeatable) and the ``tab``."""

    tags: list = field(default_factory=list)
    tab: str | None = None

    @classmethod
    def from_args(cls, args, departments=(), staff=(), allow_staff_filters=True):
        """Build the queue filters; no tab and no filter in the URL means the default tab."""
        base = TicketFilters.from_args(args, departments, staff, allow_staff_filters=True)
        filters = cls(**dataclasses.asdict(base))
        for raw in args.getlist("tag")[:MAX_TAG_FILTERS]:
            try:
                name = clean_tag(raw)
            except TagError:
                continue
            if name.casefold() not in {t.casefold() for t in filters.tags}:
                filters.tags.append(name)
        tab = args.get("tab")
        if tab in TABS:
            filters.tab = tab
        elif not any(name in args for name in FILTER_NAMES):
            # A URL that names a filter, even one with a value not understood or left
            # empty, searches everything the person may see (SPEC §14).
            filters.tab = DEFAULT_TAB
        return filters

    def conditions(self, user=None, table=Ticket, words=True):
        """Return Part 1's conditions plus the tab's and the tags' (``words``: see TicketFilters.conditions)."""
        conds = super().conditions(user, table, words=words)
        if table is not Ticket:
            return conds
        if self.tab is not None and user is not None:
            conds.append(TABS[self.tab].where(user))
        if self.tags and user is not None:
            conds.append(tag_clause(user.tenant_id, self.tags))
        return conds

    def is_active(self):
        return super().is_active() or bool(self.tags)

    def query_args(self, **overrides):
        """Return filters, tab and tags as URL arguments."""
        args = super().query_args()
        if self.tags:
            args["tag"] = list(self.tags)
        if self.tab is not None and not (self.tab == DEFAULT_TAB and not self.is_active()):
            args["tab"] = self.tab
        args.update(overrides)
        return {k: v for k, v in args.items() if v not in (None, "", [])}


def _without(args, name, value=None):
    """Return ``args`` with the filter ``name`` (or one ``value`` of it) taken out."""
    rest = dict(args)
    current = rest.pop(name, None)
    if value is not None and isinstance(current, list):
        remaining = [item for item in current if str(item) != str(value)]
        if remaining:
            rest[name] = remaining
    return rest


def active_filter_chips(filters, departments=(), people=()):
    """Return ``(label, args)`` per active filter: its readable name and the queue args without it."""
    args = filters.query_args()
    chips = []
    for status in filters.statuses:
        chips.append((_("Status: %(value)s", value=status_label(status)), _without(args, "status", status)))
    for priority in filters.priorities:
        chips.append(
            (_("Priority: %(value)s", value=priority_label(priority)), _without(args, "priority", priority.key))
        )
    if filters.department_id is not None:
        name = next((d.name for d in departments if d.id == filters.department_id), "?")
        chips.append((_("Department: %(value)s", value=name), _without(args, "department")))
    if filters.assignee:
        names = {str(p.id): p.name for p in people}
        label = {"me": _("Me"), "none": _("Unassigned")}.get(filters.assignee) or names.get(filters.assignee, "?")
        chips.append((_("Assignee: %(value)s", value=label), _without(args, "assignee")))
    if filters.q:
        chips.append((_("Search: %(value)s", value=filters.q), _without(args, "q")))
    for tag in filters.tags:
        chips.append((_("Tag: %(value)s", value=tag), _without(args, "tag", tag)))
    return chips
