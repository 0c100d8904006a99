"""Forms of the team pages: departments and people. Choices are filled by the views from the
tenant's own rows, so an id of another tenant (or a customer as a member) is simply not a valid choice."""

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..models import Role
from ..web.forms import normalize_text, single_line


class DepartmentForm(FlaskForm):
    name = StringField(
        "Name",
        filters=[single_line],
        validators=[DataRequired("Give the department a name."), Length(max=100, message="At most 100 characters.")],
    )
    description = TextAreaField(
        "Description",
        filters=[normalize_text],
        validators=[Optional(), Length(max=1000, message="At most 1000 characters.")],
    )
    active = BooleanField("Active: customers can choose it when they open a ticket", default=True)
    members = SelectMultipleField(
        "Members",
        coerce=int,
        invalid_value_message="Choose members from the list.",
        invalid_choice_message="Choose members from the list.",
    )


def email_address(form, field):
    """Require a well-formed address; ``.test`` domains pass (demo and staging workspaces use them)."""
    try:
        validate_email(field.data or "", check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise ValidationError("Enter a valid email address.") from None


ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in (Role.STAFF, Role.ADMIN, Role.CUSTOMER)]


class PersonForm(FlaskForm):
    """A person of the team page: name, email and role (and a password when created)."""

    name = StringField(
        "Name", filters=[single_line], validators=[DataRequired("Enter a name."), Length(max=200, message="Too long.")]
    )
    email = EmailField(
        "Email",
        filters=[single_line],
        validators=[
            DataRequired("Enter an email address."),
            Length(max=254, message="Too long."),
            email_address,
        ],
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.STAFF.value, validate_choice=False)

    def validate_role(self, field):
        if field.data not in Role._value2member_map_:
            raise ValidationError("Choose Staff, Admin or Customer.")


class PersonCreateForm(PersonForm):
    password = PasswordField(
        "Initial password",
        validators=[DataRequired("Choose a password."), Length(min=8, max=200, message="Use 8 to 200 characters.")],
    )
