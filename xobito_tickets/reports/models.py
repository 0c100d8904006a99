"""Rollup tables of the reports, kept by :mod:`.rollup` in the transaction of each ticket change.

``assignee_id`` is 0 for an unassigned ticket (a primary key column cannot be NULL), as in
``tickets_queue_counts``; department and assignee carry no foreign keys for the same reason:
rows counted down to 0 must not stop a department or a person from being deleted.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from . import buckets

#: ``metric`` values of :class:`ReportDuration`.
FIRST_RESPONSE = 1
RESOLUTION = 2


class ReportFact(Base):
    """What one ticket is counted as in the rollups now; the old side of the next change's difference."""

    __tablename__ = "tickets_report_facts"

    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets_tickets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), index=True)
    department_id: Mapped[int] = mapped_column()
    assignee_id: Mapped[int] = mapped_column(default=0)
    created_day: Mapped[date] = mapped_column(sa.Date)
    #: Set while the ticket is Closed: the day it was closed and how long it took (minutes).
    closed_day: Mapped[date | None] = mapped_column(sa.Date)
    resolution_minutes: Mapped[int | None] = mapped_column()
    #: The first public staff reply: its day and the minutes from the ticket's creation.
    first_response_day: Mapped[date | None] = mapped_column(sa.Date)
    first_response_minutes: Mapped[int | None] = mapped_column()
    #: good / bad and the day it was given (or last changed).
    rating: Mapped[str | None] = mapped_column(sa.String(8))
    rated_day: Mapped[date | None] = mapped_column(sa.Date)
    #: SLA outcome of each target, True met, False missed, None not (yet) known.
    response_sla_met: Mapped[bool | None] = mapped_column()
    resolution_sla_met: Mapped[bool | None] = mapped_column()


class ReportCount(Base):
    """Counts of one tenant, period (a day, a week, a month: :data:`GRAINS`), department and assignee.

    The days draw the per-day chart; the totals of a range are read from its whole months,
    whole weeks and remaining days, a few rows per department and assignee.
    """

    __tablename__ = "tickets_report_counts"

    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets_tenants.id"), primary_key=True)
    grain: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    period: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    department_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    assignee_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    responded: Mapped[int] = mapped_column(default=0)
    rated_good: Mapped[int] = mapped_column(default=0)
    rated_bad: Mapped[int] = mapped_column(default=0)
    response_sla_met: Mapped[int] = mapped_column(default=0)
    response_sla_missed: Mapped[int] = mapped_column(default=0)
    resolution_sla_met: Mapped[int] = mapped_column(default=0)
    resolution_sla_missed: Mapped[int] = mapped_column(default=0)


#: The counters of :class:`ReportCount`, in column order.
DAY_COUNTERS = (
    "created",
    "closed",
    "responded",
    "rated_good",
    "rated_bad",
    "response_sla_met",
    "response_sla_missed",
    "resolution_sla_met",
    "resolution_sla_missed",
)


#: The periods a duration histogram is kept for: a day, an ISO week (from Monday), a month.
#: A date range is read as whole months, whole weeks and single days (:mod:`.queries`),
#: so a year costs a few dozen rows per department and assignee, not one per ticket.
GRAINS = ("day", "week", "month")


def period_start(grain, day):
    """Return the first day of the ``grain`` period holding ``day``."""
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


#: Bucket count columns: ``b00`` counts durations in bucket 0, and so on (:mod:`.buckets`).
BUCKET_COLUMNS = tuple(f"b{i:02d}" for i in range(buckets.COUNT))

#: How many durations of one metric fell in each bucket in one period, per department and
#: assignee. One row carries every bucket, so an upsert adds to one column and a report
#: sums few rows; a Core table, since 86 columns are better listed by a loop than by hand.
report_durations = sa.Table(
    "tickets_report_durations",
    Base.metadata,
    sa.Column("tenant_id", sa.ForeignKey("tickets_tenants.id"), primary_key=True),
    sa.Column("grain", sa.String(8), primary_key=True),
    sa.Column("period", sa.Date, primary_key=True),
    sa.Column("metric", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("department_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("assignee_id", sa.Integer, primary_key=True, autoincrement=False),
    *(sa.Column(name, sa.Integer, nullable=False, default=0) for name in BUCKET_COLUMNS),
)


class ReportDuration(Base):
    """The mapped class of ``tickets_report_durations`` (its columns as attributes, for conditions)."""

    __table__ = report_durations
