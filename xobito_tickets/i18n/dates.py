"""Times and numbers in the reader's language and time zone.

Pages use the request's zone (the person's, via Flask-Babel's selector); an email is
rendered inside :func:`for_recipient`, which sets the recipient's language and zone.
"""

import contextlib
import contextvars
import zoneinfo
from datetime import UTC, datetime

import flask_babel
from babel.dates import format_date, format_timedelta
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_decimal
from flask import current_app

from .setup import is_timezone

_zone_override = contextvars.ContextVar("tickets_zone_override", default=None)


def current_zone():
    """Return the zone times are shown in now: an email's recipient's, else the request's."""
    override = _zone_override.get()
    if override is not None:
        return override
    try:
        zone = flask_babel.get_timezone()
    except (KeyError, RuntimeError):  # no Babel on this app, or no app context
        zone = None
    return zone or UTC


def current_locale():
    """Return the Babel locale texts are written in now (``en`` outside a request)."""
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
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def exact_time(value, format="medium"):
    """Return ``value`` as the reader writes a date and time, in the reader's zone: ``29.03.2026, 03:30:00``."""
    if value is None:
        return ""
    zone = current_zone()
    text = babel_format_datetime(_aware(value), format, tzinfo=zone, locale=current_locale())
    return f"{text} {_aware(value).astimezone(zone).tzname()}"


def relative_time(value, now=None):
    """Return how long ago ``value`` was, in the reader's language: "vor 3 Minuten"."""
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    delta = _aware(value) - now
    if abs(delta.total_seconds()) < 45:
        return flask_babel.gettext("just now")
    if abs(delta.days) >= 30:
        return format_date(_aware(value).astimezone(current_zone()), "medium", locale=current_locale())
    return format_timedelta(delta, add_direction=True, threshold=0.9, locale=current_locale())


def file_size(num):
    """Return a byte count as "12 KB" / "1,5 MB" with the reader's decimal mark."""
    num = int(num or 0)
    if num < 1024:
        return f"{num} B"
    if num < 1024 * 1024:
        return f"{format_decimal(round(num / 1024), locale=current_locale())} KB"
    return f"{format_decimal(num / 1024 / 1024, format='0.0', locale=current_locale())} MB"
