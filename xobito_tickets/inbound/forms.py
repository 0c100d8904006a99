"""Forms of the inbound pages: attach a quarantined message to a ticket; the inbound settings."""

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..i18n.setup import lazy_gettext as _l
from ..web.forms import single_line


class AttachForm(FlaskForm):
    ticket = StringField(
        _l("Ticket number"),
        filters=[single_line],
        validators=[DataRequired(_l("Enter a ticket number, like TKT-000042."))],
    )


def _no_line_breaks(form, field):
    if field.data and any(c in field.data for c in "\r\n\0"):
        raise ValidationError(_("Line breaks are not allowed here."))


class InboundSettingsForm(FlaskForm):
    default_department = SelectField(_l("Default department for email"), validate_choice=True)
    imap_host = StringField(_l("IMAP server"), filters=[single_line], validators=[Optional(), Length(max=255)])
    imap_port = IntegerField(
        _l("Port (TLS)"), default=993, validators=[NumberRange(1, 65535, _l("Enter a port from 1 to 65535."))]
    )
    imap_user = StringField(_l("User name"), filters=[single_line], validators=[Optional(), Length(max=255)])
    imap_password = PasswordField(
        _l("Password or app password"), validators=[Optional(), Length(max=255), _no_line_breaks]
    )
    imap_folder = StringField(
        _l("Folder"),
        default="INBOX",
        filters=[single_line],
        validators=[DataRequired(_l("Name a folder.")), Length(max=255)],
    )

    def validate_imap_host(self, field):
        if field.data and (" " in field.data or "/" in field.data):
            raise ValidationError(_("Enter a host name, like imap.example.com."))

    def apply(self, settings):
        """Copy the form into the settings row (an empty password keeps the stored one)."""
        settings.default_department_id = int(self.default_department.data) if self.default_department.data else None
        settings.imap_host = self.imap_host.data or ""
        settings.imap_port = self.imap_port.data
        settings.imap_user = self.imap_user.data or ""
        if self.imap_password.data:
            settings.imap_password = self.imap_password.data
        if not settings.imap_host:
            settings.imap_password = ""
        settings.imap_folder = self.imap_folder.data or "INBOX"
