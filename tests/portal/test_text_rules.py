"""Subject, body and reply lengths at their boundaries, counted as the browser counts them."""

import pytest

from .conftest import snapshot


def _store(client, world, **overrides):
    data = {"subject": "Subject", "department": str(world.support_id), "priority": "medium", "body": "Body"}
    data.update(overrides)
    return client.post("/acme/tickets/store", data=data)


def _error_of(html, field_id):
    """Return the error text shown next to ``field_id`` (or None)."""
    marker = f'id="{field_id}-error"'
    if marker not in html:
        return None
    start = html.index(marker)
    return html[html.index(">", start) + 1 : html.index("</p>", start)]


def _crlf_text(length):
    """Return text of ``length`` characters as the browser counts them, with CRLF line breaks."""
    line = "abcd\r\nefghi"  # 10 characters: the CRLF counts as one
    text = line * (length // 10) + "x" * (length % 10)
    assert len(text.replace("\r\n", "\n")) == length
    return text


@pytest.mark.parametrize("length", [1, 1000])
def test_body_at_its_limits_is_accepted(customer, world, length, app, make):
    body = _crlf_text(length) if length > 1 else "x"
    response = _store(customer, world, body=body)
    assert response.status_code in (302, 303)
    with app.app_context():
        stored = make.get("TKT-000001").body
    assert len(stored) == length and "\r" not in stored


@pytest.mark.parametrize(
    "body, message",
    [
        (_crlf_text(1001), "at most 1000 characters (it has 1001)"),
        ("x" * 1001, "at most 1000 characters (it has 1001)"),
        ("", "The description is required."),
        ("  \r\n\t  ", "The description is required."),
    ],
)
def test_body_outside_its_limits_is_refused_next_to_the_field(customer, world, app, body, message):
    before = snapshot(app)
    response = _store(customer, world, subject="Keep me", body=body)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in _error_of(html, "body")
    assert 'value="Keep me"' in html  # what was typed is kept
    assert snapshot(app) == before


def test_body_surrounding_whitespace_does_not_count(customer, world, app, make):
    body = "\r\n   " + "y" * 1000 + "  \r\n\r\n"
    assert _store(customer, world, body=body).status_code in (302, 303)
    with app.app_context():
        assert make.get("TKT-000001").body == "y" * 1000


def test_body_counts_code_points_not_bytes(customer, world):
    # 1000 characters of two UTF-8 bytes each: the browser's maxlength shows 1000.
    assert _store(customer, world, body="é" * 1000).status_code in (302, 303)
    assert _store(customer, world, body="é" * 1001).status_code == 422


@pytest.mark.parametrize("length, ok", [(255, True), (256, False)])
def test_subject_boundary(customer, world, app, length, ok):
    before = snapshot(app)
    response = _store(customer, world, subject="s" * length)
    if ok:
        assert response.status_code in (302, 303)
    else:
        assert response.status_code == 422
        assert "at most 255 characters (it has 256)" in _error_of(response.get_data(as_text=True), "subject")
        assert snapshot(app) == before


@pytest.mark.parametrize("subject", ["", "   ", "\r\n"])
def test_subject_is_required(customer, world, app, subject):
    before = snapshot(app)
    response = _store(customer, world, subject=subject)
    assert response.status_code == 422
    assert "Subject is required." in _error_of(response.get_data(as_text=True), "subject")
    assert snapshot(app) == before


def test_subject_is_one_line(customer, world, app, make):
    assert _store(customer, world, subject="Two\r\nlines").status_code in (302, 303)
    with app.app_context():
        assert make.get("TKT-000001").subject == "Two lines"


@pytest.mark.parametrize("department", ["", "abc", "0", "-1", "99999", "1.0", "²"])
def test_department_must_be_one_of_the_listed(customer, world, app, department):
    before = snapshot(app)
    response = _store(customer, world, department=department)
    assert response.status_code == 422
    assert "Choose one of the listed departments." in _error_of(response.get_data(as_text=True), "department")
    assert snapshot(app) == before


def test_inactive_and_foreign_departments_are_refused(customer, world, app):
    before = snapshot(app)
    for department in (world.legacy_id, world.globex_support_id):
        response = _store(customer, world, department=str(department))
        assert response.status_code == 422
        assert "Choose one of the listed departments." in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize("priority", ["", "LOW!", "5", "critical", "__class__"])
def test_priority_must_be_known(customer, world, app, priority):
    before = snapshot(app)
    response = _store(customer, world, priority=priority)
    assert response.status_code == 422
    assert "Choose Low, Medium, High or Urgent." in _error_of(response.get_data(as_text=True), "priority")
    assert snapshot(app) == before


def test_rejected_form_keeps_what_was_typed(customer, world):
    response = _store(
        customer,
        world,
        subject="",
        body="My <b>long</b> story\r\nline two",
        priority="high",
        department=str(world.billing_id),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "My &lt;b&gt;long&lt;/b&gt; story\nline two</textarea>" in html
    assert '<option selected value="high">' in html
    assert f'<option selected value="{world.billing_id}">' in html
    assert 'aria-invalid="true"' in html
    # A summary at the top links to each field in error.
    assert 'class="xt-error-summary" role="alert"' in html and 'href="#subject">Subject is required.</a>' in html
    assert "choose them again" in html  # chosen files are not kept by the browser


@pytest.mark.parametrize(
    "body, ok",
    [
        ("abcd", False),
        ("abcde", True),
        ("ab\r\ncd", True),  # 5 characters: the CRLF counts as one
        ("ab\r\nc", False),
        ("   abcd   ", False),
        (_crlf_text(2000), True),
        (_crlf_text(2001), False),
        ("z" * 2000, True),
        ("z" * 2001, False),
    ],
)
def test_reply_boundaries(customer, make, app, body, ok):
    number = make.ticket().number
    before = snapshot(app)
    response = customer.post(f"/acme/tickets/{number}/reply", data={"body": body})
    if ok:
        assert response.status_code in (302, 303)
        assert make.ticket_state(number)[1] == 1
    else:
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        error = _error_of(html, "body")
        assert error and ("at least 5 characters" in error or "at most 2000 characters (it has 2001)" in error)
        assert snapshot(app) == before
        # The thread is still shown around the composer.
        assert "It is on fire." in html


def test_empty_reply_says_required(customer, make):
    number = make.ticket().number
    response = customer.post(f"/acme/tickets/{number}/reply", data={"body": " \r\n "})
    assert response.status_code == 422
    assert "The reply is required." in response.get_data(as_text=True)


def test_rejected_reply_keeps_the_text(customer, make):
    number = make.ticket().number
    response = customer.post(f"/acme/tickets/{number}/reply", data={"body": "a<b>"})
    assert response.status_code == 422
    assert "a&lt;b&gt;</textarea>" in response.get_data(as_text=True)


def test_counters_show_the_limits(customer, make):
    html = customer.get("/acme/tickets/create").get_data(as_text=True)
    assert 'data-counter-for="subject" data-max="255"' in html
    assert 'data-counter-for="body" data-max="1000"' in html
    assert 'maxlength="1000"' in html and 'maxlength="255"' in html
    number = make.ticket().number
    html = customer.get(f"/acme/tickets/{number}").get_data(as_text=True)
    assert 'data-counter-for="body" data-max="2000"' in html and 'maxlength="2000"' in html
