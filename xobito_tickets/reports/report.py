"""The reports page's content: sections of numbers, each with a chart, a table and a CSV form."""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel.speaklater import LazyString

from ..i18n.dates import current_locale
from ..i18n.labels import STATUS_LABELS
from ..i18n.setup import lazy_gettext as _l
from ..i18n.setup import request_translations
from ..models import QueueCount, TicketStatus
from ..tickets.access import department_choices, staff_choices, visible_counts_clause
from . import buckets, charts, queries
from .models import DAY_COUNTERS, FIRST_RESPONSE, RESOLUTION, ReportCount, ReportDuration

#: The longest date range a report covers (two years and a day for leap years).
MAX_DAYS = 731
#: The range shown when none is asked for: the last 30 days.
DEFAULT_DAYS = 30

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


#: Labels, columns and titles are lazy texts: the page shows them in the reader's language, the CSV
#: files in English (reports/views.py renders them in "en").
METRICS = ((FIRST_RESPONSE, _l("First response")), (RESOLUTION, _l("Resolution")))
UNASSIGNED = _l("Unassigned")


class RangeError(ValueError):
    """A date range that cannot be reported on, with the field it concerns."""

    def __init__(self, message, field):
        super().__init__(message)
        self.message = message
        self.field = field


def parse_range(args, today):
    """Return ``(start, end)`` from the ``from`` and ``to`` GET parameters (YYYY-MM-DD), or raise RangeError."""
    values = {}
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        if not raw:
            values[name] = None
            continue
        try:
            if not _DATE.fullmatch(raw):
                raise ValueError(raw)
            values[name] = date.fromisoformat(raw)
        except ValueError:
            raise RangeError(_l("Enter a date as YYYY-MM-DD, e.g. 2026-03-31."), name) from None
    end = values["to"] or today
    start = values["from"] or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise RangeError(_l("The start must not be after the end."), "from")
    if (end - start).days + 1 > MAX_DAYS:
        raise RangeError(_l("A report covers at most %(most)s days.", most=MAX_DAYS), "from")
    return start, end


@dataclass
class Section:
    """One part of the report: a chart, the table it draws, and the same table as CSV."""

    name: str
    title: str
    columns: list
    rows: list  # raw values, as the CSV has them
    chart: object = None
    note: str = ""
    display: list = field(default_factory=list)  # rows formatted for the page


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _times(histograms):
    """Return (count, median, p90) per metric of ``{metric: {bucket: n}}``."""
    result = {}
    for metric, _label in METRICS:
        counts = histograms.get(metric, {})
        result[metric] = (
            sum(counts.values()),
            buckets.percentile(counts, 50),
            buckets.percentile(counts, 90),
        )
    return result


# A report writes a few hundred numbers, dates and durations, mostly the same few dozen
# values (counts, percentages, the histograms' bucket bounds): each is formatted once per
# language and remembered (Babel parses the locale's pattern on every call). They are pure
# functions of the value and the locale (durations: of the catalogue, which the locale picks).


@lru_cache(maxsize=4096)
def _number_text(value, locale):
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=2048)
def _percent_text(value, locale):
    return f"{format_decimal(value, format='0.#', locale=locale)} %"


@lru_cache(maxsize=2048)
def _day_text(value, locale):
    return format_date(date.fromisoformat(value), "medium", locale=locale)


@lru_cache(maxsize=1024)
def _minutes_text(value, translations):
    def gettext(text, **values):
        translated = translations.ugettext(text)
        return translated % values if values else translated

    return buckets.format_minutes(value, gettext)


def _fmt(value, kind):
    if value is None:
        return "–"
    if kind == "minutes":
        return _minutes_text(int(value), request_translations())
    locale = current_locale()
    if kind == "percent":
        return _percent_text(value, locale)
    if kind == "day":
        return _day_text(value, locale)
    return _number_text(value, locale) if isinstance(value, int) else str(value)


def _satisfaction_note(share, given):
    return ngettext(
        "%(percent)s good of %(count)s rating given in the range.",
        "%(percent)s good of %(count)s ratings given in the range.",
        given,
        percent=_fmt(share, "percent"),
        count=_fmt(given, "int"),
    )


def _display(rows, kinds):
    return [[_fmt(value, kind) for value, kind in zip(row, kinds, strict=True)] for row in rows]


def _merge_counts(by_place, key):
    """Return ``by_place`` counters summed by ``key(place)``."""
    merged = {}
    for place, counters in by_place.items():
        total = merged.setdefault(key(place), dict.fromkeys(counters, 0))
        for name, n in counters.items():
            total[name] = total.get(name, 0) + n
    return merged


def _merge_histograms(by_place, key):
    """Return ``{key: {metric: {bucket: n}}}`` of ``by_place`` histograms summed by ``key(place)``."""
    merged = {}
    for place, metrics in by_place.items():
        target = merged.setdefault(key(place), {})
        for metric, counts in metrics.items():
            into = target.setdefault(metric, {})
            for bucket, n in counts.items():
                into[bucket] = into.get(bucket, 0) + n
    return merged


