"""Forms of sign-up, invitations and the login's second step."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from ..i18n.setup import lazy_gettext as _l


def _one_line(value):
    return " ".join(str(value).split()) if value is not None else None


class SignUpForm(FlaskForm):
    name = StringField(
        _l("Your name"), filters=[_one_line], validators=[DataRequired(_l("Enter your name.")), Length(max=200)]
    )
    email = EmailField(
        _l("Email"),
        filters=[_one_line],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254),
            Email(_l("Enter a valid email address."), check_deliverability=False),
        ],
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(_l("Choose a password.")),
            Length(min=8, max=200, message=_l("Use 8 to 200 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Password again"), validators=[EqualTo("password", message=_l("The two passwords differ."))]
    )


class LoginCodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[_one_line],
        validators=[DataRequired(_l("Enter the code from your app or a recovery code.")), Length(max=40)],
    )
