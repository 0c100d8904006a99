"""The staff ticket view's selects and CSRF inputs are written as WTForms writes them, faster."""

from flask import Flask
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice

from xobito_tickets.web.forms import ActionForm, QuickSelect
from xobito_tickets.web.jinja import csrf_field


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


def test_csrf_field_writes_the_bytes_of_the_forms_own_token_field():
    app = Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context():
        form = ActionForm(formdata=None)
        written = csrf_field(form)
        assert written == str(form.csrf_token)
        assert 'name="csrf_token" type="hidden" value="' in written and len(written) > 80
        assert written == csrf_field(ActionForm(formdata=None))  # the request's one token
    app.config["WTF_CSRF_ENABLED"] = False
    with app.test_request_context():
        assert csrf_field(ActionForm(formdata=None)) == ""
