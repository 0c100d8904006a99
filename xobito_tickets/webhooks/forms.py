"""The admin form of a webhook endpoint."""

from flask_wtf import FlaskForm
from wtforms import StringField, widgets
from wtforms.fields import SelectMultipleField
from wtforms.fields.choices import SelectChoice

from ..i18n.setup import lazy_gettext as _l
from ..web.forms import single_line
from .models import EVENTS


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (usable without script)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EndpointForm(FlaskForm):
    url = StringField(_l("Payload URL"), filters=[lambda v: (v or "").strip()])
    description = StringField(_l("Description"), filters=[single_line])
    events = CheckboxesField(_l("Events"), choices=[SelectChoice(e, e) for e in EVENTS], validate_choice=True)
