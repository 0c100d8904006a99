"""The module's quick widgets write exactly what WTForms' own widgets write, for every kind of attribute."""

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import EmailField, Form, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import EmailInput, Select, TextArea, TextInput
from wtforms.widgets.core import html_params as wtforms_html_params

from xobito_tickets.web.forms import QuickEmailInput, QuickSelect, QuickTextArea, QuickTextInput, html_params

ATTRIBUTES = [
    {},
    {"class_": "xt-a", "for_": "x"},
    {"data_counter_for": "body", "aria_describedby": "a b", "aria-invalid": "true"},
    {"required": True, "disabled": False, "readonly": True},
    {"placeholder": 'Say "hi" & <go>', "title": "it's"},
    {"value": Markup('<b a="1">already safe</b>'), "maxlength": 900, "rows": 6},
    {"data_x_y_z": 0, "zeta": "", "alpha": None},
]


@pytest.mark.parametrize("attributes", ATTRIBUTES)
def test_html_params_are_wtforms_own(attributes):
    assert html_params(**attributes) == wtforms_html_params(**attributes)


class Sample(Form):
    text = StringField("Text", validators=[DataRequired(), Length(max=20)])
    email = EmailField("Email", validators=[DataRequired()])
    area = TextAreaField("Area", validators=[Length(min=2, max=50)])
    pick = SelectField(
        "Pick", choices=[SelectChoice("", "None"), SelectChoice("1", 'One "1" & <x>'), SelectChoice("2", "Two")]
    )


def _pairs(form):
    return [
        (TextInput(), QuickTextInput(), form.text),
        (EmailInput(), QuickEmailInput(), form.email),
        (TextArea(), QuickTextArea(), form.area),
        (Select(), QuickSelect(), form.pick),
    ]


@pytest.mark.parametrize("attributes", ATTRIBUTES)
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"text": 'He said "no" <b>', "area": 'line one\nline <two> & "3"', "pick": "1", "email": 'a"b@x.test'},
        {"pick": "2"},
    ],
)
def test_widgets_write_the_same_bytes_as_wtforms(attributes, data):

    form = Sample(MultiDict(data))
    form.validate()
    for theirs, ours, field in _pairs(form):
        assert ours(field, **attributes) == theirs(field, **attributes), (field.name, attributes)


def test_a_multiple_select_still_goes_through_wtforms():
    form = Sample()
    assert QuickSelect(multiple=True)(form.pick) == Select(multiple=True)(form.pick)
