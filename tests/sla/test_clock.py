"""Business-time arithmetic against cases worked out by hand with a calendar and a clock.

2026: Berlin moves to summer time on Sunday 29 March (02:00 CET -> 03:00 CEST, 01:00 UTC) and
back on Sunday 25 October (03:00 CEST -> 02:00 CET, 01:00 UTC); New York on Sunday 8 March
(02:00 EST -> 03:00 EDT, 07:00 UTC) and back on Sunday 1 November (02:00 EDT -> 01:00 EST,
06:00 UTC).
"""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from xobito_tickets.sla.clock import (
    Calendar,
    _walk_business_seconds,
    add_business_minutes,
    business_minutes,
    business_seconds,
    format_day,
    parse_day,
)

ALL_DAY = (((0, 1440),),) * 7


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def berlin(**kwargs):
    return Calendar.from_settings("Europe/Berlin", OFFICE, **kwargs)


OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
NEW_YORK = Calendar.from_settings("America/New_York", OFFICE)


def test_overnight_counts_the_evening_and_the_morning():
    # Tue 13 Jan 16:00 CET (15:00Z) -> Wed 14 Jan 10:00 CET (09:00Z): 16-17 + 9-10.
    assert business_minutes(berlin(), utc(2026, 1, 13, 15), utc(2026, 1, 14, 9)) == 120
    assert add_business_minutes(berlin(), utc(2026, 1, 13, 15), 120) == utc(2026, 1, 14, 9)


def test_weekend_does_not_count():
    # Fri 16 Jan 16:30 CET -> Mon 19 Jan 09:30 CET: 30 + 30 minutes.
    assert business_minutes(berlin(), utc(2026, 1, 16, 15, 30), utc(2026, 1, 19, 8, 30)) == 60
    assert add_business_minutes(berlin(), utc(2026, 1, 16, 15, 30), 60) == utc(2026, 1, 19, 8, 30)


def test_holiday_is_skipped():
    # Friday 16:00 -> Tuesday 10:00 with Monday 19 Jan a holiday: 60 + 60.
    calendar = berlin(holidays=["2026-01-19"])
    assert business_minutes(calendar, utc(2026, 1, 16, 15), utc(2026, 1, 20, 9)) == 120
    assert add_business_minutes(calendar, utc(2026, 1, 16, 15), 120) == utc(2026, 1, 20, 9)
    # Without the holiday the same span holds a whole extra working day.
    assert business_minutes(berlin(), utc(2026, 1, 16, 15), utc(2026, 1, 20, 9)) == 120 + 480


def test_starting_outside_hours_waits_for_the_next_opening():
    # Saturday noon + 1 minute = Monday 09:01 CET (08:01Z).
    assert add_business_minutes(berlin(), utc(2026, 1, 17, 11), 1) == utc(2026, 1, 19, 8, 1)
    assert add_business_minutes(berlin(), utc(2026, 1, 17, 11), 0) == utc(2026, 1, 17, 11)
    assert business_minutes(berlin(), utc(2026, 1, 17, 0), utc(2026, 1, 18, 23)) == 0


def test_berlin_spring_forward_weekend():
    # Fri 27 Mar 16:00 CET (15:00Z) -> Mon 30 Mar 10:00 CEST (08:00Z), not 09:00Z.
    start = utc(2026, 3, 27, 15)
    assert add_business_minutes(berlin(), start, 120) == utc(2026, 3, 30, 8)
    assert business_minutes(berlin(), start, utc(2026, 3, 30, 8)) == 120
    assert business_minutes(berlin(), start, utc(2026, 3, 30, 9)) == 180


def test_berlin_fall_back_weekend():
    # Fri 23 Oct 16:00 CEST (14:00Z) -> Mon 26 Oct 10:00 CET (09:00Z).
    start = utc(2026, 10, 23, 14)
    assert add_business_minutes(berlin(), start, 120) == utc(2026, 10, 26, 9)
    assert business_minutes(berlin(), start, utc(2026, 10, 26, 9)) == 120


