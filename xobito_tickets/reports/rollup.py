"""Keep the report rollups in step with the tickets, inside each change's transaction.

Every ticket has one :class:`~.models.ReportFact` row: what it is counted as now (its
department and assignee, the day it was created and closed, its first-response and
resolution times, its rating). A change recomputes the ticket's fact, and the
difference between the old and the new fact is added to the daily counts and the
duration histograms. So a ticket moved to another department moves all its numbers
with it, and a reopened ticket is no longer counted as closed; the rollups always
equal what :func:`rebuild` computes from the tickets, and a report is a ``SUM`` over
a few rows per day instead of a scan of every ticket.

Rows written around the services (an import) are counted by :func:`rebuild`
(``flask tickets rebuild-reports``).
"""

import dataclasses
from collections import defaultdict
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .. import signals
from ..db import session
from ..models import Reply as ReplyRow
from ..models import Role, Ticket, TicketStatus, User
from ..satisfaction.models import Rating
from ..sla.clock import business_minutes
from ..sla.dues import used_seconds
from ..sla.settings import calendar_for, policy_for
from . import buckets
from .models import (
    BUCKET_COLUMNS,
    DAY_COUNTERS,
    FIRST_RESPONSE,
    GRAINS,
    RESOLUTION,
    ReportCount,
    ReportFact,
    period_start,
    report_durations,
)


class Clock:
    """How one tenant's days and durations are measured: days in the zone of its business hours,
    durations in business minutes (:mod:`xobito_tickets.sla.clock`), SLA targets per priority."""

    def __init__(self, tenant_id):
        self.tenant_id = tenant_id
        self.calendar = calendar_for(tenant_id)
        self._policies = {}

    def day(self, moment):
        """Return the report day of the aware UTC ``moment``: its date where the team works."""
        return _aware(moment).astimezone(self.calendar.zone).date()

    def minutes(self, start, end):
        """Return the business minutes from ``start`` to ``end`` (never negative)."""
        return business_minutes(self.calendar, _aware(start), _aware(end))

    def policy(self, priority):
        """Return the SLA policy of ``priority`` (cached: a rebuild asks for every ticket)."""
        if priority not in self._policies:
            self._policies[priority] = policy_for(self.tenant_id, priority)
        return self._policies[priority]

    def response_met(self, ticket, first_response_at):
        """Return whether the first response met its due time (None: no target was set)."""
        due = getattr(ticket, "first_response_due_at", None)
        if due is None or first_response_at is None:
            return None
        return _aware(first_response_at) <= _aware(due)

    def resolution_met(self, ticket):
        """Return whether a closed ticket was resolved within its target (None: no target)."""
        target = self.policy(int(ticket.priority)).resolution_minutes
        if target is None or ticket.closed_at is None:
            return None
        return used_seconds(ticket, self.calendar, _aware(ticket.closed_at)) <= target * 60


def _aware(moment):
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def clock_for(tenant_id):
    """Return the :class:`Clock` of a tenant."""
    return Clock(tenant_id)


@dataclasses.dataclass(frozen=True)
class Fact:
    """The report's view of one ticket (see :class:`~.models.ReportFact`)."""

    tenant_id: int
    department_id: int
    assignee_id: int
    created_day: date
    closed_day: date | None = None
    resolution_minutes: int | None = None
    first_response_day: date | None = None
    first_response_minutes: int | None = None
    rating: str | None = None
    rated_day: date | None = None
    response_sla_met: bool | None = None
    resolution_sla_met: bool | None = None

    @classmethod
    def from_row(cls, row):
        return cls(**{f.name: getattr(row, f.name) for f in dataclasses.fields(cls)})

    def row_values(self):
        return dataclasses.asdict(self)


def build_fact(ticket, clock, first_response_at=None, rating=None, rated_at=None, previous=None):
    """Return the :class:`Fact` of ``ticket`` now.

    ``first_response_at`` (with its SLA outcome) and the rating are kept from
    ``previous`` (the fact counted before this change) unless given.
    """
    created_at = ticket.created_at
    values = dict(
        tenant_id=ticket.tenant_id,
        department_id=ticket.department_id,
        assignee_id=ticket.assignee_id or 0,
        created_day=clock.day(created_at),
    )
    if ticket.status == TicketStatus.CLOSED.value and ticket.closed_at is not None:
        values.update(
            closed_day=clock.day(ticket.closed_at),
            resolution_minutes=clock.minutes(created_at, ticket.closed_at),
            resolution_sla_met=clock.resolution_met(ticket),
        )
    if first_response_at is not None:
        values.update(
            first_response_day=clock.day(first_response_at),
            first_response_minutes=clock.minutes(created_at, first_response_at),
            response_sla_met=clock.response_met(ticket, first_response_at),
        )
    elif previous is not None:
        values.update(
            first_response_day=previous.first_response_day,
            first_response_minutes=previous.first_response_minutes,
            response_sla_met=previous.response_sla_met,
        )
    if rating is not None:
        values.update(rating=str(rating), rated_day=clock.day(rated_at))
    elif previous is not None:
        values.update(rating=previous.rating, rated_day=previous.rated_day)
    return Fact(**values)