@dataclass
class _Data:
    """What the report reads: a few rows per place (department and assignee), and the days."""

    days: dict
    counts: dict
    histograms: dict
    backlog: dict


def _everything(place):
    return None


#: What each section is made from (``_Data``'s fields): a CSV of one table reads only these.
_SECTION_DATA = {
    "per-day": {"days"},
    "times": {"histograms"},
    "sla": {"counts"},
    "satisfaction": {"counts"},
    "backlog": {"backlog"},
    "departments": {"counts", "histograms", "backlog"},
    "staff": {"counts", "histograms", "backlog"},
}
SECTION_NAMES = tuple(_SECTION_DATA)


def _no_chart(*args, **kwargs):
    return None


def _no_display(rows, kinds):
    return []


def build_report(visible, start, end, department_names, staff_names, days_table=True, only=None):
    """Return the report's sections for the rollup rows ``visible(table)`` selects, from ``start`` to ``end``.

    ``department_names`` and ``staff_names`` map ids to names (the breakdowns' labels).
    ``days_table=False`` leaves the per-day section's table out of the page (its chart,
    rows and CSV stay): a year is 365 rows nobody reads on the page, asked for with a link.
    ``only``: the name of one section, for its CSV: only what that table needs is read, and
    neither its chart nor its formatted table is made.
    """
    wanted = SECTION_NAMES if only is None else (only,)
    needs = set().union(*(_SECTION_DATA[name] for name in wanted))
    show = only is None
    chart = charts.bar_chart if show else _no_chart
    display = _display if show else _no_display
    days = queries.days_between(start, end)
    step = queries.bucket_step(start, end)
    # Over more than a quarter the page's chart shows weeks (read from the weeks' rows): a
    # year is 53 points instead of 365 and a few hundred rows read instead of thousands.
    # The table of days (on demand) and the CSV always have every day.
    weekly = not days_table and len(days) > queries.COARSE_AFTER_DAYS
    data = _Data(
        days=(queries.counts_per_week if weekly else queries.counts_per_day)(visible(ReportCount), start, end)
        if "days" in needs
        else {},
        counts=queries.counts_per_place(visible(ReportCount), start, end) if "counts" in needs else {},
        histograms=queries.durations_per_place(visible(ReportDuration), start, end, step)
        if "histograms" in needs
        else {},
        backlog=queries.backlog_per_place(visible(QueueCount)) if "backlog" in needs else {},
    )
    totals = _merge_counts(data.counts, _everything).get(None) or dict.fromkeys(DAY_COUNTERS, 0)
    histograms = _merge_histograms(data.histograms, _everything).get(None, {})
    sections = []
    if "per-day" in wanted:
        sections.append(
            _per_day_section(data.days, queries.weeks_between(start, end) if weekly else days, weekly, days_table, show)
        )

    # First response and resolution time.
    if "times" in wanted:
        times = _times(histograms)
        rows = [[label, *times[metric]] for metric, label in METRICS]
        sections.append(
            Section(
                "times",
                _l("First response and resolution time"),
                [_l("Measure"), _l("Tickets"), _l("Median (minutes)"), _l("90th percentile (minutes)")],
                rows,
                chart(
                    _l("Median and 90th percentile, in hours"),
                    [label for _metric, label in METRICS],
                    [
                        (_l("Median"), [None if r[2] is None else round(r[2] / 60, 1) for r in rows]),
                        (_l("90th percentile"), [None if r[3] is None else round(r[3] / 60, 1) for r in rows]),
                    ],
                    unit=" h",
                ),
                note=_times_note(step) if show else "",
                display=display(rows, ("text", "int", "minutes", "minutes")),
            )
        )

    # SLA attainment.
    if "sla" in wanted:
        rows = []
        for label, prefix in ((_l("First response"), "response_sla"), (_l("Resolution"), "resolution_sla")):
            met, missed = totals[prefix + "_met"], totals[prefix + "_missed"]
            rows.append([label, met, missed, _percent(met, met + missed)])
        sections.append(
            Section(
                "sla",
                _l("SLA attainment"),
                [_l("Target"), _l("Met"), _l("Missed"), _l("Attainment (%)")],
                rows,
                chart(_l("SLA attainment"), [r[0] for r in rows], [(_l("Attainment"), [r[3] for r in rows])], " %"),
                display=display(rows, ("text", "int", "int", "percent")),
            )
        )

    # Satisfaction.
    if "satisfaction" in wanted:
        good, bad = totals["rated_good"], totals["rated_bad"]
        rows = [[_l("Good"), good], [_l("Bad"), bad]]
        sections.append(
            Section(
                "satisfaction",
                _l("Satisfaction"),
                [_l("Rating"), _l("Tickets")],
                rows,
                chart(_l("Satisfaction ratings"), [_l("Good"), _l("Bad")], [(_l("Ratings"), [good, bad])]),
                note=LazyString(_satisfaction_note, _percent(good, good + bad), good + bad),
                display=display(rows, ("text", "int")),
            )
        )

    # Backlog now.
    if "backlog" in wanted:
        backlog = _merge_counts(data.backlog, _everything).get(None, {})
        rows = [[STATUS_LABELS[status.value], backlog.get(status.value, 0)] for status in TicketStatus]
        sections.append(
            Section(
                "backlog",
                _l("Backlog by status (now)"),
                [_l("Status"), _l("Tickets")],
                rows,
                chart(_l("Tickets by status now"), [r[0] for r in rows], [(_l("Tickets"), [r[1] for r in rows])]),
                display=display(rows, ("text", "int")),
            )
        )

    # By department and by staff member.
    for name, group, title, names in (
        ("departments", "department", _l("By department"), department_names),
        ("staff", "assignee", _l("By staff member"), staff_names),
    ):
        if name in wanted:
            sections.append(_breakdown(data, group, title, names, show))
    return sections


