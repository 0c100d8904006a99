"""The staff workspace in a real browser: a note, send and close, a bulk action, the queue on a phone."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, User
from xobito_tickets.tickets.services import open_ticket

from .conftest import log_in

pytestmark = pytest.mark.e2e


def open_as_carla(site, subject, priority=Priority.MEDIUM):
    """Open a Support ticket as the seeded customer, through the service; return its number."""
    with site.app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == "acme"))
        carla = session.scalar(sa.select(User).where(User.email == "carla@acme.test"))
        dept = session.scalar(sa.select(Department).where(Department.name == "Support"))
        number = open_ticket(tenant, carla, dept, subject, "Details for the team.", priority=priority).display_number
        session.remove()
    return number


def test_composer_note_send_and_close_and_bulk_priority(page, site, screenshot):
    """Sam writes a note, answers and closes in one go, then raises another ticket's priority from the queue."""
    first = open_as_carla(site, "Scanner jams on every page")
    second = open_as_carla(site, "Wifi drops in the meeting room", priority=Priority.LOW)

    log_in(page, site, "sam@acme.test")
    page.goto(site("/acme/admin/tickets"))
    views = page.get_by_role("navigation", name="Views")
    expect(views.get_by_role("link", name=re.compile("Needs reply"))).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("table")).to_contain_text("Scanner jams on every page")
    screenshot("1-needs-reply")

    # An internal note, styled apart, then a reply that closes the ticket.
    page.get_by_role("link", name=first).click()
    page.get_by_role("radio", name=re.compile("Internal note")).check()
    page.get_by_label("Your reply or note").fill("Firmware 2.1 known bug, @Ada Admin please order the patch.")
    page.get_by_role("button", name="Send", exact=True).click()
    note = page.locator(".xt-note")
    expect(note).to_contain_text("Internal note")
    expect(note).to_contain_text("Firmware 2.1 known bug")
    expect(page.locator(".xt-meta")).to_contain_text("Open")
    screenshot("2-note")

    page.get_by_label("Your reply or note").fill("A patch is on its way; the scanner will work again tomorrow.")
    page.get_by_role("button", name="Send and close").click()
    expect(page.locator(".xt-meta")).to_contain_text("Closed")
    expect(page.get_by_text(f"Your reply was sent to the customer. {first} is closed.")).to_be_visible()
    screenshot("3-sent-and-closed")

    # The customer sees the reply, never the note.
    page.context.clear_cookies()
    log_in(page, site, "carla@acme.test")
    page.goto(site(f"/acme/tickets/{first}"))
    expect(page.get_by_text("A patch is on its way")).to_be_visible()
    expect(page.get_by_text("Firmware 2.1 known bug")).to_have_count(0)

    # Bulk: tick the second ticket in the queue, set it to Urgent.
    page.context.clear_cookies()
    log_in(page, site, "sam@acme.test")
    page.goto(site("/acme/admin/tickets?tab=open"))
    page.get_by_label(f"Tick {second}").check()
    bar = page.get_by_role("group", name="Bulk actions on the ticked tickets")
    bar.get_by_label("With the ticked tickets").select_option(label="Set priority")
    bar.get_by_label("Priority").select_option(label="Urgent")
    screenshot("4-bulk-bar")
    bar.get_by_role("button", name="Apply to ticked").click()
    expect(page.get_by_text("1 ticket changed.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(second))).to_contain_text("Urgent")
    screenshot("5-bulk-done")


def test_the_workspace_pages_pass_axe(page, site, axe):
    """The queue (views, filters, bulk bar) and the ticket view (composer, panel) have no axe violations."""
    number = open_as_carla(site, "Monitor flickers")
    log_in(page, site, "sam@acme.test")
    page.goto(site("/acme/admin/tickets?tab=all"))
    assert axe(page) == []
    page.goto(site(f"/acme/admin/tickets/{number}"))
    assert axe(page) == []


def test_the_queue_on_a_phone(page, site, screenshot):
    """At 390 px: one-row header, filters behind a button with chips, labelled card fields, 44 px targets."""
    open_as_carla(site, "Printer offline again")
    log_in(page, site, "sam@acme.test")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site("/acme/admin/tickets?priority=medium"))
    # One row: the brand, the menu and the log-out button side by side.
    header = page.locator(".xt-topbar").bounding_box()
    brand = page.locator(".xt-brand").bounding_box()
    logout = page.get_by_role("button", name="Log out").bounding_box()
    assert header["height"] <= 72, header
    assert abs((brand["y"] + brand["height"] / 2) - (logout["y"] + logout["height"] / 2)) < 8
    filters = page.get_by_role("form", name="Filter tickets")
    expect(filters).to_be_hidden()
    expect(page.get_by_role("link", name="Remove filter Priority: Medium")).to_be_visible()
    toggle = page.locator("label.xt-filter-toggle")
    assert toggle.bounding_box()["height"] >= 44
    screenshot("1-phone-queue")
    toggle.click()
    expect(filters).to_be_visible()
    screenshot("2-phone-filters")
    card = page.get_by_role("row", name=re.compile("Printer offline again"))
    assignee = card.locator('td[data-label="Assignee"]')
    label = assignee.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert "Assignee" in label
    tick = card.locator(".xt-select-label").bounding_box()
    assert tick["height"] >= 44 and tick["width"] >= 44
