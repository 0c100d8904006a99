"""Times and numbers in the reader's language and time zone.

Pages use the request's zone (the person's, via Flask-Babel's selector); an email is
rendered inside :func:`for_recipient`, which sets the recipient's language and zone.
"""

import contextlib
import contextvars
import zoneinfo
from datetime import UTC, datetime
from functools import lru_cache

import flask_babel
from babel import Locale
from babel.dates import (
    TIMEDELTA_UNITS,
    format_date,
    format_timedelta,
    get_date_format,
    get_datetime_format,
    get_time_format,
)
from babel.numbers import format_decimal
from flask import current_app

from .setup import babel_state, gettext, is_timezone

_zone_override = contextvars.ContextVar("tickets_zone_override", default=None)


def _chosen(name):
    # Flask-Babel keeps the locale and zone it chose for this request (or that force_locale
    # set) on g._flask_babel; its get_locale() finds them there in 3 µs, which a list page
    # paid a hundred times (badges and times of every row).
    return getattr(babel_state(), name, None)


def current_zone():
    """Return the zone times are shown in now: an email's recipient's, else the request's."""
    override = _zone_override.get()
    if override is not None:
        return override
    zone = _chosen("babel_tzinfo")
    if zone is not None:
        return zone
    try:
        zone = flask_babel.get_timezone()
    except (KeyError, RuntimeError):  # no Babel on this app, or no app context
        zone = None
    return zone or UTC


def reader():
    """Return ``(current_zone(), str(current_locale()))`` with one look at the request's state.

    For what a list writes once per row (times, badges): the locale's name is kept on the
    request's Babel state while the locale stays (``force_locale`` sets another).
    """
    state = babel_state()
    zone = _zone_override.get()
    if zone is None:
        zone = getattr(state, "babel_tzinfo", None) or current_zone()
    locale = getattr(state, "babel_locale", None) or current_locale()
    kept = getattr(state, "tickets_locale_name", None)
    if kept is None or kept[0] is not locale:
        kept = (locale, str(locale))
        if state is not None:
            state.tickets_locale_name = kept
    return zone, kept[1]


def current_locale():
    """Return the Babel locale texts are written in now (``en`` outside a request)."""
    locale = _chosen("babel_locale")
    if locale is not None:
        return locale
    try:
        locale = flask_babel.get_locale()
    except (KeyError, RuntimeError):
        locale = None
    return locale or "en"


@contextlib.contextmanager
def for_recipient(language, zone_name):
    """Render what is inside in ``language`` and with times in ``zone_name`` (an email to one person)."""
    default_language = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    zone = zoneinfo.ZoneInfo(zone_name) if is_timezone(zone_name) else UTC
    token = _zone_override.set(zone)
    try:
        with flask_babel.force_locale(language or default_language):
            yield
    finally:
        _zone_override.reset(token)


def _aware(value):
    # Emails carry times as ISO text in their payload (JSON).
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@lru_cache(maxsize=64)
def _patterns(locale_name, format):
    """The locale and its parsed date, time and date-time patterns (Babel parses them on every call)."""
    locale = Locale.parse(locale_name)
    return (
        locale,
        get_date_format(format, locale=locale),
        get_time_format(format, locale=locale),
        # As babel.dates.format_datetime uses it: quotes removed.
        get_datetime_format(format, locale=locale).replace("'", ""),
    )


#: Pure functions of their arguments, and a list page writes one per row, the same rows
#: again when the page is reloaded: remembered (a few thousand short strings at most).
@lru_cache(maxsize=4096)
def _exact(value, zone, locale_name, format="medium"):
    # babel.dates.format_datetime(value, format, tzinfo=zone, locale=…) with the patterns
    # parsed once per locale (tests compare the two).
    locale, date_pattern, time_pattern, datetime_pattern = _patterns(str(locale_name), format)
    local = value.astimezone(zone)
    text = datetime_pattern.replace("{0}", time_pattern.apply(local, locale, local.date())).replace(
        "{1}", date_pattern.apply(local.date(), locale)
    )
    return f"{text} {local.tzname()}"


