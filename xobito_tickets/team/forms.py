"""Forms of the team pages: departments and people. Choices are filled by the views from the
tenant's own rows, so an id of another tenant (or a customer as a member) is simply not a valid choice."""

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..i18n.labels import ROLE_LABELS
from ..i18n.setup import lazy_gettext as _l
from ..models import Role
from ..web.forms import normalize_text, single_line


class DepartmentForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Give the department a name.")),
            Length(max=100, message=_l("At most 100 characters.")),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        filters=[normalize_text],
        validators=[Optional(), Length(max=1000, message=_l("At most 1000 characters."))],
    )
    active = BooleanField(_l("Active: customers can choose it when they open a ticket"), default=True)
    members = SelectMultipleField(
        _l("Members"),
        coerce=int,
        invalid_value_message=_l("Choose members from the list."),
        invalid_choice_message=_l("Choose members from the list."),
    )


def email_address(form, field):
    """Require a well-formed address; ``.test`` domains pass (demo and staging workspaces use them)."""
    try:
        validate_email(field.data or "", check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise ValidationError(_l("Enter a valid email address.")) from None


ROLE_CHOICES = [SelectChoice(role.value, ROLE_LABELS[role.value]) for role in (Role.STAFF, Role.ADMIN, Role.CUSTOMER)]


class PersonForm(FlaskForm):
    """A person of the team page: name, email and role. Admins never choose anyone's password."""

    name = StringField(
        _l("Name"),
        filters=[single_line],
        validators=[DataRequired(_l("Enter a name.")), Length(max=200, message=_l("Too long."))],
    )
    email = EmailField(
        _l("Email"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=254, message=_l("Too long.")),
            email_address,
        ],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.STAFF.value, validate_choice=False)

    def validate_role(self, field):
        if field.data not in Role._value2member_map_:
            raise ValidationError(_l("Choose Staff, Admin or Customer."))


class PersonCreateForm(PersonForm):
    """Adding a person: no password field. A standalone workspace emails an invitation link instead."""


class TwoFactorPolicyForm(FlaskForm):
    """The team page's switch that makes two-factor login mandatory for staff and admins."""

    require_two_factor = BooleanField(_l("Require two-factor login for staff and admins"))