def test_new_york_spring_forward_weekend():
    # Fri 6 Mar 16:00 EST (21:00Z) -> Mon 9 Mar 10:00 EDT (14:00Z).
    assert add_business_minutes(NEW_YORK, utc(2026, 3, 6, 21), 120) == utc(2026, 3, 9, 14)
    assert business_minutes(NEW_YORK, utc(2026, 3, 6, 21), utc(2026, 3, 9, 14)) == 120


def test_new_york_fall_back_weekend():
    # Fri 30 Oct 16:00 EDT (20:00Z) -> Mon 2 Nov 10:00 EST (15:00Z).
    assert add_business_minutes(NEW_YORK, utc(2026, 10, 30, 20), 120) == utc(2026, 11, 2, 15)
    assert business_minutes(NEW_YORK, utc(2026, 10, 30, 20), utc(2026, 11, 2, 15)) == 120


def test_round_the_clock_days_are_23_and_25_hours_long_at_the_switch():
    calendar = Calendar("Europe/Berlin", weekly=ALL_DAY)
    # Sat 28 Mar 12:00 CET (11:00Z) -> Sun 29 Mar 12:00 CEST (10:00Z): 23 hours.
    assert business_minutes(calendar, utc(2026, 3, 28, 11), utc(2026, 3, 29, 10)) == 23 * 60
    # Sat 24 Oct 12:00 CEST (10:00Z) -> Sun 25 Oct 12:00 CET (11:00Z): 25 hours.
    assert business_minutes(calendar, utc(2026, 10, 24, 10), utc(2026, 10, 25, 11)) == 25 * 60
    new_york = Calendar("America/New_York", weekly=ALL_DAY)
    # Sunday 8 March has 23 hours, Sunday 1 November 25.
    assert business_minutes(new_york, utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)) == 23 * 60
    assert business_minutes(new_york, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)) == 25 * 60


def test_hours_through_the_night_of_the_switch():
    # A Sunday night shift 01:00-04:00 local.
    night = ((),) * 6 + (((60, 240),),)
    calendar = Calendar("Europe/Berlin", weekly=night)
    # 29 March: 01:00 CET (00:00Z) to 04:00 CEST (02:00Z) is two real hours.
    assert business_minutes(calendar, utc(2026, 3, 28), utc(2026, 3, 30)) == 120
    # 25 October: 01:00 CEST (23:00Z on the 24th) to 04:00 CET (03:00Z) is four real hours.
    assert business_minutes(calendar, utc(2026, 10, 24), utc(2026, 10, 26)) == 240
    assert add_business_minutes(calendar, utc(2026, 10, 24), 239) == utc(2026, 10, 25, 2, 59)
    # A shift starting in the skipped hour starts when the clocks jump (01:00Z).
    skipped = Calendar("Europe/Berlin", weekly=((),) * 6 + (((150, 240),),))
    assert business_minutes(skipped, utc(2026, 3, 28), utc(2026, 3, 30)) == 60
    assert add_business_minutes(skipped, utc(2026, 3, 28), 1) == utc(2026, 3, 29, 1, 1)


def test_several_intervals_a_day():
    # Lunch break: 09:00-12:00, 13:00-17:00 in UTC.
    calendar = Calendar("UTC", weekly=(((540, 720), (780, 1020)),) * 5 + ((), ()))
    assert business_minutes(calendar, utc(2026, 1, 12, 11), utc(2026, 1, 12, 14)) == 120
    assert add_business_minutes(calendar, utc(2026, 1, 12, 11, 30), 60) == utc(2026, 1, 12, 13, 30)


def test_negative_minutes_count_backwards():
    # Monday 10:00 CET minus two business hours is Friday 16:00 CET.
    assert add_business_minutes(berlin(), utc(2026, 1, 19, 9), -120) == utc(2026, 1, 16, 15)


