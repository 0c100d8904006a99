"""Canned-reply templates: only the listed variables, filled in a sandbox."""

import pytest

from xobito_tickets.canned.templating import TemplateRefused, check_template, render_template_text, template_context

CONTEXT = template_context("Ada Lovelace", "TKT-000042", "Printer on fire", "Bob Agent", "Support")


def test_every_listed_variable_is_filled():
    text = (
        "Hi {{ customer.first_name }} ({{ customer.name }}), {{ ticket.number }} “{{ ticket.subject }}” "
        "is with {{ department.name }}. — {{ agent.name }}"
    )
    assert render_template_text(text, CONTEXT) == (
        "Hi Ada (Ada Lovelace), TKT-000042 “Printer on fire” is with Support. — Bob Agent"
    )


def test_a_fallback_fills_a_missing_first_name():
    context = template_context("", "TKT-000042", "Printer", "Bob", "Support")
    assert render_template_text('Hi {{ customer.first_name|default("there") }},', context) == "Hi there,"
    assert render_template_text('Hi {{ customer.first_name|default("there") }},', CONTEXT) == "Hi Ada,"


def test_text_is_not_html_escaped_and_markup_stays_text():
    # The composer shows the result in a textarea (escaped there); the template itself is plain text.
    context = template_context("<b>Eve</b> & co", "TKT-000001", "a < b", "Bob", "Support")
    assert render_template_text("{{ customer.name }}: {{ ticket.subject }}", context) == "<b>Eve</b> & co: a < b"


def test_a_customer_name_is_data_not_template():
    context = template_context("{{ ''.__class__ }}", "TKT-000001", "{% include 'x' %}", "Bob", "Support")
    assert render_template_text("{{ customer.name }} {{ ticket.subject }}", context) == (
        "{{ ''.__class__ }} {% include 'x' %}"
    )


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ customer.__class__ }}",
        "{{ customer.name.__class__ }}",
        "{{ customer['name'] }}",
        "{{ customer }}",
        "{{ customer.email }}",
        "{{ config }}",
        "{{ request.environ }}",
        "{{ self }}",
        "{{ lipsum.__globals__ }}",
        "{{ range(10) }}",
        "{{ customer.name() }}",
        "{{ customer.name|safe }}",
        "{{ customer.name|attr('__class__') }}",
        "{{ customer.name|format(1) }}",
        "{{ customer.name|default(config) }}",
        "{{ customer.name ~ ticket.number }}",
        "{% include 'xobito_tickets/layout.html' %}",
        "{% import 'x.html' as x %}",
        "{% from 'x.html' import y %}",
        "{% extends 'xobito_tickets/layout.html' %}",
        "{% block body %}x{% endblock %}",
        "{% macro m() %}x{% endmacro %}",
        "{% set x = 1 %}",
        "{% for c in customer %}{{ c }}{% endfor %}",
        "{% if customer.name %}x{% endif %}",
        "{% filter upper %}x{% endfilter %}",
        "{{ customer.name",
        "Hello {{ }}",
    ],
)
def test_hostile_or_unknown_templates_are_refused(source):
    with pytest.raises(TemplateRefused) as refused:
        check_template(source)
    assert refused.value.message
    with pytest.raises(TemplateRefused):
        render_template_text(source, CONTEXT)


def test_plain_text_and_comments_pass():
    check_template("Thanks for writing in. {# internal: keep it short #}\nBest")
    assert render_template_text("Thanks! {# hidden #}", CONTEXT) == "Thanks! "