@dataclasses.dataclass(frozen=True)
class Timed:
    """A timed event of a ticket (its close, its first response): its :class:`Fact` fields and rollup counters."""

    #: ``metric`` of its duration histogram.
    metric: int
    #: The fact's day of the event, and its business minutes from the ticket's creation.
    day: str
    minutes: str
    #: The fact's SLA outcome, which is also the name of the day counter of "met".
    sla_met: str
    #: The day counters of the event and of "missed".
    counter: str
    sla_missed: str


#: The timed events, counted alike in the days and the histograms.
TIMED = (
    Timed(
        metric=RESOLUTION,
        day="closed_day",
        minutes="resolution_minutes",
        sla_met="resolution_sla_met",
        counter="closed",
        sla_missed="resolution_sla_missed",
    ),
    Timed(
        metric=FIRST_RESPONSE,
        day="first_response_day",
        minutes="first_response_minutes",
        sla_met="response_sla_met",
        counter="responded",
        sla_missed="response_sla_missed",
    ),
)


def contributions(fact, sign=1):
    """Return ``(day_deltas, duration_deltas)``: what ``fact`` adds to the rollups (``sign=-1``: removes)."""
    days = defaultdict(lambda: dict.fromkeys(DAY_COUNTERS, 0))
    durations = defaultdict(int)
    where = (fact.department_id, fact.assignee_id)
    days[(fact.tenant_id, fact.created_day, *where)]["created"] += sign
    for timed in TIMED:
        day = getattr(fact, timed.day)
        if day is None:
            continue
        counters = days[(fact.tenant_id, day, *where)]
        counters[timed.counter] += sign
        minutes = getattr(fact, timed.minutes)
        if minutes is not None:
            durations[(fact.tenant_id, timed.metric, day, *where, buckets.bucket_of(minutes))] += sign
        met = getattr(fact, timed.sla_met)
        if met is not None:
            counters[timed.sla_met if met else timed.sla_missed] += sign
    if fact.rating is not None and fact.rated_day is not None:
        days[(fact.tenant_id, fact.rated_day, *where)][f"rated_{fact.rating}"] += sign
    return days, durations


def difference(old, new):
    """Return the rollup deltas that turn ``old``'s contribution (None: none) into ``new``'s."""
    days, durations = contributions(new) if new is not None else ({}, {})
    days, durations = dict(days), dict(durations)
    if old is not None:
        old_days, old_durations = contributions(old, sign=-1)
        for key, counters in old_days.items():
            mine = days.setdefault(key, dict.fromkeys(DAY_COUNTERS, 0))
            for name, n in counters.items():
                mine[name] += n
        for key, n in old_durations.items():
            durations[key] = durations.get(key, 0) + n
    days = {key: counters for key, counters in days.items() if any(counters.values())}
    durations = {key: n for key, n in durations.items() if n}
    return days, durations


_COUNT_KEY = ("tenant_id", "grain", "period", "department_id", "assignee_id")
_DURATION_KEY = ("tenant_id", "grain", "period", "metric", "department_id", "assignee_id")


#: ``(table name, dialect name) ->`` the INSERT … ON CONFLICT that adds to a rollup's counters.
_UPSERTS = {}


def _upsert_statement(table, key_names, counters, dialect):
    statement = _UPSERTS.get((table.name, dialect))
    if statement is None:
        insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)
        statement = _UPSERTS[(table.name, dialect)] = insert.on_conflict_do_update(
            index_elements=list(key_names),
            set_={name: table.c[name] + insert.excluded[name] for name in counters},
        )
    return statement