def test_pause_and_resume_and_a_priority_change_midway():
    # The service's bookkeeping, by hand (Berlin, Mon-Fri 9-17, resolution target 8 h):
    # created Mon 12 Jan 10:00 CET, staff answer 11:00 (60 used, clock paused),
    # customer replies Tue 16:00 (clock runs again), due = Tue 16:00 + 420 min = Wed 15:00.
    calendar = berlin()
    used = business_minutes(calendar, utc(2026, 1, 12, 9), utc(2026, 1, 12, 10))
    assert used == 60
    resumed = utc(2026, 1, 13, 15)
    assert add_business_minutes(calendar, resumed, 480 - used) == utc(2026, 1, 14, 14)
    # Wed 10:00 the priority rises to a 4 h target: 60 + 60 + 60 used, due Wed 11:00 CET (10:00Z),
    # not 14:00 CET as a clock restarted from zero would say.
    used += business_minutes(calendar, resumed, utc(2026, 1, 14, 9))
    assert used == 180
    assert add_business_minutes(calendar, resumed, 240 - (used - 120)) == utc(2026, 1, 14, 10)
    # A 2 h target is already missed: it was due Tue 16:00 CET, back in the run that started then.
    assert add_business_minutes(calendar, resumed, 120 - 60) == utc(2026, 1, 13, 16)


def test_seconds_are_kept_for_pauses():
    assert business_seconds(berlin(), utc(2026, 1, 12, 9, 0, 0), utc(2026, 1, 12, 9, 0, 59)) == 59
    assert business_minutes(berlin(), utc(2026, 1, 12, 9, 0, 0), utc(2026, 1, 12, 9, 0, 59)) == 0
    assert business_minutes(berlin(), utc(2026, 1, 12, 10), utc(2026, 1, 12, 9)) == 0


def test_settings_round_trip_and_validation():
    calendar = berlin(holidays=[date(2026, 12, 25)])
    assert Calendar.from_settings("Europe/Berlin", calendar.hours_setting(), ["2026-12-25"]) == calendar
    assert parse_day("09:00-12:00; 13:00-17:00") == ((540, 720), (780, 1020))
    assert format_day(((540, 720), (780, 1440))) == "09:00-12:00, 13:00-24:00"
    assert parse_day("") == ()
    for bad in ("9-17", "17:00-09:00", "09:00-25:00", "09:00-12:00, 11:00-13:00", "24:00-24:30"):
        with pytest.raises(ValueError):
            parse_day(bad)
    with pytest.raises(ValueError, match="time zone"):
        Calendar("Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="aware"):
        business_minutes(calendar, datetime(2026, 1, 1), utc(2026, 1, 2))
    with pytest.raises(ValueError, match="no working hours"):
        add_business_minutes(Calendar("UTC", weekly=((),) * 7), utc(2026, 1, 1), 5)


def test_default_calendar_is_office_hours_in_utc():
    calendar = Calendar()
    assert calendar.hours_setting()["mon"] == ["09:00-17:00"]
    assert calendar.hours_setting()["sat"] == []
    assert business_minutes(calendar, utc(2026, 1, 12), utc(2026, 1, 19)) == 5 * 480


def test_long_spans_read_from_the_timeline_equal_a_walk_over_every_day():
    """Spans over three days are read from a summed-up timeline; it must agree with the day walk to the second."""
    rng = random.Random(15)
    calendars = [
        Calendar(),
        Calendar(
            "Europe/Berlin",
            (((540, 720), (780, 1020)),) * 5 + ((), ((0, 1440),)),
            frozenset({date(2026, 12, 25), date(2026, 3, 29)}),
        ),
        Calendar("America/New_York", (((0, 1440),),) * 7),
        Calendar("Europe/Berlin", (((120, 180),),) * 7),  # 02:00-03:00: the hour the clocks skip or repeat
    ]
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for calendar in calendars:
        for _ in range(2000):
            start = base + timedelta(seconds=rng.randrange(3 * 365 * 86400), microseconds=rng.randrange(10**6))
            span = rng.choice([rng.randrange(5 * 86400), rng.randrange(400 * 86400)])
            end = start + timedelta(seconds=span, microseconds=rng.randrange(10**6))
            assert business_seconds(calendar, start, end) == _walk_business_seconds(calendar, start, end), (
                calendar.timezone,
                start,
                end,
            )
