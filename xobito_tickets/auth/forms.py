"""Forms of the standalone login: log in and sign up."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length

from ..web.forms import single_line


class LoginForm(FlaskForm):
    email = StringField("Email", filters=[single_line], validators=[DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


class RegisterForm(FlaskForm):
    name = StringField(
        "Your name", filters=[single_line], validators=[DataRequired("Enter your name."), Length(max=200)]
    )
    email = EmailField(
        "Email",
        filters=[single_line],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254),
            Email("Enter a valid email address.", check_deliverability=False),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Choose a password."), Length(min=8, max=200, message="Use 8 to 200 characters.")],
    )
