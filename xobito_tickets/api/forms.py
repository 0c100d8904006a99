"""The form that makes an API token on the profile's tokens page."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from ..i18n.setup import lazy_gettext as _l
from ..web.forms import single_line


class TokenCreateForm(FlaskForm):
    name = StringField(_l("Token name"), filters=[single_line])
    read_only = BooleanField(_l("Read-only (it can read but not change anything)"))
