"""Business-time arithmetic: minutes that count only inside a tenant's working hours.

Pure functions over a :class:`Calendar` (an IANA time zone, weekly hours with possibly
several intervals a day, holidays as local dates). Instants in and out are aware UTC
datetimes; the working hours are wall-clock times in the calendar's zone, so a day on
which the clocks change has as many business minutes as really pass (a 24-hour day has
23 or 25 hours of them).

Wall times that do not exist (the hour skipped in spring) mean the moment the clocks
jump; wall times that happen twice (the hour repeated in autumn) start at their first
occurrence and end at their second, so an interval covers all the time its wall clock
shows.
"""

import bisect
import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _

MINUTES_PER_DAY = 24 * 60

#: Weekday keys, Monday first (``date.weekday()`` order).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Monday to Friday, 09:00–17:00.
OFFICE_HOURS = (((9 * 60, 17 * 60),),) * 5 + ((), ())

_INTERVAL_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")


@functools.lru_cache(maxsize=256)
def load_zone(name):
    """Return the ZoneInfo called ``name``, or raise ValueError for an unknown zone."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"Unknown time zone: {name!r}.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"Unknown time zone: {name}.") from error


def _normalize_day(intervals):
    """Return ``intervals`` as a sorted tuple of (start, end) minute pairs, or raise ValueError."""
    pairs = sorted((int(start), int(end)) for start, end in intervals)
    for start, end in pairs:
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(_("Each interval must start before it ends, within the day (00:00–24:00)."))
    for (_start, end), (start, _end) in zip(pairs, pairs[1:], strict=False):
        if start < end:
            raise ValueError(_("Intervals of one day must not overlap."))
    return tuple(pairs)


@dataclass(frozen=True)
class Calendar:
    """A tenant's working time: zone name, weekly hours (minutes of the day), holidays."""

    timezone: str = "UTC"
    #: Seven tuples (Monday first) of ``(start_minute, end_minute)`` pairs; 0–1440.
    weekly: tuple = OFFICE_HOURS
    #: Local dates on which nobody works.
    holidays: frozenset = field(default_factory=frozenset)

    def __post_init__(self):
        load_zone(self.timezone)
        weekly = tuple(self.weekly)
        if len(weekly) != 7:
            raise ValueError("Weekly hours need seven days, Monday first.")
        object.__setattr__(self, "weekly", tuple(_normalize_day(day) for day in weekly))
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @property
    def zone(self):
        """The calendar's ZoneInfo."""
        return load_zone(self.timezone)

    @property
    def works_at_all(self):
        """Whether any weekday has working hours (else no business time ever passes)."""
        return any(self.weekly)

    @classmethod
    def from_settings(cls, timezone, hours, holidays=()):
        """Build a calendar from stored settings: ``{"mon": ["09:00-17:00"], …}`` and ISO dates."""
        weekly = tuple(tuple(parse_interval(text) for text in (hours or {}).get(key, ())) for key in WEEKDAYS)
        days = frozenset(day if isinstance(day, date) else date.fromisoformat(day) for day in holidays or ())
        return cls(timezone=timezone, weekly=weekly, holidays=days)

    def hours_setting(self):
        """Return the weekly hours in the stored form: ``{"mon": ["09:00-17:00"], …}``."""
        return {key: [format_interval(pair) for pair in day] for key, day in zip(WEEKDAYS, self.weekly, strict=True)}

    def intervals_on(self, day):
        """Return the working intervals of local date ``day`` as aware UTC (start, end) pairs."""
        return _intervals_on(self, day)


@functools.lru_cache(maxsize=8192)
def _intervals_on(calendar, day):
    # Cached: recomputing a tenant's open tickets walks the same few weeks for each of them,
    # and the zone conversions are most of the cost of a day.
    if day in calendar.holidays:
        return ()
    zone = calendar.zone
    midnight = datetime.combine(day, time())
    return tuple(
        (
            _wall_to_utc(midnight + timedelta(minutes=start), zone, fold=0),
            _wall_to_utc(midnight + timedelta(minutes=end), zone, fold=1),
        )
        for start, end in calendar.weekly[day.weekday()]
    )


def parse_interval(text):
    """Parse ``"09:00-17:00"`` into minutes ``(540, 1020)``; ``24:00`` ends a day; else ValueError."""
    match = _INTERVAL_RE.match(str(text))
    if not match:
        raise ValueError(_("“%(text)s” is not an interval like 09:00-17:00.", text=text))
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(_("“%(text)s” is not a time of day.", text=text))
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start >= end:
        raise ValueError(_("“%(text)s” ends before it starts.", text=text))
    return start, end


def format_interval(pair):
    """Return ``(540, 1020)`` as ``"09:00-17:00"``."""
    start, end = pair
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def parse_day(text):
    """Parse a day's hours, ``"09:00-12:00, 13:00-17:00"`` (empty: closed), into minute pairs."""
    parts = [part for part in re.split(r"[,;]", str(text or "")) if part.strip()]
    return _normalize_day(parse_interval(part) for part in parts)


