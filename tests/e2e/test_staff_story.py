"""The staff story in a real browser: log in, filter the queue, reply, assign, close, reopen."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, User
from xobito_tickets.tickets.services import open_ticket

from .conftest import log_in

pytestmark = pytest.mark.e2e


def open_as_carla(site, subject, department="Support", priority=Priority.MEDIUM):
    """Open a ticket as the seeded customer, through the service; return its number."""
    with site.app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == "acme"))
        carla = session.scalar(sa.select(User).where(User.email == "carla@acme.test"))
        dept = session.scalar(sa.select(Department).where(Department.name == department))
        number = open_ticket(tenant, carla, dept, subject, "Details for the team.", priority=priority).display_number
        session.remove()
    return number


def test_staff_filters_replies_assigns_closes_and_reopens(page, site, screenshot):
    """Sam works a ticket from the queue to closed and back, through the real UI."""
    urgent = open_as_carla(site, "Checkout page is down", priority=Priority.URGENT)
    open_as_carla(site, "Typo on the pricing page", priority=Priority.LOW)

    log_in(page, site, "sam@acme.test")
    expect(page.get_by_role("heading", name="Ticket queue")).to_be_visible()
    screenshot("1-queue")

    # Filter: only Urgent tickets of Support.
    filters = page.get_by_role("form", name="Filter tickets")
    filters.get_by_label("Urgent").check()
    filters.get_by_label("Department").select_option(label="Support")
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"priority=urgent"))
    table = page.get_by_role("table")
    expect(table).to_contain_text("Checkout page is down")
    expect(table).not_to_contain_text("Typo on the pricing page")
    screenshot("2-filtered")

    # Reply: Open -> Answered.
    table.get_by_role("link", name=urgent).click()
    expect(page.get_by_role("heading", name="Checkout page is down")).to_be_visible()
    page.get_by_label("Your reply").fill("We are on it, the payment provider is down.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("We are on it, the payment provider is down.")).to_be_visible()
    meta = page.locator(".xt-meta")
    expect(meta).to_contain_text("Answered")
    screenshot("3-replied")

    # Assign to Sam himself.
    page.get_by_label("Assignee").select_option(label="Sam Support")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(meta).to_contain_text("Sam Support")
    screenshot("4-assigned")

    # Close, then reopen.
    page.get_by_role("button", name="Close ticket").click()
    expect(meta).to_contain_text("Closed")
    # Closed: no reply any more (internal notes only), no "Send and close".
    expect(page.get_by_role("button", name="Send and close")).to_have_count(0)
    expect(page.get_by_role("radio", name="Reply to customer")).to_have_count(0)
    screenshot("5-closed")
    page.get_by_role("button", name="Reopen ticket").click()
    expect(meta).to_contain_text("Open")
    expect(page.get_by_role("button", name="Send and close")).to_be_visible()
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Sam Support")
    screenshot("6-reopened")

    # The queue shows the new state: assigned to "Me", open again.
    page.goto(site("/acme/admin/tickets?assignee=me"))
    row = page.get_by_role("row", name=re.compile(urgent))
    expect(row).to_contain_text("Me")
    expect(row).to_contain_text("Open")


def test_staff_does_not_see_other_departments(page, site):
    """Sam's queue has no Billing ticket, and its URL answers a 404 page."""
    billing = open_as_carla(site, "Invoice charged twice", department="Billing")
    log_in(page, site, "sam@acme.test")
    expect(page.get_by_role("table").or_(page.get_by_text("The queue is empty"))).not_to_contain_text(
        "Invoice charged twice"
    )
    response = page.goto(site(f"/acme/admin/tickets/{billing}"))
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
