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
