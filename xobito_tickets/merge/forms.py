"""The merge form: the number of the ticket to merge into."""

from flask_wtf import FlaskForm
from wtforms import StringField

from ..i18n.setup import lazy_gettext as _l
from ..web.forms import QuickTextInput, single_line


class MergeForm(FlaskForm):
    into = StringField(_l("Merge into ticket"), filters=[single_line], widget=QuickTextInput())