def _upsert(table, key_names, rows, counters):
    """Add ``rows`` (dicts of key and counter values) to ``table``'s counters, in one executemany."""
    dialect = session.get_bind(clause=table.select()).dialect.name
    if dialect in ("sqlite", "postgresql"):
        session.execute(_upsert_statement(table, key_names, counters, dialect), rows)
        return
    for row in rows:  # Any other database: update, or insert the first count of a key.
        key = [table.c[name] == row[name] for name in key_names]
        changes = {name: table.c[name] + row[name] for name in counters}
        if session.execute(sa.update(table).where(*key).values(**changes)).rowcount == 0:
            session.execute(sa.insert(table).values(**row))


def count_rows(days, rows=None):
    """Return ``{table key: {counter: n}}``: ``days`` (``{(tenant, day, department, assignee): {counter: n}}``)
    counted in the day, week and month that hold each day, added to ``rows``."""
    rows = {} if rows is None else rows
    for (tenant_id, day, department_id, assignee_id), counters in days.items():
        for grain in GRAINS:
            key = (tenant_id, grain, period_start(grain, day), department_id, assignee_id)
            total = rows.get(key)
            if total is None:
                total = rows[key] = dict.fromkeys(DAY_COUNTERS, 0)
            for name, n in counters.items():
                total[name] += n
    return rows


def _count_dicts(rows):
    return [dict(zip(_COUNT_KEY, key, strict=True), **counters) for key, counters in sorted(rows.items())]


def histogram_rows(durations, rows=None):
    """Return ``{table key: [n per bucket]}``: ``durations`` (``{(tenant, metric, day, department,
    assignee, bucket): n}``) counted in the day, week and month that hold each day, added to ``rows``."""
    rows = {} if rows is None else rows
    for (tenant_id, metric, day, department_id, assignee_id, bucket), n in durations.items():
        for grain in GRAINS:
            key = (tenant_id, grain, period_start(grain, day), metric, department_id, assignee_id)
            counts = rows.get(key)
            if counts is None:
                counts = rows[key] = [0] * len(BUCKET_COLUMNS)
            counts[bucket] += n
    return rows


def _duration_dicts(rows):
    return [
        dict(zip(_DURATION_KEY, key, strict=True), **dict(zip(BUCKET_COLUMNS, counts, strict=True)))
        for key, counts in sorted(rows.items())
    ]


def apply(days, durations):
    """Add the deltas to the rollup tables.

    Rows are written in key order, so two transactions that count into the same rows
    lock them in the same order and cannot deadlock.
    """
    if days:
        _upsert(ReportCount.__table__, _COUNT_KEY, _count_dicts(count_rows(days)), DAY_COUNTERS)
    if durations:
        _upsert(report_durations, _DURATION_KEY, _duration_dicts(histogram_rows(durations)), BUCKET_COLUMNS)


_LOAD_FACT = (
    sa.select(ReportFact)
    .where(ReportFact.ticket_id == sa.bindparam("ticket_id"))
    .execution_options(populate_existing=True)
)


_INSERT_FACT = sa.insert(ReportFact.__table__)


def count_ticket(ticket, first_response_at=None, rating=None, rated_at=None, new=False):
    """Recount ``ticket`` in the rollups after a change (inside the change's transaction)."""
    row = None if new else session.scalar(_LOAD_FACT, {"ticket_id": ticket.id})
    old = Fact.from_row(row) if row is not None else None
    if old is not None and old.first_response_day is not None:
        first_response_at = None  # only the first one counts
    fact = build_fact(ticket, clock_for(ticket.tenant_id), first_response_at, rating, rated_at, previous=old)
    if fact == old:
        return
    apply(*difference(old, fact))
    if row is None:
        # A plain INSERT: nothing reads the new fact back in this transaction.
        session.execute(_INSERT_FACT, dict(ticket_id=ticket.id, **fact.row_values()))
    else:
        for name, value in fact.row_values().items():
            setattr(row, name, value)
        session.flush()


def on_ticket_created(sender, ticket, **extra):
    """Count a new ticket."""
    count_ticket(ticket, new=True)


def on_reply_posted(sender, ticket, actor, reply, **extra):
    """Count a staff member's first public reply as the first response (the SLA clock's rule)."""
    if getattr(reply, "kind", "reply") == "note":
        return
    if actor is None or not actor.is_staff or actor.id == ticket.requester_id:
        return
    # The ticket's first response (the SLA receiver's, same rule) came before this reply:
    # it was counted then, and a later reply changes nothing a report counts, so its
    # fact is not read again. (Closing with the reply recounts on ticket_closed.)
    earlier = ticket.first_response_at
    if earlier is not None and reply.created_at is not None and _aware(earlier) < _aware(reply.created_at):
        return
    count_ticket(ticket, first_response_at=reply.created_at)


