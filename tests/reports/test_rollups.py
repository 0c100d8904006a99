"""The rollups equal a recount from the tickets, and the report's numbers equal a brute-force count."""

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Reply, Tenant, Ticket, User
from xobito_tickets.reports import buckets, queries, rollup
from xobito_tickets.reports.models import BUCKET_COLUMNS, ReportCount, ReportFact, report_durations
from xobito_tickets.reports.report import report_for
from xobito_tickets.satisfaction.models import Rating
from xobito_tickets.sla.clock import Calendar, business_minutes
from xobito_tickets.sla.settings import save_sla_settings
from xobito_tickets.tickets.services import close_ticket, open_ticket, post_reply

from .conftest import spread_over_days


def _state():
    """Return the rollups as plain data, rows counted down to zero left out."""
    days = {
        (r.tenant_id, r.grain, r.period, r.department_id, r.assignee_id): tuple(
            getattr(r, c) for c in rollup.DAY_COUNTERS
        )
        for r in session.scalars(sa.select(ReportCount))
    }
    durations = {
        (r.tenant_id, r.grain, r.period, r.metric, r.department_id, r.assignee_id): tuple(
            getattr(r, c) for c in BUCKET_COLUMNS
        )
        for r in session.execute(sa.select(report_durations))
    }
    facts = {
        f.ticket_id: rollup.Fact.from_row(f)
        for f in session.scalars(sa.select(ReportFact).order_by(ReportFact.ticket_id))
    }
    return (
        {k: v for k, v in days.items() if any(v)},
        {k: v for k, v in durations.items() if any(v)},
        facts,
    )


def test_the_rollups_kept_by_the_services_equal_a_rebuild(app, world, played):
    with app.app_context():
        kept = _state()
        assert len(kept[2]) == 40
        assert sum(v[0] for k, v in kept[0].items() if k[1] == "day") == 40  # created
        rollup.rebuild()
        session.commit()
        assert _state() == kept
        # No counter ever went below zero on the way.
        assert session.scalar(sa.select(sa.func.min(ReportCount.closed))) >= 0
        for column in BUCKET_COLUMNS:
            assert session.scalar(sa.select(sa.func.min(report_durations.c[column]))) >= 0


def _minutes(start, end):
    # Business minutes of the default calendar (Monday to Friday, 09:00-17:00 UTC): the SLA clock's own arithmetic.
    return business_minutes(Calendar(), start, end)


def _day(moment):
    return moment.astimezone(UTC).date()


def brute_force(world, user_id, start, end):
    """Count the report's numbers straight from the tickets, replies and ratings, in Python."""
    user = session.get(User, user_id)
    departments = {d.id for d in user.departments}
    staff_ids = set(session.scalars(sa.select(User.id).where(User.role.in_(("staff", "admin")))))
    tickets = [
        t
        for t in session.scalars(sa.select(Ticket).where(Ticket.tenant_id == world.acme_id))
        if user.is_admin or t.department_id in departments or t.assignee_id == user.id
    ]
    firsts = {}
    for reply in session.scalars(sa.select(Reply).order_by(Reply.created_at)):
        if reply.author_id in staff_ids:
            firsts.setdefault(reply.ticket_id, reply.created_at)
    ratings = {r.ticket_id: r for r in session.scalars(sa.select(Rating))}

    def inside(moment):
        return moment is not None and start <= _day(moment) <= end

    def numbers(group):
        created, closed = Counter(), Counter()
        first, resolution = [], []
        good = bad = 0
        backlog = Counter()
        for t in group:
            backlog[t.status] += 1
            if inside(t.created_at):
                created[_day(t.created_at)] += 1
            if t.status == "closed" and inside(t.closed_at):
                closed[_day(t.closed_at)] += 1
                resolution.append(_minutes(t.created_at, t.closed_at))
            if inside(firsts.get(t.id)):
                first.append(_minutes(t.created_at, firsts[t.id]))
            rating = ratings.get(t.id)
            if rating is not None and inside(rating.updated_at):
                good += rating.rating == "good"
                bad += rating.rating == "bad"
        return created, closed, first, resolution, good, bad, backlog

    everything = numbers(tickets)
    by_department, by_assignee = defaultdict(list), defaultdict(list)
    for t in tickets:
        by_department[t.department_id].append(t)
        by_assignee[t.assignee_id or 0].append(t)
    return (
        everything,
        {k: numbers(v) for k, v in by_department.items()},
        {k: numbers(v) for k, v in by_assignee.items()},
    )


def _as_reported(values, p):
    """The exact percentile of ``values``, as the report shows it: its histogram bucket's bound."""
    exact = buckets.exact_percentile(values, p)
    return None if exact is None else buckets.BOUNDS[buckets.bucket_of(exact)]