def _relative(value, now, zone, locale_name):
    delta = value - now
    if abs(delta.total_seconds()) < 45:
        return gettext("just now")
    if abs(delta.days) >= 30:
        return _medium_date(value.astimezone(zone).date(), str(locale_name))
    return _timedelta_text(delta, str(locale_name))


#: ``format_timedelta``'s text, keyed on what it depends on: the direction, the unit and the
#: rounded count (chosen here as Babel chooses them), and the language.
_TIMEDELTA_TEXTS = {}


def _timedelta_text(delta, locale_name):
    """``format_timedelta(delta, add_direction=True, threshold=0.9)``, remembered per unit and count.

    Babel looks up the locale's patterns and plural rule on every call: a page with a
    hundred times paid that a hundred times for a handful of different texts.
    """
    seconds = delta.total_seconds()
    for unit, per_unit in TIMEDELTA_UNITS:
        value = abs(seconds) / per_unit
        if value >= 0.9 or unit == "second":
            if unit == "second" and value > 0:
                value = max(1, value)
            key = (seconds >= 0, unit, int(round(value)), locale_name)
            break
    text = _TIMEDELTA_TEXTS.get(key)
    if text is None:
        if len(_TIMEDELTA_TEXTS) >= 4096:
            _TIMEDELTA_TEXTS.clear()
        text = _TIMEDELTA_TEXTS[key] = format_timedelta(
            delta, add_direction=True, threshold=0.9, locale=_patterns(locale_name, "medium")[0]
        )
    return text


@lru_cache(maxsize=4096)
def _medium_date(day, locale_name):
    locale, date_pattern = _patterns(locale_name, "medium")[:2]
    return date_pattern.apply(day, locale)


def exact_time(value, format="medium"):
    """Return ``value`` as the reader writes a date and time, in the reader's zone: ``29.03.2026, 03:30:00``."""
    if value is None:
        return ""
    return _exact(_aware(value), current_zone(), current_locale(), format)


def day(value, format="medium"):
    """Return the date ``value`` as the reader writes it: ``07.12.2026``."""
    if not value:
        return ""
    if isinstance(value, str | datetime):
        # A moment: the day it is in the reader's zone.
        value = _aware(value).astimezone(current_zone()).date()
    return format_date(value, format, locale=current_locale())


def number(value, format=None):
    """Return ``value`` with the reader's digit grouping and decimal mark: ``12.345``, ``1,5``."""
    return format_decimal(value, format=format, locale=current_locale())


def relative_time(value, now=None):
    """Return how long ago ``value`` was, in the reader's language: "vor 3 Minuten"."""
    if value is None:
        return ""
    return _relative(_aware(value), now or datetime.now(UTC), current_zone(), current_locale())


def exact_time_in(value, zone, locale):
    """Return :func:`exact_time` of an aware ``value`` for a zone and locale the caller looked up once."""
    return _exact(value, zone, locale)


def relative_time_in(value, zone, locale, now=None):
    """Return :func:`relative_time` of an aware ``value`` for a zone and locale the caller looked up once."""
    return _relative(value, now or datetime.now(UTC), zone, locale)


def exact_and_relative(value, now=None):
    """Return ``(exact_time(value), relative_time(value))`` with the reader's language and zone looked up once."""
    value, zone, locale = _aware(value), current_zone(), current_locale()
    return _exact(value, zone, locale), _relative(value, now or datetime.now(UTC), zone, locale)


def file_size(num):
    """Return a byte count as "12 KB" / "1,5 MB" with the reader's decimal mark."""
    num = int(num or 0)
    if num < 1024:
        return f"{num} B"
    return _file_size(num, str(current_locale()))


@lru_cache(maxsize=4096)
def _file_size(num, locale_name):
    # A pure function of the count and the language; a thread lists the same files on every view.
    locale = _patterns(locale_name, "medium")[0]
    if num < 1024 * 1024:
        return f"{format_decimal(round(num / 1024), locale=locale)} KB"
    return f"{format_decimal(num / 1024 / 1024, format='0.0', locale=locale)} MB"