def on_ticket_changed(sender, ticket, **extra):
    """Recount a closed, reopened or reassigned ticket."""
    count_ticket(ticket)


def on_ticket_rated(sender, ticket, rating, **extra):
    """Count a new or changed rating."""
    count_ticket(ticket, rating=rating.rating, rated_at=rating.updated_at)


RECEIVERS = (
    (signals.ticket_created, on_ticket_created),
    (signals.reply_posted, on_reply_posted),
    (signals.ticket_closed, on_ticket_changed),
    (signals.ticket_reopened, on_ticket_changed),
    (signals.ticket_assigned, on_ticket_changed),
    (signals.ticket_rated, on_ticket_rated),
)

_connected = False


def connect_receivers():
    """Subscribe the rollup receivers to the lifecycle signals (once per process)."""
    global _connected
    if _connected:
        return
    for signal, receiver in RECEIVERS:
        signal.connect(receiver)
    _connected = True


#: Tickets read per batch by :func:`rebuild`.
REBUILD_BATCH = 5000


def _first_responses(ticket_ids):
    """Return ``{ticket_id: time of the first reply by staff or an admin}`` for ``ticket_ids``."""
    if not ticket_ids:
        return {}
    staff = sa.select(User.id).where(User.role.in_((Role.STAFF.value, Role.ADMIN.value)))
    rows = session.execute(
        sa.select(ReplyRow.ticket_id, sa.func.min(ReplyRow.created_at))
        .where(ReplyRow.ticket_id.in_(ticket_ids), ReplyRow.author_id.in_(staff))
        .group_by(ReplyRow.ticket_id)
    )
    return {ticket_id: _utc(when) for ticket_id, when in rows}


