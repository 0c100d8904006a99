"""The canned-reply form. The department choices are filled by the view from the tenant's own rows."""

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ..i18n.setup import lazy_gettext as _l
from ..web.forms import int_or_blank, normalize_text, single_line


class CannedReplyForm(FlaskForm):
    title = StringField(_l("Title"), filters=[single_line])
    body = TextAreaField(_l("Text"), filters=[normalize_text])
    department = SelectField(_l("Offered on"), coerce=int_or_blank, validate_choice=False)
    personal = BooleanField(_l("Personal: only I see it"), default=True)

    def validate_department(self, field):
        if field.data is None or field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_("Choose one of the listed departments, or all."))
