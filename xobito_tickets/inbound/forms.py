"""Forms of the inbound pages: attach a quarantined message to a ticket; the inbound settings."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..web.forms import single_line


class AttachForm(FlaskForm):
    ticket = StringField(
        "Ticket number", filters=[single_line], validators=[DataRequired("Enter a ticket number, like TKT-000042.")]
    )


def _no_line_breaks(form, field):
    if field.data and any(c in field.data for c in "\r\n\0"):
        raise ValidationError("Line breaks are not allowed here.")


class InboundSettingsForm(FlaskForm):
    default_department = SelectField("Default department for email", validate_choice=True)
    imap_host = StringField("IMAP server", filters=[single_line], validators=[Optional(), Length(max=255)])
    imap_port = IntegerField(
        "Port (TLS)", default=993, validators=[NumberRange(1, 65535, "Enter a port from 1 to 65535.")]
    )
    imap_user = StringField("User name", filters=[single_line], validators=[Optional(), Length(max=255)])
    imap_password = PasswordField("Password or app password", validators=[Optional(), Length(max=255), _no_line_breaks])
    imap_folder = StringField(
        "Folder", default="INBOX", filters=[single_line], validators=[DataRequired("Name a folder."), Length(max=255)]
    )

    def validate_imap_host(self, field):
        if field.data and (" " in field.data or "/" in field.data):
            raise ValidationError("Enter a host name, like imap.example.com.")

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
