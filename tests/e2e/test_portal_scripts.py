"""tickets.js in a real browser: counters, send-once forms, the close confirmation, the error summary."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from xobito_tickets.db import session
from xobito_tickets.models import Ticket

from .conftest import log_in

pytestmark = pytest.mark.e2e


def _tickets(site):
    with site.app.app_context():
        try:
            return session.scalar(sa.select(sa.func.count()).select_from(Ticket))
        finally:
            session.remove()


def test_counters_count_as_the_server_does(page, site):
    log_in(page, site, "carla@acme.test")
    page.goto(site("/acme/tickets/create"))
    assert page.inner_text("#body-count") == "0 / 1000"
    page.fill("#body", "  ab\ncd é  ")  # surrounding spaces do not count; a line break is one character
    assert page.inner_text("#body-count") == "7 / 1000"
    # Screen readers hear it once typing pauses (the page's CSP forbids wait_for_function's eval).
    expect(page.locator("[data-counter-status-for=body]")).to_have_text("993 characters left")
    page.fill("#subject", "s" * 240)
    assert page.inner_text("#subject-count") == "240 / 255"
    assert "xt-near" in page.get_attribute("#subject-count", "class")


def test_a_double_submit_opens_one_ticket(page, site):
    log_in(page, site, "carla@acme.test")
    page.goto(site("/acme/tickets/create"))
    page.fill("#subject", "Sent twice by an impatient click")
    page.get_by_label("Department").select_option(label="Support")
    page.fill("#body", "Only one ticket should come of this.")
    before = _tickets(site)
    with page.expect_navigation():
        page.evaluate(
            "() => { const f = document.querySelector('form[data-once]'); f.requestSubmit(); f.requestSubmit(); }"
        )
    page.wait_for_load_state()
    assert "was created" in page.content()
    assert _tickets(site) == before + 1


def test_closing_asks_first_and_a_bad_reply_brings_the_summary_into_view(page, site):
    log_in(page, site, "carla@acme.test")
    page.goto(site("/acme/tickets/create"))
    page.fill("#subject", "Close me")
    page.get_by_label("Department").select_option(label="Support")
    page.fill("#body", "To be closed.")
    page.get_by_role("button", name="Submit ticket").click()
    page.wait_for_load_state()
    number = page.url.rsplit("/", 1)[1]
    page.fill("#body", "hey")
    page.get_by_role("button", name="Send Reply").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.className") == "xt-error-summary"
    assert "at least 5 characters" in page.inner_text(".xt-error-summary")
    page.get_by_role("button", name="Close Ticket").click()
    page.wait_for_load_state()
    assert page.problems.confirms and page.problems.confirms[-1].startswith(f"Close {number}?")
    assert "This ticket is closed" in page.content()


def test_a_pasted_text_that_is_too_long_is_kept_whole_and_refused_with_the_field_error(page, site):
    log_in(page, site, "carla@acme.test")
    page.goto(site("/acme/tickets/create"))
    page.fill("#subject", "Too long")
    page.get_by_label("Department").select_option(label="Support")
    page.fill("#body", "x" * 1005)  # as a paste: maxlength would have cut it to 1000 silently
    assert page.inner_text("#body-count") == "1005 / 1000"
    assert "xt-over" in page.get_attribute("#body-count", "class")
    page.get_by_role("button", name="Submit ticket").click()
    page.wait_for_load_state()
    assert "The description can be at most 1000 characters (it has 1005)." in page.content()
    assert len(page.input_value("#body")) == 1005


def test_an_oversized_file_is_named_before_anything_is_sent(page, site, tmp_path):
    log_in(page, site, "carla@acme.test")
    page.goto(site("/acme/tickets/create"))
    big = tmp_path / "huge.pdf"
    big.write_bytes(b"%PDF-" + b"0" * (10 * 1024 * 1024 + 10))
    page.fill("#subject", "With a big file")
    page.get_by_label("Department").select_option(label="Support")
    page.fill("#body", "See the attachment.")
    before = _tickets(site)
    page.set_input_files("#attachments", str(big))
    expect(page.locator("[data-files-error-for=attachments]")).to_have_text("huge.pdf is larger than 10 MB.")
    page.get_by_role("button", name="Submit ticket").click()
    assert page.input_value("#body") == "See the attachment."
    assert _tickets(site) == before
