"""Read the report numbers from the rollups: sums over a few rows per day, never a scan of the tickets.

Each function takes ``visible``: the condition selecting the rollup rows the person may
see (:func:`~xobito_tickets.access.visible_counts_clause` on the rollup table), so the
reports follow the one visibility rule of the tickets.
"""

from collections import defaultdict
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa

from ..db import session
from ..models import QueueCount
from . import buckets
from .models import BUCKET_COLUMNS, DAY_COUNTERS, ReportCount, report_durations

#: Rows are read per department and assignee together (a "place"; assignee 0: unassigned):
#: a few dozen rows, merged in Python into the totals, the departments and the people, so
#: a report costs one query per table instead of one per breakdown.
PLACE = ("department_id", "assignee_id")


def _day_sums(names=DAY_COUNTERS):
    return [sa.func.coalesce(sa.func.sum(getattr(ReportCount, name)), 0) for name in names]


def counts_per_day(visible, start, end, names=("created", "closed")):
    """Return ``{day: {counter: n}}`` of the counters ``names`` from ``start`` to ``end`` (inclusive), per day."""
    stmt = (
        sa.select(ReportCount.period, *_day_sums(names))
        .where(visible, ReportCount.grain == "day", ReportCount.period >= start, ReportCount.period <= end)
        .group_by(ReportCount.period)
    )
    return {row[0]: dict(zip(names, map(int, row[1:]), strict=True)) for row in session.execute(stmt)}


def weeks_between(start, end):
    """Return the first day of each ISO week that meets ``start``..``end`` (the first: ``start`` itself)."""
    weeks, day = [start], start + timedelta(days=7 - start.weekday())
    while day <= end:
        weeks.append(day)
        day += timedelta(days=7)
    return weeks


@lru_cache(maxsize=1024)
def _per_period_statement(visible, grains, names):
    # Built once per visibility clause, grains and counters, like _counts_statement below.
    return sa.union_all(
        *(
            sa.select(ReportCount.period, *_day_sums(names))
            .where(
                visible,
                ReportCount.grain == grain,
                ReportCount.period.in_(sa.bindparam(f"periods_{grain}", expanding=True)),
            )
            .group_by(ReportCount.period)
            for grain in grains
        )
    )


def counts_per_week(visible, start, end, names=("created", "closed")):
    """Return ``{week: {counter: n}}`` from ``start`` to ``end``, keyed as :func:`weeks_between` (whole weeks
    from the weeks' rows, the range's partial weeks from their days)."""
    by_grain = defaultdict(list)
    for grain, period in _days_and_weeks(start, end):
        by_grain[grain].append(period)
    # One SELECT per grain, each a seek on (tenant, grain, period): an OR of the grains reads every row.
    stmt = _per_period_statement(visible, tuple(by_grain), tuple(names))
    result = {}
    for period, *values in session.execute(stmt, {f"periods_{grain}": days for grain, days in by_grain.items()}):
        week = max(start, period - timedelta(days=period.weekday()))
        total = result.setdefault(week, dict.fromkeys(names, 0))
        for name, n in zip(names, values, strict=True):
            total[name] += int(n)
    return result


def _by_grain(start, end):
    by_grain = defaultdict(list)
    for grain, period in periods_covering(start, end):
        by_grain[grain].append(period)
    return by_grain


# One SELECT per grain, each a seek on (tenant, grain, period) in the primary key (an OR of
# the three made the database read every row of the tenant). Built once per visibility
# clause (access.py builds one per person) and set of grains: building 86 sums anew on
# every request cost as much as running them.


@lru_cache(maxsize=1024)
def _counts_statement(visible, grains):
    key = [getattr(ReportCount, name) for name in PLACE]
    return sa.union_all(
        *(
            sa.select(*key, *_day_sums())
            .where(
                visible,
                ReportCount.grain == grain,
                ReportCount.period.in_(sa.bindparam(f"periods_{grain}", expanding=True)),
            )
            .group_by(*key)
            for grain in grains
        )
    )


#: Over a range longer than this (days), histograms are read with :data:`COARSE_STEP` buckets
#: summed into one: a year's report sums and reads half the columns, and its percentiles are
#: the bound of a bucket about 32 % wide instead of 15 % (:func:`.buckets.coarse_groups`).
COARSE_AFTER_DAYS = 92
COARSE_STEP = 2


