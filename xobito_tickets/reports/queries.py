"""Read the report numbers from the rollups: sums over a few rows per day, never a scan of the tickets.

Each function takes ``visible``: the condition selecting the rollup rows the person may
see (:func:`~xobito_tickets.access.visible_counts_clause` on the rollup table), so the
reports follow the one visibility rule of the tickets.
"""

from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa

from ..db import session
from ..models import QueueCount
from .models import BUCKET_COLUMNS, DAY_COUNTERS, ReportDay, report_durations

#: Group keys: the whole range, per day, per department, per assignee (0: unassigned).
GROUPS = {"all": None, "day": "day", "department": "department_id", "assignee": "assignee_id"}


def _in_range(table, start, end):
    return sa.and_(table.day >= start, table.day <= end)


def day_counts(visible, start, end, group="all"):
    """Return ``{key: {counter: n}}`` of the daily counts from ``start`` to ``end`` (inclusive) by ``group``."""
    column = GROUPS[group]
    key = [getattr(ReportDay, column)] if column else []
    sums = [sa.func.coalesce(sa.func.sum(getattr(ReportDay, name)), 0) for name in DAY_COUNTERS]
    stmt = sa.select(*key, *sums).where(visible, _in_range(ReportDay, start, end))
    if key:
        stmt = stmt.group_by(*key)
    result = {}
    for row in session.execute(stmt):
        values = row[len(key) :]
        result[row[0] if key else None] = {name: int(n or 0) for name, n in zip(DAY_COUNTERS, values, strict=True)}
    if not key and None not in result:
        result[None] = dict.fromkeys(DAY_COUNTERS, 0)
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


def duration_counts(visible, start, end, group="all"):
    """Return ``{key: {metric: {bucket: n}}}`` of the duration histograms from ``start`` to ``end`` by ``group``."""
    column = GROUPS[group]
    if column == "day":
        raise ValueError("durations are read per range, not per day")
    table = report_durations
    key = [table.c[column]] if column else []
    by_grain = defaultdict(list)
    for grain, period in periods_covering(start, end):
        by_grain[grain].append(period)
    in_range = sa.or_(*(sa.and_(table.c.grain == grain, table.c.period.in_(days)) for grain, days in by_grain.items()))
    stmt = (
        sa.select(*key, table.c.metric, *(sa.func.sum(table.c[name]) for name in BUCKET_COLUMNS))
        .where(visible, in_range)
        .group_by(*key, table.c.metric)
    )
    result = defaultdict(lambda: defaultdict(dict))
    width = len(key)
    for row in session.execute(stmt):
        counts = {bucket: int(n) for bucket, n in enumerate(row[width + 1 :]) if n}
        if counts:
            result[row[0] if key else None][row[width]] = counts
    return result


def backlog_counts(visible, group="all"):
    """Return ``{key: {status: n}}`` of the tickets there are now (from the queue counts) by ``group``."""
    column = GROUPS[group]
    if column == "day":
        raise ValueError("the backlog is counted now, not per day")
    key = [getattr(QueueCount, column)] if column else []
    stmt = (
        sa.select(*key, QueueCount.status, sa.func.sum(QueueCount.n)).where(visible).group_by(*key, QueueCount.status)
    )
    result = defaultdict(dict)
    for row in session.execute(stmt):
        *head, status, n = row
        if n:
            result[head[0] if head else None][status] = int(n)
    return result


def days_between(start, end):
    """Return every date from ``start`` to ``end``, inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
