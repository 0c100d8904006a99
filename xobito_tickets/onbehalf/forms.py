"""The staff's "new ticket for a customer" form: the customer's address on top of the portal's create form."""

from flask_babel import gettext as _
from wtforms import EmailField, StringField
from wtforms.validators import Length, ValidationError

from ..i18n.setup import lazy_gettext as _l
from ..tickets.forms import TicketCreateForm
from ..web.forms import single_line


class OnBehalfForm(TicketCreateForm):
    # No single_line filter: a line break in an address is refused, not repaired.
    customer = EmailField(_l("Customer's email"))
    customer_name = StringField(
        _l("Customer's name (for a new customer)"),
        filters=[single_line],
        validators=[Length(max=200, message=_l("Too long."))],
    )

    def validate_customer_name(self, field):
        if any(c in (field.raw_data[0] if field.raw_data else "") for c in "\r\n"):
            raise ValidationError(_("Line breaks are not allowed here."))
