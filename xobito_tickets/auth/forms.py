"""The login form of the standalone login (sign-up, invitations and codes: account_forms.py)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired

from ..i18n.setup import lazy_gettext as _l
from ..web.forms import single_line


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), filters=[single_line], validators=[DataRequired(_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password."))])