def format_day(intervals):
    """Return a day's minute pairs as ``"09:00-12:00, 13:00-17:00"``."""
    return ", ".join(format_interval(pair) for pair in intervals)


def _wall(instant, zone):
    return instant.astimezone(zone).replace(tzinfo=None)


def _wall_to_utc(naive, zone, fold):
    """Return the UTC instant of wall time ``naive``; a skipped wall time maps to the jump."""
    instant = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
    if _wall(instant, zone) == naive:
        return instant
    # In a gap: the earliest instant whose wall time is at or after ``naive`` is the jump.
    low, high = sorted(naive.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _wall(middle, zone) >= naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _check_aware(*instants):
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("Business-time arithmetic needs timezone-aware datetimes.")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: Days a timeline reaches past the dates it was built for (rebuilt wider when an instant falls outside).
_TIMELINE_MARGIN = 400


def _micros(instant):
    return (instant - _EPOCH) // _MICROSECOND


class _Timeline:
    """A calendar's working intervals over a span of local dates, flattened and summed up.

    ``cum[i]`` is the working time (microseconds) of all intervals before interval ``i``, so the
    working time between two instants is a difference of two lookups (a binary search each)
    instead of a walk over every day between them: rebuilding the reports counts a million
    tickets, many of them open for months.
    """

    def __init__(self, calendar, first, last):
        self.first, self.last = first, last
        starts, ends, cum = [], [], []
        total = 0
        day = first
        while day <= last:
            for low, high in calendar.intervals_on(day):
                low, high = _micros(low), _micros(high)
                starts.append(low)
                ends.append(high)
                cum.append(total)
                total += high - low
            day += timedelta(days=1)
        self.starts, self.ends, self.cum = starts, ends, cum

    def covers(self, first, last):
        return self.first <= first and last <= self.last

    def worked_before(self, micros):
        """Return the working microseconds from the timeline's start up to ``micros``."""
        i = bisect.bisect_right(self.starts, micros) - 1
        if i < 0:
            return 0
        return self.cum[i] + min(micros, self.ends[i]) - self.starts[i]


@functools.lru_cache(maxsize=64)
def _timeline_holder(calendar):
    return {}


def _timeline(calendar, first, last):
    """Return a :class:`_Timeline` of ``calendar`` covering the local dates ``first``..``last``."""
    holder = _timeline_holder(calendar)
    timeline = holder.get("timeline")
    if timeline is None or not timeline.covers(first, last):
        if timeline is not None:
            first, last = min(first, timeline.first), max(last, timeline.last)
        margin = timedelta(days=_TIMELINE_MARGIN)
        timeline = holder["timeline"] = _Timeline(calendar, first - margin, last + margin)
    return timeline


def business_seconds(calendar, start, end):
    """Return the whole seconds of working time between ``start`` and ``end`` (0 if end ≤ start)."""
    _check_aware(start, end)
    if end <= start:
        return 0
    zone = calendar.zone
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    if (last - first).days < 3:
        return _walk_business_seconds(calendar, start, end)
    timeline = _timeline(calendar, first, last)
    return (timeline.worked_before(_micros(end)) - timeline.worked_before(_micros(start))) // 1_000_000


def _walk_business_seconds(calendar, start, end):
    """Return :func:`business_seconds` by walking the days (short spans; and the reference for tests)."""
    if end <= start:
        return 0
    zone = calendar.zone
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    total = timedelta()
    while day <= last:
        for low, high in calendar.intervals_on(day):
            low, high = max(low, start), min(high, end)
            if high > low:
                total += high - low
        day += timedelta(days=1)
    return int(total.total_seconds())


def business_minutes(calendar, start, end):
    """Return the whole minutes of working time between ``start`` and ``end`` (0 if end ≤ start)."""
    return business_seconds(calendar, start, end) // 60


def add_business_seconds(calendar, start, seconds):
    """Return the instant ``seconds`` of working time after ``start`` (before it, if negative)."""
    _check_aware(start)
    start = start.astimezone(UTC)
    if seconds == 0:
        return start
    if not calendar.works_at_all:
        raise ValueError("The calendar has no working hours.")
    zone = calendar.zone
    remaining = timedelta(seconds=abs(seconds))
    step = timedelta(days=1 if seconds > 0 else -1)
    day = start.astimezone(zone).date()
    # Ends: holidays are finite and some weekday has hours, so working time keeps coming.
    while True:
        intervals = calendar.intervals_on(day)
        for low, high in intervals if seconds > 0 else reversed(intervals):
            if seconds > 0:
                low = max(low, start)
                if high <= low:
                    continue
                if remaining <= high - low:
                    return low + remaining
            else:
                high = min(high, start)
                if high <= low:
                    continue
                if remaining <= high - low:
                    return high - remaining
            remaining -= high - low
        day += step


def add_business_minutes(calendar, start, minutes):
    """Return the instant ``minutes`` of working time after ``start`` (before it, if negative)."""
    return add_business_seconds(calendar, start, int(minutes) * 60)
