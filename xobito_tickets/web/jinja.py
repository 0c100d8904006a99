"""Jinja filters for dates, badges and user text (always escaped), and the list pages' link builder."""

from datetime import UTC
from functools import lru_cache
from urllib.parse import quote

from flask import url_for
from markupsafe import Markup, escape

from ..i18n import dates, labels


def relative_time(value, now=None):
    """Return ``value`` as "3 minutes ago" in the reader's language ("vor 3 Minuten"); a month on, the date."""
    return dates.relative_time(value, now)


def exact_time(value, format="medium"):
    """Return ``value`` as the reader writes date and time, in the reader's time zone: ``04.03.2026, 15:05:00 CET``."""
    return dates.exact_time(value, format)


def date_text(value, format="medium"):
    """Return a date as the reader writes it: ``07.12.2026``, ``7 dic 2026``."""
    return dates.day(value, format)


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
    zone, locale_name = dates.reader()
    return _time_tag(value, zone, locale_name, dates.relative_time_in(value, zone, locale_name))


@lru_cache(maxsize=4096)
def _time_tag(value, zone, locale_name, relative):
    # Only the relative text moves with the clock; the element is remembered for it (a
    # reloaded page, and the history's many events of the same minute, write the same ones).
    exact = dates.exact_time_in(value, zone, locale_name)
    return Markup('<time datetime="%s" title="%s">%s</time>') % (value.isoformat(timespec="seconds"), exact, relative)


def status_badge(status):
    """Return the badge of a ticket status (``"open"`` …) as HTML, in the reader's language."""
    return _status_badge(str(getattr(status, "value", status)), dates.reader()[1])


@lru_cache(maxsize=256)
def _status_badge(status, locale):
    return Markup('<span class="xt-badge xt-status-%s">%s</span>') % (status, labels.status_label(status))


def priority_badge(priority):
    """Return the badge of a :class:`~xobito_tickets.models.Priority` as HTML, in the reader's language."""
    return _priority_badge(priority, dates.reader()[1])


@lru_cache(maxsize=256)
def _priority_badge(priority, locale):
    return Markup('<span class="xt-badge xt-priority-%s">%s</span>') % (priority.key, labels.priority_label(priority))


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
    """Return a byte count as "12 KB" ("1,5 MB" in German)."""
    return dates.file_size(num)


def csrf_field(form):
    """Return ``form``'s CSRF hidden input, the bytes ``{{ form.csrf_token }}`` writes, without WTForms' widget.

    The staff ticket view has a form per action, each with its token; WTForms writes each
    input's attributes through ``Markup.format``, a fifth of that page's time.
    """
    field = form._fields.get(form.meta.csrf_field_name) if form.meta.csrf else None
    if field is None:
        return Markup("")
    if field.render_kw:
        return field()
    return Markup('<input id="%s" name="%s" type="hidden" value="%s">') % (field.id, field.name, field._value())


def register(app):
    """Add the filters to ``app``'s Jinja environment, named ``tickets_*`` so a host's filters never replace ours."""
    app.jinja_env.filters["tickets_relative_time"] = relative_time
    app.jinja_env.filters["tickets_exact_time"] = exact_time
    app.jinja_env.filters["tickets_iso_time"] = iso_time
    app.jinja_env.filters["tickets_date"] = date_text
    app.jinja_env.filters["tickets_paragraphs"] = paragraphs
    app.jinja_env.filters["tickets_filesize"] = filesize
    app.jinja_env.filters["tickets_time_tag"] = time_tag
    app.jinja_env.filters["tickets_status_badge"] = status_badge
    app.jinja_env.filters["tickets_priority_badge"] = priority_badge
    app.jinja_env.filters["tickets_status_label"] = labels.status_label
    app.jinja_env.filters["tickets_priority_label"] = labels.priority_label
    app.jinja_env.filters["tickets_role_label"] = labels.role_label
    app.jinja_env.globals["tickets_url_maker"] = ticket_url_maker
    app.jinja_env.globals["tickets_csrf_field"] = csrf_field
