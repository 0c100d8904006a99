"""The templates' _(), gettext() and ngettext(): Jinja's "newstyle" rules, in every language."""

from flask import render_template_string
from flask_babel import force_locale

LOOP = "{% for name in names %}[{{ _('Hello %(name)s', name=name) }}|{{ _('My tickets') }}]{% endfor %}"


def test_texts_in_a_loop_are_translated_and_their_variables_escaped(app):
    with app.test_request_context("/"):
        with force_locale("de"):
            german = render_template_string(LOOP, names=["<b>Ann</b>", "O'Brien"])
        with force_locale("en"):
            english = render_template_string(LOOP, names=["<b>Ann</b>"])
    assert german == "[Hello &lt;b&gt;Ann&lt;/b&gt;|Meine Tickets][Hello O&#39;Brien|Meine Tickets]"
    # The German text is kept per catalogue: the English page right after gets its own.
    assert english == "[Hello &lt;b&gt;Ann&lt;/b&gt;|My tickets]"


def test_without_autoescape_a_text_and_its_variables_stay_as_written(app):
    template = "{% autoescape false %}{{ _('Hello %(name)s', name=name) }} {{ _('100%% sure') }}{% endautoescape %}"
    with app.test_request_context("/"):
        assert render_template_string(template, name="O'Brien <ob@example.test>") == (
            "Hello O'Brien <ob@example.test> 100% sure"
        )


def test_a_percent_sign_is_written_once_with_or_without_variables(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ _('100%% sure') }}|{{ _('100%% sure') }}") == "100% sure|100% sure"


def test_ngettext_picks_the_plural_of_the_language_and_fills_num(app):
    template = (
        "{% for n in counts %}"
        "{{ ngettext('%(num)d email queued again.', '%(num)d emails queued again.', n) }} "
        "{% endfor %}"
    )
    with app.test_request_context("/"):
        with force_locale("de"):
            assert render_template_string(template, counts=[1, 3]) == (
                "1 E-Mail erneut eingereiht. 3 E-Mails erneut eingereiht. "
            )


def test_trans_blocks_use_the_same_callables_and_escape_their_variables(app):
    block = "{% trans name=name %}Delete the department {{ name }}? This cannot be undone.{% endtrans %}"
    with app.test_request_context("/"):
        with force_locale("de"):
            text = render_template_string(
                "{% for name in names %}{BLOCK}|{% endfor %}".replace("{BLOCK}", block), names=["<i>Billing</i>"]
            )
    assert text.startswith("Die Abteilung &lt;i&gt;Billing&lt;/i&gt;"), text
