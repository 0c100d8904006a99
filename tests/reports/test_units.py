"""The pure parts: histogram percentiles, the periods a range is read in, CSV cells, chart scales."""

import random
from datetime import date, timedelta

import pytest

from xobito_tickets.reports import buckets, charts
from xobito_tickets.reports.models import period_start
from xobito_tickets.reports.queries import periods_covering


def _days_of(grain, start):
    if grain == "day":
        return [start]
    if grain == "week":
        return [start + timedelta(days=i) for i in range(7)]
    nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [start + timedelta(days=i) for i in range((nxt - start).days)]


@pytest.mark.parametrize("seed", range(40))
def test_a_range_is_covered_by_periods_exactly_once(seed):
    rng = random.Random(seed)
    start = date(2025, 1, 1) + timedelta(days=rng.randrange(700))
    end = start + timedelta(days=rng.randrange(731))
    periods = periods_covering(start, end)
    covered = [d for grain, first in periods for d in _days_of(grain, first)]
    assert sorted(covered) == [start + timedelta(days=i) for i in range((end - start).days + 1)]
    assert all(period_start(grain, first) == first for grain, first in periods)
    # A year is read in at most a few dozen periods, not one per day.
    assert len(periods) <= 24 + 2 * (4 + 12)


def test_a_one_day_range_is_that_day():
    assert periods_covering(date(2026, 3, 4), date(2026, 3, 4)) == [("day", date(2026, 3, 4))]
    assert periods_covering(date(2026, 2, 1), date(2026, 2, 28)) == [("month", date(2026, 2, 1))]


@pytest.mark.parametrize("seed", range(20))
def test_a_histogram_percentile_is_the_bucket_of_the_exact_one(seed):
    rng = random.Random(seed)
    values = [int(rng.lognormvariate(5, 2)) for _ in range(rng.randint(1, 400))]
    counts = {}
    for v in values:
        counts[buckets.bucket_of(v)] = counts.get(buckets.bucket_of(v), 0) + 1
    for p in (50, 90):
        exact = buckets.exact_percentile(values, p)
        reported = buckets.percentile(counts, p)
        assert reported == buckets.BOUNDS[buckets.bucket_of(exact)]
        assert exact <= reported <= max(exact * 1.15 + 1, 7)


def test_bucket_edges():
    assert buckets.bucket_of(0) == 0 and buckets.bucket_of(-5) == 0
    assert buckets.BOUNDS[buckets.bucket_of(7)] == 7
    assert buckets.bucket_of(10**9) == buckets.COUNT - 1
    assert buckets.percentile({}, 50) is None
    assert buckets.format_minutes(59) == "59 min"
    assert buckets.format_minutes(61) == "1 h 1 min"
    assert buckets.format_minutes(60 * 24 * 2 + 60) == "2 d 1 h"


def test_charts_scale_to_round_numbers():
    assert [charts.nice_ceiling(v) for v in (0, 1, 3, 7, 12, 99, 101)] == [1, 1, 5, 10, 20, 100, 200]
    chart = charts.line_chart("t", [date(2026, 1, 1), date(2026, 1, 2)], [("A", [0, 4]), ("B", [2, 1])])
    assert len(chart.lines) == 2 and chart.gridlines[-1]["label"] == "5"
    bars = charts.bar_chart("t", ["x", "<b>y</b>"], [("A", [1, None])])
    assert [label["text"] for label in bars.labels][:2] == ["x", "1"]