def _times_note(step):
    note = _("Business time. Each time is counted on the day of the first response or of the closing.")
    if step > 1:
        note += " " + _(
            "Over more than a quarter, times are read from wider steps (up to about a third above the exact value)."
        )
    return note


def _per_day_section(counts, points, weekly, days_table, show=True):
    """The created-and-closed section: a point per day (or per week, ``weekly``), its table and CSV rows."""
    rows = []
    for point in points:
        values = counts.get(point) or {}
        rows.append([point.isoformat(), values.get("created", 0), values.get("closed", 0)])
    title = _("Tickets created and closed per week") if weekly else _("Tickets created and closed per day")
    return Section(
        "per-day",
        title,
        [_l("Week") if weekly else _l("Day"), _l("Created"), _l("Closed")],
        rows,
        charts.line_chart(title, points, [(_l("Created"), [r[1] for r in rows]), (_l("Closed"), [r[2] for r in rows])])
        if show
        else None,
        note=_("Each week from its Monday (the first from the range's start); the days' table and CSV have every day.")
        if weekly
        else "",
        display=_display(rows, ("day", "int", "int")) if days_table and show else [],
    )


def report_for(user, start, end, days_table=True, only=None):
    """Return the report sections of the tickets ``user`` may see (admins: all; staff: their departments').

    ``only``: one section's name (its CSV; see :func:`build_report`).
    """
    departments = {d.id: d.name for d in department_choices(user.tenant_id)}
    staff = {p.id: p.name for p in staff_choices(user.tenant_id)}
    return build_report(
        lambda table: visible_counts_clause(user, table),
        start,
        end,
        departments,
        staff,
        days_table=days_table,
        only=only,
    )


_BREAKDOWN_COLUMNS = [
    _l("Created"),
    _l("Closed"),
    _l("First response median (minutes)"),
    _l("First response 90th percentile (minutes)"),
    _l("Resolution median (minutes)"),
    _l("Resolution 90th percentile (minutes)"),
    _l("Good"),
    _l("Bad"),
    _l("SLA met (%)"),
    _l("Open now"),
    _l("Answered now"),
]
_BREAKDOWN_KINDS = (
    "text",
    "int",
    "int",
    "minutes",
    "minutes",
    "minutes",
    "minutes",
    "int",
    "int",
    "percent",
    "int",
    "int",
)


def _breakdown(data, group, title, names, show=True):
    index = 0 if group == "department" else 1

    def key(place):
        return place[index]

    counts = _merge_counts(data.counts, key)
    histograms = _merge_histograms(data.histograms, key)
    backlog = _merge_counts(data.backlog, key)
    keys = (
        {k for k, v in counts.items() if any(v.values())}
        | set(histograms)
        | {k for k, v in backlog.items() if v.get("open") or v.get("answered")}
    )

    def label(key):
        if group == "assignee" and not key:
            return str(UNASSIGNED)
        return names.get(key, f"#{key}")

    rows = []
    for key in sorted(keys, key=lambda k: (label(k).casefold(), k)):
        c = counts.get(key) or {}
        times = _times(histograms.get(key, {}))
        met = c.get("response_sla_met", 0) + c.get("resolution_sla_met", 0)
        missed = c.get("response_sla_missed", 0) + c.get("resolution_sla_missed", 0)
        rows.append(
            [
                label(key),
                c.get("created", 0),
                c.get("closed", 0),
                times[FIRST_RESPONSE][1],
                times[FIRST_RESPONSE][2],
                times[RESOLUTION][1],
                times[RESOLUTION][2],
                c.get("rated_good", 0),
                c.get("rated_bad", 0),
                _percent(met, met + missed),
                backlog.get(key, {}).get("open", 0),
                backlog.get(key, {}).get("answered", 0),
            ]
        )
    name = "departments" if group == "department" else "staff"
    chart = (
        charts.bar_chart(
            _l("Created and closed by department")
            if group == "department"
            else _l("Created and closed by staff member"),
            [r[0] for r in rows],
            [(_l("Created"), [r[1] for r in rows]), (_l("Closed"), [r[2] for r in rows])],
        )
        if show
        else None
    )
    first = _l("Department") if group == "department" else _l("Staff member")
    display = _display(rows, _BREAKDOWN_KINDS) if show else []
    return Section(name, title, [first, *_BREAKDOWN_COLUMNS], rows, chart, display=display)
