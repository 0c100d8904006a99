"""The form that makes an API token on the profile's tokens page."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from ..web.forms import single_line


class TokenCreateForm(FlaskForm):
    name = StringField("Token name", filters=[single_line])
    read_only = BooleanField("Read-only (it can read but not change anything)")
