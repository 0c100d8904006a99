"""Forms of the profile page."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import is_language, is_timezone, language_choices, timezone_choices
from ..i18n.setup import lazy_gettext as _l
from .services import NOTIFICATION_KINDS


def _one_line(value):
    return " ".join(str(value).split()) if value is not None else None


def notification_labels():
    """Return ``[(kind, label)]`` of the emails a staff member may turn off."""
    labels = {
        "ticket_created": _l("A new ticket in my departments"),
        "reply_posted": _l("A customer replied to a ticket I answer for"),
        "ticket_assigned": _l("A ticket was assigned to me or my department"),
        "ticket_closed": _l("A customer closed a ticket"),
        "ticket_reopened": _l("A ticket was reopened"),
    }
    return [(kind, labels[kind]) for kind in NOTIFICATION_KINDS]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Name"), filters=[_one_line], validators=[DataRequired(_l("Enter your name.")), Length(max=200)]
    )
    language = SelectField(_l("Language"), validate_choice=False)
    timezone = SelectField(_l("Time zone"), validate_choice=False)
    #: The emails the person wants (checked), shown to staff only; the complement is stored as muted.
    notifications = MultiCheckboxField(_l("Email me when"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [("", _l("The browser's language")), *language_choices()]
        self.timezone.choices = timezone_choices()
        self.notifications.choices = notification_labels()

    def validate_language(self, field):
        if field.data and not is_language(field.data):
            raise ValidationError(_l("Choose one of the listed languages."))

    def validate_timezone(self, field):
        if field.data and not is_timezone(field.data):
            raise ValidationError(_l("Choose one of the listed time zones."))

    def validate_notifications(self, field):
        if any(kind not in NOTIFICATION_KINDS for kind in field.data or ()):
            raise ValidationError(_l("Choose among the listed emails."))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(_l("Enter your password."))])
    new_password = PasswordField(
        _l("New password"),
        validators=[
            InputRequired(_l("Choose a password.")),
            Length(min=8, max=200, message=_l("Use 8 to 200 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("new_password", message=_l("The two passwords differ."))],
    )


class TwoFactorConfirmForm(FlaskForm):
    code = StringField(
        _l("Code from the app"), filters=[_one_line], validators=[DataRequired(_l("Enter the 6-digit code."))]
    )


class TwoFactorDisableForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(_l("Enter your password."))])
