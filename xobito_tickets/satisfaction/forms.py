"""The rating form: Good or Bad, and an optional comment."""

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..web.forms import normalize_text
from .models import COMMENT_MAX, RatingChoice


class RatingForm(FlaskForm):
    rating = RadioField(
        "How did we do?",
        choices=[SelectChoice(c.value, c.label) for c in RatingChoice],
        validators=[InputRequired("Choose Good or Bad.")],
    )
    comment = TextAreaField(
        "Anything you would like to tell us? (optional)",
        filters=[normalize_text],
        validators=[Length(max=COMMENT_MAX, message=f"A comment can be at most {COMMENT_MAX} characters.")],
    )
