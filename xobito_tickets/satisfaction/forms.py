"""The rating form: Good or Bad, and an optional comment."""

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..i18n.setup import lazy_gettext as _l
from ..web.forms import normalize_text
from .models import COMMENT_MAX, SHOWN_LABELS, RatingChoice


class RatingForm(FlaskForm):
    rating = RadioField(
        _l("How did we do?"),
        choices=[SelectChoice(c.value, SHOWN_LABELS[c]) for c in RatingChoice],
        validators=[InputRequired(_l("Choose Good or Bad."))],
    )
    comment = TextAreaField(
        _l("Anything you would like to tell us? (optional)"),
        filters=[normalize_text],
        validators=[
            Length(max=COMMENT_MAX, message=_l("A comment can be at most %(most)s characters.", most=COMMENT_MAX))
        ],
    )
