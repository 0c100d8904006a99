"""Form pieces every feature shares: text normalisation, the length rule as a browser counts, id fields."""

from flask import current_app
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms.validators import ValidationError
from wtforms.widgets import EmailInput, Select, TextArea, TextInput
from wtforms.widgets.core import clean_key

from ..db import session
from ..models import MAX_ROW_ID


def normalize_text(value):
    """Strip surrounding whitespace and turn CRLF and CR into LF (one character per line break)."""
    if value is None:
        return None
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def single_line(value):
    """Strip and collapse a one-line field; line breaks become spaces."""
    if value is None:
        return None
    return " ".join(str(value).split())


class TextLength:
    """Require between ``min_key`` and ``max_key`` characters (config keys), counted as a browser does."""

    def __init__(self, min_key, max_key, what="This"):
        self.min_key = min_key
        self.max_key = max_key
        self.what = what

    def __call__(self, form, field):
        low = current_app.config[self.min_key]
        high = current_app.config[self.max_key]
        count = len(field.data or "")
        if count < low:
            if count == 0:
                raise ValidationError(_("%(what)s is required.", what=self.what))
            raise ValidationError(
                _(
                    "%(what)s must be at least %(low)s characters (it has %(count)s).",
                    what=self.what,
                    low=low,
                    count=count,
                )
            )
        if count > high:
            raise ValidationError(
                _(
                    "%(what)s can be at most %(high)s characters (it has %(count)s).",
                    what=self.what,
                    high=high,
                    count=count,
                )
            )


class ActionForm(FlaskForm):
    """A button that posts only a CSRF token (close, reopen, logout)."""


def show_service_error(form, error, default_field):
    """Put a service's refusal next to the field it names (else ``default_field``), for the 422 page."""
    field = getattr(form, error.field or default_field, None)
    if field is None or not hasattr(field, "errors"):
        field = getattr(form, default_field)
    if isinstance(field.errors, tuple):
        field.errors = list(field.errors)
    field.errors.append(error.message)


def form_again(render, status=422):
    """End the failed change's transaction and show the form again with ``status``.

    What the change wrote (or what the view loaded for it) is rolled back first, so the
    page shows the stored state next to what the person typed.
    """
    session.rollback()
    return render(), status


def parse_row_id(text):
    """Return the row id that ``text`` (a query parameter, a cookie) spells, or None.

    The one parser of ids and cursors that come from a URL: ASCII digits only ("²" and
    "①" pass ``isdigit()`` but not ``int()``), within a row id's range.
    """
    if not isinstance(text, str) or not text.isascii() or not text.isdecimal() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None


def int_or_none(value):
    """Coerce a submitted id to an int, or None when it is no possible row id."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    # Anything beyond a 32-bit id cannot be a row; keep it away from the database.
    return number if 0 < number <= MAX_ROW_ID else None


def int_or_blank(value):
    """Like :func:`int_or_none`, but an empty value stays ``""`` (a choice of "nobody")."""
    if value in (None, ""):
        return ""
    return int_or_none(value)


def offered(field):
    """Return the values a select field offered."""
    return {choice.value for choice in field.choices}


def html_params(**kwargs):
    """``wtforms.widgets.html_params`` without ``Markup.format``: the same attributes, the same bytes.

    WTForms writes each attribute through ``Markup.format`` (Python's ``string.Formatter``);
    the staff ticket view writes some forty of them per request.
    """
    params = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            params.append(str(escape(key)))
        elif value is not False:
            params.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
        # False: the attribute is left out
    return Markup(" ".join(params))


class QuickTextInput(TextInput):
    """WTForms' text ``<input>`` with :func:`html_params`."""

    html_params = staticmethod(html_params)


class QuickEmailInput(EmailInput):
    """WTForms' email ``<input>`` with :func:`html_params`."""

    html_params = staticmethod(html_params)


class QuickTextArea(TextArea):
    """WTForms' ``<textarea>`` with :func:`html_params` (the same steps as ``TextArea.__call__``)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        return Markup(f"<textarea {html_params(name=field.name, **kwargs)}>\r\n{escape(field._value())}</textarea>")


class QuickSelect(Select):
    """WTForms' ``<select>``, its plain options written directly: the same bytes as WTForms writes.

    WTForms writes each option's attributes through ``html_params`` and ``Markup.format``
    (Python's ``string.Formatter``); the staff ticket view's side panel has an option per
    department and per staff member, and that was a tenth of the page. An option with
    its own attributes (``render_kw``) still goes through WTForms.
    """

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        # html_params sorts the attributes: "selected" comes before "value".
        selected = "selected " if choice.selected else ""
        value = str(escape(value)).replace('"', "&quot;")
        return Markup(f'<option {selected}value="{value}">{escape(choice.label or choice.value)}</option>')

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        # Select.__call__ for a single select without groups, with html_params above.
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        options = "".join(self.render_option(choice) for choice in field._iter_choices_normalized())
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")
