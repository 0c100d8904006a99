"""The side panel's selects are written as WTForms writes them, faster."""

from flask import Flask
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice

from xobito_tickets.web.forms import QuickSelect


class Pair(Form):
    plain = SelectField("Plain", validate_choice=False)
    quick = SelectField("Quick", validate_choice=False, widget=QuickSelect())


def test_quick_select_writes_the_bytes_wtforms_writes():
    choices = [
        SelectChoice("", "Nobody"),
        SelectChoice(3, 'Zoë "Q" <b>&amp;</b> O\'Neil'),
        SelectChoice('a"b<c>&', "Odd value"),
        SelectChoice(True, ""),
        SelectChoice(7, "With attributes", render_kw={"disabled": True, "data_x": "y"}),
        SelectChoice(9, "Nine"),
    ]
    with Flask(__name__).test_request_context():
        for data in ("", "3", 'a"b<c>&', "True", "9", None):
            form = Pair()
            for field in (form.plain, form.quick):
                field.choices = choices
                field.data = data
            plain = str(form.plain(class_="x", required=True)).replace('id="plain" name="plain"', "")
            quick = str(form.quick(class_="x", required=True)).replace('id="quick" name="quick"', "")
            assert quick == plain
            assert "<option selected value=" in quick or data is None