def bucket_step(start, end):
    """Return how many histogram buckets are read as one for the range ``start``..``end``."""
    return COARSE_STEP if (end - start).days + 1 > COARSE_AFTER_DAYS else 1


def _bucket_sums(table, step):
    """The SUMs of a histogram's bucket columns, ``step`` neighbouring columns per SUM."""
    groups = buckets.coarse_groups(step)
    return [
        sa.func.sum(sum((table.c[BUCKET_COLUMNS[i]] for i in group[1:]), table.c[BUCKET_COLUMNS[group[0]]]))
        for group in groups
    ]


@lru_cache(maxsize=1024)
def _durations_statement(visible, grains, step=1):
    table = report_durations
    key = [table.c[name] for name in PLACE]
    return sa.union_all(
        *(
            sa.select(*key, table.c.metric, *_bucket_sums(table, step))
            .where(
                visible, table.c.grain == grain, table.c.period.in_(sa.bindparam(f"periods_{grain}", expanding=True))
            )
            .group_by(*key, table.c.metric)
            for grain in grains
        )
    )


def counts_per_place(visible, start, end):
    """Return ``{(department_id, assignee_id): {counter: n}}`` of the counts from ``start`` to ``end``."""
    by_grain = _by_grain(start, end)
    stmt = _counts_statement(visible, tuple(by_grain))
    result = {}
    for row in session.execute(stmt, {f"periods_{grain}": periods for grain, periods in by_grain.items()}):
        total = result.setdefault((row[0], row[1]), dict.fromkeys(DAY_COUNTERS, 0))
        for name, n in zip(DAY_COUNTERS, row[2:], strict=True):
            total[name] += int(n)
    return result


def _month_after(day):
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _days_and_weeks(start, end):
    """Return ``[(grain, period)]`` covering ``start``..``end`` with whole ISO weeks and single days."""
    periods, day = [], start
    while day <= end:
        if day.weekday() == 0 and day + timedelta(days=6) <= end:
            periods.append(("week", day))
            day += timedelta(days=7)
        else:
            periods.append(("day", day))
            day += timedelta(days=1)
    return periods


def periods_covering(start, end):
    """Return ``[(grain, period)]``: whole months, whole weeks and days covering ``start``..``end`` exactly once."""
    first_month = start if start.day == 1 else _month_after(start)
    periods, month = [], first_month
    while _month_after(month) - timedelta(days=1) <= end:
        periods.append(("month", month))
        month = _month_after(month)
    if not periods:
        return _days_and_weeks(start, end)
    return _days_and_weeks(start, first_month - timedelta(days=1)) + periods + _days_and_weeks(month, end)


def durations_per_place(visible, start, end, step=1):
    """Return ``{(department_id, assignee_id): {metric: {bucket: n}}}`` of the histograms from ``start`` to ``end``.

    With ``step`` > 1 neighbouring buckets are summed into one, counted under the last of
    them (so :func:`.buckets.percentile` answers with the wider bucket's upper bound).
    """
    by_grain = _by_grain(start, end)
    stmt = _durations_statement(visible, tuple(by_grain), step)
    labels = [group[-1] for group in buckets.coarse_groups(step)]
    result = defaultdict(dict)
    for row in session.execute(stmt, {f"periods_{grain}": periods for grain, periods in by_grain.items()}):
        counts = result[(row[0], row[1])].setdefault(row[2], {})
        # Most of a row's buckets are empty: only the others are added (one row per grain).
        for bucket, n in [(bucket, n) for bucket, n in zip(labels, row[3:], strict=True) if n]:
            counts[bucket] = counts.get(bucket, 0) + int(n)
    return {place: {m: c for m, c in metrics.items() if c} for place, metrics in result.items()}


@lru_cache(maxsize=1024)
def _backlog_statement(visible):
    key = [getattr(QueueCount, name) for name in PLACE]
    return (
        sa.select(*key, QueueCount.status, sa.func.sum(QueueCount.n)).where(visible).group_by(*key, QueueCount.status)
    )


def backlog_per_place(visible):
    """Return ``{(department_id, assignee_id): {status: n}}`` of the tickets there are now (the queue counts)."""
    result = defaultdict(dict)
    for department_id, assignee_id, status, n in session.execute(_backlog_statement(visible)):
        if n:
            result[(department_id, assignee_id)][status] = int(n)
    return result


def days_between(start, end):
    """Return every date from ``start`` to ``end``, inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