def _utc(value):
    """Return a time read through an aggregate (plain on SQLite: a string or naive) as aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _aware(value)


_TICKET_COLUMNS = (
    Ticket.id,
    Ticket.tenant_id,
    Ticket.department_id,
    Ticket.assignee_id,
    Ticket.status,
    Ticket.priority,
    Ticket.created_at,
    Ticket.closed_at,
    Ticket.first_response_at,
    Ticket.first_response_due_at,
    Ticket.sla_used_seconds,
    Ticket.sla_clock_started_at,
)


def rebuild(tenant_id=None):
    """Recompute every fact and rollup of one tenant (or all) from the tickets; the caller commits.

    The facts need business time (the tenant's calendar), so Python computes them, one batch
    of tickets at a time, and inserts them; the counts and histograms are then summed from the
    facts by the database in a few ``INSERT … SELECT … GROUP BY`` statements (one per table
    and period grain), so a rebuild of a million tickets is bounded by reading the tickets,
    not by Python's dictionaries. Returns how many tickets were counted.
    """
    for table in (ReportFact.__table__, ReportCount.__table__, report_durations):
        delete = sa.delete(table)
        if tenant_id is not None:
            delete = delete.where(table.c.tenant_id == tenant_id)
        session.execute(delete)
    clocks = {}
    counted = 0
    last_id = 0
    while True:
        stmt = (
            sa.select(*_TICKET_COLUMNS, Rating.rating.label("rating"), Rating.updated_at.label("rated_at"))
            .outerjoin(Rating, Rating.ticket_id == Ticket.id)
            .where(Ticket.id > last_id)
            .order_by(Ticket.id)
            .limit(REBUILD_BATCH)
        )
        if tenant_id is not None:
            stmt = stmt.where(Ticket.tenant_id == tenant_id)
        batch = session.execute(stmt).all()
        if not batch:
            break
        # The SLA clock keeps the first response on the ticket; imported rows may lack it.
        firsts = _first_responses([ticket.id for ticket in batch if ticket.first_response_at is None])
        facts = []
        for ticket in batch:
            clock = clocks.get(ticket.tenant_id) or clocks.setdefault(ticket.tenant_id, clock_for(ticket.tenant_id))
            first = ticket.first_response_at or firsts.get(ticket.id)
            fact = build_fact(ticket, clock, first, ticket.rating, ticket.rated_at)
            facts.append(dict(ticket_id=ticket.id, **fact.row_values()))
        session.execute(sa.insert(ReportFact), facts)
        counted += len(batch)
        last_id = batch[-1].id
    dialect = session.get_bind(clause=ReportFact.__table__.select()).dialect.name
    for grain in GRAINS:
        session.execute(_counts_from_facts(dialect, grain, tenant_id))
        session.execute(_durations_from_facts(dialect, grain, tenant_id))
    return counted


def _period_expression(dialect, grain, day):
    """The SQL of ``period_start(grain, day)`` on ``dialect``."""
    if grain == "day":
        return day
    if dialect == "postgresql":
        return sa.cast(sa.func.date_trunc(grain, day), sa.Date)
    if grain == "month":
        return sa.func.date(day, "start of month")
    # SQLite: back to Monday; strftime('%w') counts from Sunday = 0.
    back = (sa.cast(sa.func.strftime("%w", day), sa.Integer) + 6) % 7
    return sa.func.date(day, sa.literal("-") + sa.cast(back, sa.String) + sa.literal(" days"))


def _flag(condition):
    return sa.case((condition, 1), else_=0)


def _fact_events(tenant_id):
    """What each fact adds to the day counts (as :func:`contributions` says), one row per day and counter set."""
    f = ReportFact.__table__.c
    zero = sa.literal(0)
    one = sa.literal(1)
    where = f.tenant_id == tenant_id if tenant_id is not None else sa.true()
    place = (f.tenant_id, f.department_id, f.assignee_id)

    def event(day, **counters):
        values = [counters.get(name, zero).label(name) for name in DAY_COUNTERS]
        return sa.select(*place, day.label("day"), *values)

    return sa.union_all(
        event(f.created_day, created=one).where(where),
        *(
            event(
                f[timed.day],
                **{
                    timed.counter: one,
                    timed.sla_met: _flag(f[timed.sla_met] == sa.true()),
                    timed.sla_missed: _flag(f[timed.sla_met] == sa.false()),
                },
            ).where(where, f[timed.day].is_not(None))
            for timed in TIMED
        ),
        event(f.rated_day, rated_good=_flag(f.rating == "good"), rated_bad=_flag(f.rating == "bad")).where(
            where, f.rating.in_(("good", "bad")), f.rated_day.is_not(None)
        ),
    ).subquery("events")


def _counts_from_facts(dialect, grain, tenant_id):
    """``INSERT … SELECT``: the facts' day counts summed into ``grain`` periods."""
    events = _fact_events(tenant_id)
    period = _period_expression(dialect, grain, events.c.day)
    key = (events.c.tenant_id, period, events.c.department_id, events.c.assignee_id)
    select = sa.select(
        events.c.tenant_id,
        sa.literal(grain),
        period,
        events.c.department_id,
        events.c.assignee_id,
        *(sa.func.sum(events.c[name]) for name in DAY_COUNTERS),
    ).group_by(*key)
    return sa.insert(ReportCount.__table__).from_select(list(_COUNT_KEY) + list(DAY_COUNTERS), select)


def _bucket_expression(minutes):
    """The SQL of :func:`.buckets.bucket_of` (the first bound at or above the minutes; the last bucket past them)."""
    whens = [(minutes <= bound, index) for index, bound in enumerate(buckets.BOUNDS)]
    return sa.case(*whens, else_=len(buckets.BOUNDS) - 1)


def _durations_from_facts(dialect, grain, tenant_id):
    """``INSERT … SELECT``: the facts' first-response and resolution times counted into ``grain`` histograms."""
    f = ReportFact.__table__.c
    where = f.tenant_id == tenant_id if tenant_id is not None else sa.true()
    place = (f.tenant_id, f.department_id, f.assignee_id)
    times = sa.union_all(
        *(
            sa.select(
                *place,
                sa.literal(timed.metric).label("metric"),
                f[timed.day].label("day"),
                _bucket_expression(f[timed.minutes]).label("bucket"),
            ).where(where, f[timed.day].is_not(None), f[timed.minutes].is_not(None))
            for timed in TIMED
        )
    ).subquery("times")
    period = _period_expression(dialect, grain, times.c.day)
    key = (times.c.tenant_id, period, times.c.metric, times.c.department_id, times.c.assignee_id)
    select = sa.select(
        times.c.tenant_id,
        sa.literal(grain),
        period,
        times.c.metric,
        times.c.department_id,
        times.c.assignee_id,
        *(sa.func.sum(_flag(times.c.bucket == index)) for index in range(len(BUCKET_COLUMNS))),
    ).group_by(*key)
    return sa.insert(report_durations).from_select(list(_DURATION_KEY) + list(BUCKET_COLUMNS), select)