@pytest.mark.parametrize("who", ["admin", "staff", "billing_staff"])
def test_report_numbers_equal_a_brute_force_count(app, world, played, who):
    spread_over_days(app, world)
    start, end = date.today() - timedelta(days=40), date.today() - timedelta(days=3)
    with app.app_context():
        user_id = getattr(world, who + "_id")
        expected, by_department, by_assignee = brute_force(world, user_id, start, end)
        sections = {s.name: s for s in report_for(session.get(User, user_id), start, end)}
        created, closed, first, resolution, good, bad, backlog = expected

        per_day = {row[0]: (row[1], row[2]) for row in sections["per-day"].rows}
        assert len(per_day) == (end - start).days + 1
        assert sum(c for c, _ in per_day.values()) == sum(created.values()) > 0
        for day, (c, d) in per_day.items():
            assert (c, d) == (created[date.fromisoformat(day)], closed[date.fromisoformat(day)])

        times = {row[0]: row[1:] for row in sections["times"].rows}
        assert times["First response"] == [len(first), _as_reported(first, 50), _as_reported(first, 90)]
        assert times["Resolution"] == [len(resolution), _as_reported(resolution, 50), _as_reported(resolution, 90)]
        assert first and resolution

        assert dict(sections["satisfaction"].rows) == {"Good": good, "Bad": bad}
        assert {s.lower(): n for s, n in sections["backlog"].rows} == {
            s: backlog.get(s, 0) for s in ("open", "answered", "closed")
        }

        for section, groups in (("departments", by_department), ("staff", by_assignee)):
            rows = {row[0]: row[1:] for row in sections[section].rows}
            for key, (c, d, f, r, g, b, now) in groups.items():
                if not (sum(c.values()) or sum(d.values()) or f or r or g or b or now["open"] or now["answered"]):
                    continue
                if section == "departments":
                    label = session.get(Department, key).name
                else:
                    label = session.get(User, key).name if key else "Unassigned"
                assert rows.pop(label) == [
                    sum(c.values()),
                    sum(d.values()),
                    _as_reported(f, 50),
                    _as_reported(f, 90),
                    _as_reported(r, 50),
                    _as_reported(r, 90),
                    g,
                    b,
                    None,  # no SLA outcomes here
                    now["open"],
                    now["answered"],
                ], (section, label)
            assert rows == {}, f"{section}: rows nobody counted: {rows}"


def test_sla_attainment_counts_met_and_missed_targets(app, world):
    """First response and resolution against targets of 60 and 120 business minutes, round the clock."""
    with app.app_context():
        always = (((0, 24 * 60),),) * 7
        save_sla_settings(world.acme_id, "UTC", always, (), 10, {Priority.MEDIUM: (60, 120)})
        acme, carla = session.get(Tenant, world.acme_id), session.get(User, world.customer_id)
        support, sam = session.get(Department, world.support_id), session.get(User, world.staff_id)
        tickets = [open_ticket(acme, carla, support, f"SLA {i}", "Help.", Priority.MEDIUM) for i in range(4)]
        assert all(t.first_response_due_at is not None for t in tickets)
        # Ticket 1's first response comes after its due time; ticket 3 used 3 hours of its clock.
        tickets[1].first_response_due_at = tickets[1].created_at - timedelta(minutes=5)
        tickets[3].sla_used_seconds = 3 * 3600
        session.commit()
        for ticket in tickets:
            post_reply(ticket, sam, "On it, thanks for waiting.")
        for ticket in tickets[2:]:
            close_ticket(ticket, sam)
        today = datetime.now(UTC).date()
        sections = {s.name: s for s in report_for(session.get(User, world.admin_id), today, today)}
        assert sections["sla"].rows == [["First response", 3, 1, 75.0], ["Resolution", 1, 1, 50.0]]
        support_row = next(r for r in sections["departments"].rows if r[0] == "Support")
        assert support_row[9] == round(100 * 4 / 6, 1)
        kept = _state()
        rollup.rebuild()
        session.commit()
        assert _state() == kept


def _as_reported_coarse(values, p):
    """The exact percentile of ``values`` as a report over more than a quarter shows it: its wider bucket's bound."""
    exact = buckets.exact_percentile(values, p)
    if exact is None:
        return None
    bucket = buckets.bucket_of(exact)
    group = next(g for g in buckets.coarse_groups(queries.COARSE_STEP) if bucket in g)
    return buckets.BOUNDS[group[-1]]


def test_over_a_quarter_times_come_from_wider_buckets_and_counts_stay_exact(app, world, played):
    spread_over_days(app, world)
    end = date.today()
    start = end - timedelta(days=queries.COARSE_AFTER_DAYS)  # one day more than a quarter
    with app.app_context():
        expected, by_department, _ = brute_force(world, world.admin_id, start, end)
        created, closed, first, resolution, good, bad, backlog = expected
        sections = {s.name: s for s in report_for(session.get(User, world.admin_id), start, end)}
        times = {row[0]: row[1:] for row in sections["times"].rows}
        assert first and resolution
        assert times["First response"] == [len(first), _as_reported_coarse(first, 50), _as_reported_coarse(first, 90)]
        assert times["Resolution"] == [
            len(resolution),
            _as_reported_coarse(resolution, 50),
            _as_reported_coarse(resolution, 90),
        ]
        # Never below the exact value, and at most one wider bucket above it.
        for values, (p, reported) in (
            (first, (50, times["First response"][1])),
            (resolution, (90, times["Resolution"][2])),
        ):
            exact = buckets.exact_percentile(values, p)
            assert exact <= reported <= max(exact * 1.33, exact + 1)
        assert "wider steps" in sections["times"].note
        per_day = {row[0]: (row[1], row[2]) for row in sections["per-day"].rows}
        assert sum(c for c, _ in per_day.values()) == sum(created.values())
        assert dict(sections["satisfaction"].rows) == {"Good": good, "Bad": bad}
        rows = {row[0]: row[1:] for row in sections["departments"].rows}
        for key, (c, d, f, r, *_rest) in by_department.items():
            label = session.get(Department, key).name
            if label in rows:
                assert rows[label][:6] == [
                    sum(c.values()),
                    sum(d.values()),
                    _as_reported_coarse(f, 50),
                    _as_reported_coarse(f, 90),
                    _as_reported_coarse(r, 50),
                    _as_reported_coarse(r, 90),
                ]
