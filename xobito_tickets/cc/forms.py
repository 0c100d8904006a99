"""The CC form: one address. Checked by :func:`~xobito_tickets.cc.services.normalize_cc_email` (CR/LF refused)."""

from flask_wtf import FlaskForm
from wtforms import EmailField

from ..i18n.setup import lazy_gettext as _l
from ..web.forms import QuickEmailInput


class CCForm(FlaskForm):
    # No single_line filter: a line break in an address is refused, not quietly repaired.
    email = EmailField(_l("Email address to copy"), widget=QuickEmailInput())
