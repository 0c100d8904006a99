"""Forms of the staff workspace: the composer (reply or note), the properties panel, tags."""

from flask import current_app
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ..i18n.setup import lazy_gettext as _l
from ..models import Priority
from ..tickets.forms import PRIORITY_CHOICES, AssignForm, Attachments
from ..web.forms import QuickSelect, QuickTextArea, QuickTextInput, normalize_text
from .tagtext import TagError, parse_tags

#: The composer's kinds: a reply to the customer, or an internal note.
KINDS = ("reply", "note")


class ComposerForm(FlaskForm):
    """One form for replies and notes: ``kind`` chooses; ``then=close`` also closes the ticket."""

    kind = StringField(_l("Write"), default="reply")
    body = TextAreaField(_l("Your reply or note"), filters=[normalize_text], widget=QuickTextArea())
    attachments = MultipleFileField(_l("Attachments"), validators=[Attachments()])

    def validate_kind(self, field):
        if field.data not in KINDS:
            raise ValidationError(_("Choose Reply or Internal note."))

    def validate_body(self, field):
        # A note may be a single character ("✓"); a reply is at least TICKETS_REPLY_MIN (SPEC §5, §14).
        is_note = self.kind.data == "note"
        low = 1 if is_note else current_app.config["TICKETS_REPLY_MIN"]
        high = current_app.config["TICKETS_REPLY_MAX"]
        what = _("The note") if is_note else _("The reply")
        count = len(field.data or "")
        if count == 0:
            raise ValidationError(_("%(what)s is required.", what=what))
        if count < low:
            raise ValidationError(
                _("%(what)s must be at least %(low)s characters (it has %(count)s).", what=what, low=low, count=count)
            )
        if count > high:
            raise ValidationError(
                _("%(what)s can be at most %(high)s characters (it has %(count)s).", what=what, high=high, count=count)
            )


def validate_tags_field(form, field):
    """Check a comma-separated tag list; the parsed names land in ``field.names``."""
    try:
        field.names = parse_tags(field.data)
    except TagError as exc:
        field.names = []
        raise ValidationError(str(exc)) from exc


class TagsForm(FlaskForm):
    """The full new tag set of a ticket, comma-separated."""

    tags = StringField(_l("Tags"), validators=[validate_tags_field])


class PanelForm(AssignForm):
    """The side panel: department, assignee, priority and tags, saved at once."""

    priority = SelectField(_l("Priority"), choices=PRIORITY_CHOICES, validate_choice=False, widget=QuickSelect())
    tags = StringField(_l("Tags"), validators=[validate_tags_field], widget=QuickTextInput())

    def validate_priority(self, field):
        if Priority.from_key(field.data) is None:
            raise ValidationError(_("Choose Low, Medium, High or Urgent."))
