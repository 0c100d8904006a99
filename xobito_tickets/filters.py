"""Jinja filters for dates and user text (always escaped)."""

from datetime import UTC, datetime

from markupsafe import Markup, escape


def relative_time(value, now=None):
    """Return ``value`` as "3 minutes ago", "yesterday", "on 4 Mar 2026"."""
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int((now - value).total_seconds())
    if seconds < 45:
        return "just now"
    minutes = seconds // 60
    if minutes < 1:
        return "1 minute ago"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    days = hours // 24
    if days == 1:
        return "yesterday"
    if days < 30:
        return f"{days} days ago"
    return value.strftime("on %d %b %Y").replace("on 0", "on ")


def exact_time(value):
    """Return ``value`` as ``2026-03-04 14:05 UTC``."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso_time(value):
    """Return ``value`` in ISO 8601 for ``<time datetime>``."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def paragraphs(text):
    """Escape user text and keep its line breaks (``<br>``); nothing else is rendered."""
    escaped = escape(text or "")
    return Markup(escaped.replace("\n", Markup("<br>\n")))


def filesize(num):
    """Return a byte count as "12 KB"."""
    num = int(num or 0)
    if num < 1024:
        return f"{num} B"
    if num < 1024 * 1024:
        return f"{num / 1024:.0f} KB"
    return f"{num / 1024 / 1024:.1f} MB"


def register(app):
    """Add the filters to ``app``'s Jinja environment."""
    app.jinja_env.filters.setdefault("relative_time", relative_time)
    app.jinja_env.filters.setdefault("exact_time", exact_time)
    app.jinja_env.filters.setdefault("iso_time", iso_time)
    app.jinja_env.filters.setdefault("paragraphs", paragraphs)
    app.jinja_env.filters.setdefault("filesize", filesize)
