"""Jinja filters for dates, badges and user text (always escaped), and the list pages' link builder."""

from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote

from flask import url_for
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


def time_tag(value):
    """Return ``value`` as a ``<time>`` element: relative text, exact time as its title.

    One filter call instead of a macro with three: list pages render one per row. The
    three texts are made here from a datetime (digits, month names, "ago"): nothing
    in them needs escaping.
    """
    if value is None:
        return Markup('<time datetime="" title=""></time>')
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return Markup(
        f'<time datetime="{value.isoformat(timespec="seconds")}" title="{value:%Y-%m-%d %H:%M} UTC">'
        f"{relative_time(value)}</time>"
    )


@lru_cache(maxsize=64)
def status_badge(status):
    """Return the badge of a ticket status (``"open"`` …) as HTML."""
    status = str(status)
    return Markup('<span class="xt-badge xt-status-%s">%s</span>') % (status, status.capitalize())


@lru_cache(maxsize=64)
def priority_badge(priority):
    """Return the badge of a :class:`~xobito_tickets.models.Priority` as HTML."""
    return Markup('<span class="xt-badge xt-priority-%s">%s</span>') % (priority.key, priority.label)


def ticket_url_maker(endpoint, **values):
    """Return ``f(display_number) -> URL`` of ``endpoint`` for that ticket, with ``url_for`` called once.

    A list page links every row to its ticket; building each link with ``url_for``
    (URL defaults, the tenant, the routing map) was a sixth of the page's time. The
    URL is built once around a placeholder and each row only fills in its number.
    """
    placeholder = "xt-ticket-placeholder"
    head, _, tail = url_for(endpoint, ticket=placeholder, **values).partition(placeholder)

    def ticket_url(number_text):
        return head + quote(str(number_text), safe="") + tail

    return ticket_url


def paragraphs(text):
    """Escape user text and keep its line breaks (``<br>``); nothing else is rendered."""
    # Replace on the plain escaped string: Markup.replace escapes its arguments on each
    # call, which made this filter a tenth of a 50-reply thread page.
    escaped = str(escape(text or ""))
    return Markup(escaped.replace("\n", "<br>\n"))


def filesize(num):
    """Return a byte count as "12 KB"."""
    num = int(num or 0)
    if num < 1024:
        return f"{num} B"
    if num < 1024 * 1024:
        return f"{num / 1024:.0f} KB"
    return f"{num / 1024 / 1024:.1f} MB"


def register(app):
    """Add the filters to ``app``'s Jinja environment, named ``tickets_*`` so a host's filters never replace ours."""
    app.jinja_env.filters["tickets_relative_time"] = relative_time
    app.jinja_env.filters["tickets_exact_time"] = exact_time
    app.jinja_env.filters["tickets_iso_time"] = iso_time
    app.jinja_env.filters["tickets_paragraphs"] = paragraphs
    app.jinja_env.filters["tickets_filesize"] = filesize
    app.jinja_env.filters["tickets_time_tag"] = time_tag
    app.jinja_env.filters["tickets_status_badge"] = status_badge
    app.jinja_env.filters["tickets_priority_badge"] = priority_badge
    app.jinja_env.globals["tickets_url_maker"] = ticket_url_maker
