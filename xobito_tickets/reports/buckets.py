"""Duration histograms: fixed bucket bounds in minutes, and percentiles read from bucket counts.

A report over a year cannot sort a million durations on every view, so each duration is
counted in a bucket; a percentile is the upper bound of the bucket that holds the exact
nearest-rank percentile. Bounds grow by about 15 % each, so the answer is never more than
15 % above the exact value (and exact up to 7 minutes). A duration past the last bound (a
year and a month) is counted in the last bucket.
"""

import bisect
import math

from flask_babel import gettext as _


def _bounds():
    bounds = [0]
    value = 1
    # Up to a year of minutes; the buckets are columns of one row (models.py), so few.
    while value < 365 * 24 * 60:
        bounds.append(value)
        value = max(value + 1, math.ceil(value * 1.15))
    bounds.append(value)
    return tuple(bounds)


#: Upper bounds (inclusive) of the buckets, in minutes; bucket ``i`` holds ``(BOUNDS[i-1], BOUNDS[i]]``.
BOUNDS = _bounds()
#: How many buckets there are.
COUNT = len(BOUNDS)


def coarse_groups(step):
    """Return the bucket indexes read together when ``step`` neighbouring buckets count as one.

    Groups end at the last bucket; the first group is bucket 0 alone (a duration of 0
    minutes stays exact), so a group's upper bound is the bound of its last bucket.
    """
    if step <= 1:
        return [(i,) for i in range(COUNT)]
    groups = [(0,)]
    for first in range(1, COUNT, step):
        groups.append(tuple(range(first, min(first + step, COUNT))))
    return groups


def bucket_of(minutes):
    """Return the index of the bucket that counts a duration of ``minutes``."""
    minutes = max(0, int(minutes))
    return min(bisect.bisect_left(BOUNDS, minutes), len(BOUNDS) - 1)


def percentile(counts, p):
    """Return the nearest-rank ``p``-th percentile (minutes, a bucket bound) of ``{bucket: n}``, or None if empty."""
    total = sum(n for n in counts.values() if n > 0)
    if total <= 0:
        return None
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for bucket in sorted(counts):
        seen += max(0, counts[bucket])
        if seen >= rank:
            return BOUNDS[bucket]
    return BOUNDS[max(counts)]


def exact_percentile(values, p):
    """Return the nearest-rank ``p``-th percentile of ``values`` (for checks), or None if empty."""
    values = sorted(values)
    if not values:
        return None
    return values[max(1, math.ceil(p / 100 * len(values))) - 1]


def format_minutes(minutes, _=_):
    """Return ``minutes`` as a short readable duration: ``45 min``, ``3 h 10 min``, ``2 d 4 h``.

    ``_``: the gettext to translate with (default: Flask-Babel's, the request's language).
    """
    if minutes is None:
        return "–"
    minutes = int(minutes)
    if minutes < 60:
        return _("%(num)s min", num=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{_('%(num)s h', num=hours)} {_('%(num)s min', num=rest)}" if rest else _("%(num)s h", num=hours)
    days, hours = divmod(hours, 24)
    return f"{_('%(num)s d', num=days)} {_('%(num)s h', num=hours)}" if hours else _("%(num)s d", num=days)
