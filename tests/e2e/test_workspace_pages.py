"""The workspace's new pages in Chromium: axe on each, and the composer and bulk stories with screenshots.

axe: the helper of test_accessibility.py (no serious or critical finding; the others printed).
Stories: Sam answers with a canned reply, writes a note, sends and closes; a colleague's reply
arrives while Sam writes (409, the text kept, "Send anyway"); bulk close and tag with a ticket
skipped; the ticket view on a phone.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from xobito_tickets.canned.services import create_canned_reply
from xobito_tickets.cc.services import add_cc
from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, Ticket, User
from xobito_tickets.tickets.services import close_ticket, open_ticket, post_reply

from .conftest import log_in
from .test_accessibility import check

pytestmark = pytest.mark.e2e


def _person(email):
    return session.scalar(sa.select(User).where(User.email == email))


def open_ticket_as(site, subject, email="carla@acme.test", priority=Priority.MEDIUM, closed=False, reply=None):
    """Open a Support ticket for ``email`` through the services; return its number."""
    with site.app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == "acme"))
        support = session.scalar(sa.select(Department).where(Department.name == "Support"))
        ticket = open_ticket(tenant, _person(email), support, subject, "Details for the team.", priority=priority)
        if reply:
            post_reply(ticket, _person("sam@acme.test"), reply)
        if closed:
            close_ticket(ticket, _person("sam@acme.test"))
        number = ticket.display_number
        session.remove()
    return number


@pytest.fixture(scope="module")
def desk(site):
    """A ticket with a reply and a CC, a closed one, and a shared canned reply; return their numbers and ids."""
    number = open_ticket_as(site, "Docking station not detected", reply="Which laptop model is it?")
    closed = open_ticket_as(site, "Old mouse question", closed=True)
    with site.app.app_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == int(number[4:])))
        add_cc(ticket, _person("ada@acme.test"), "manager@example.com")
        canned = create_canned_reply(
            _person("ada@acme.test"),
            "Restart first",
            "Hello {{ customer.first_name }}, please restart the {{ ticket.subject }} device and tell us.",
            personal=False,
        )
        canned_id = canned.id
        session.remove()
    return {"number": number, "closed": closed, "canned": canned_id}


STAFF_PAGES = [
    ("queue-needs-reply", "/acme/admin/tickets"),
    ("queue-mine", "/acme/admin/tickets?tab=mine"),
    ("queue-unassigned", "/acme/admin/tickets?tab=unassigned"),
    ("queue-overdue", "/acme/admin/tickets?tab=overdue"),
    ("queue-all-open", "/acme/admin/tickets?tab=open"),
    ("queue-closed", "/acme/admin/tickets?tab=closed"),
    ("queue-tag-filter", "/acme/admin/tickets?tag=vip"),
    ("ticket-with-composer", "/acme/admin/tickets/{number}"),
    ("ticket-canned-filled", "/acme/admin/tickets/{number}?canned={canned}"),
    ("closed-ticket", "/acme/admin/tickets/{closed}"),
    ("canned-list", "/acme/admin/canned-replies"),
    ("canned-create", "/acme/admin/canned-replies/create"),
    ("canned-edit", "/acme/admin/canned-replies/{canned}/edit"),
    ("cc-staff", "/acme/admin/tickets/{number}/cc"),
    ("merge", "/acme/admin/tickets/{number}/merge"),
    ("on-behalf-create", "/acme/admin/tickets/create"),
]


@pytest.mark.parametrize("name, path", STAFF_PAGES, ids=[n for n, _ in STAFF_PAGES])
def test_workspace_page_passes_axe(page, site, axe, request, desk, name, path):
    """Each new staff page (queue tabs, ticket view and composer, canned, CC, merge, on-behalf) in axe."""
    log_in(page, site, "ada@acme.test")
    response = page.goto(site(path.format(**desk)))
    assert response.status == 200, name
    check(page, axe, request, name)


def test_the_portal_cc_page_passes_axe(page, site, axe, request, desk):
    log_in(page, site, "carla@acme.test")
    assert page.goto(site(f"/acme/tickets/{desk['number']}/cc")).status == 200
    expect(page.locator(".xt-cc-address", has_text="manager@example.com")).to_be_visible()
    check(page, axe, request, "cc-portal")


def test_forms_with_errors_pass_axe(page, site, axe, request, desk):
    """The 422 pages: canned reply with an unknown variable, on-behalf without a customer, merge into nothing."""
    log_in(page, site, "ada@acme.test")
    page.goto(site("/acme/admin/canned-replies/create"))
    page.get_by_label("Title").fill("Hostile")
    page.get_by_label("Text", exact=True).fill("{{ ''.__class__ }}")
    page.get_by_role("button", name="Create canned reply").click()
    expect(page.locator(".xt-error-text").first).to_be_visible()
    check(page, axe, request, "canned-create-422")

    page.goto(site("/acme/admin/tickets/create"))
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator(".xt-error-text").first).to_be_visible()
    check(page, axe, request, "on-behalf-422")

    page.goto(site(f"/acme/admin/tickets/{desk['number']}/merge"))
    page.get_by_label("Merge into ticket").fill("TKT-999999")
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator(".xt-error-text").first).to_be_visible()
    check(page, axe, request, "merge-422")


def test_composer_story_canned_reply_note_and_send_and_close(page, site, screenshot):
    """Sam answers with a canned reply, adds a note, and sends-and-closes: each shows in the thread as it is."""
    number = open_ticket_as(site, "Keyboard types twice")
    log_in(page, site, "sam@acme.test")
    page.goto(site(f"/acme/admin/tickets/{number}"))
    composer = page.get_by_label("Your reply or note")

    # The picker: search, pick, the composer comes back filled (variables filled in).
    page.locator("#xt-canned summary").click()
    page.get_by_role("searchbox", name="Search canned replies").fill("restart")
    page.get_by_role("link", name="Restart first").click()
    expect(composer).to_have_value(re.compile(r"^Hello Carla, please restart the Keyboard types twice device"))
    screenshot("1-canned-filled")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Your reply was sent to the customer.")).to_be_visible()
    expect(page.locator(".xt-from-staff").last).to_contain_text("please restart the Keyboard types twice device")
    expect(page.locator(".xt-meta")).to_contain_text("Answered")
    screenshot("2-replied")

    page.get_by_role("radio", name=re.compile("Internal note")).check()
    composer.fill("Same model failed twice this month, @Ada Admin.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Your internal note was added (staff only).")).to_be_visible()
    expect(page.locator(".xt-note").last).to_contain_text("Same model failed twice")
    expect(page.locator(".xt-meta")).to_contain_text("Answered")
    screenshot("3-note")

    composer.fill("A new keyboard is on its way; we close this ticket meanwhile.")
    page.get_by_role("button", name="Send and close").click()
    expect(page.get_by_text(f"Your reply was sent to the customer. {number} is closed.")).to_be_visible()
    expect(page.locator(".xt-meta")).to_contain_text("Closed")
    # Closed: the composer takes notes only.
    expect(page.get_by_role("button", name="Send and close")).to_have_count(0)
    screenshot("4-sent-and-closed")


def test_collision_keeps_the_text_and_sends_on_confirm(page, site, browser, screenshot):
    """Ada answers while Sam writes: Sam's send comes back 409 with her reply shown and his text kept."""
    number = open_ticket_as(site, "Projector shows no picture")
    log_in(page, site, "sam@acme.test")
    page.goto(site(f"/acme/admin/tickets/{number}"))
    text = "Try the HDMI input 2, it is the one wired to the wall."
    page.get_by_label("Your reply or note").fill(text)

    other = browser.new_context()
    try:
        ada = other.new_page()
        log_in(ada, site, "ada@acme.test")
        ada.goto(site(f"/acme/admin/tickets/{number}"))
        ada.get_by_label("Your reply or note").fill("I switched the projector on at the wall, try again.")
        ada.get_by_role("button", name="Send", exact=True).click()
        expect(ada.get_by_text("Your reply was sent to the customer.")).to_be_visible()
    finally:
        other.close()

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Send", exact=True).click()
    assert posted.value.status == 409
    collision = page.get_by_role("alert").filter(has_text="arrived while you were writing")
    expect(collision).to_contain_text("1 new message arrived while you were writing. Nothing was sent.")
    expect(collision).to_contain_text("I switched the projector on at the wall")
    expect(page.get_by_label("Your reply or note")).to_have_value(text)
    screenshot("1-collision")
    page.get_by_role("button", name="Send anyway", exact=True).click()
    expect(page.get_by_text("Your reply was sent to the customer.")).to_be_visible()
    expect(page.locator(".xt-from-staff").last).to_contain_text("HDMI input 2")
    screenshot("2-sent-anyway")


def test_bulk_story_close_and_tag_with_one_skipped(page, site, screenshot):
    """Sam ticks three tickets, one already closed: two close, the third is skipped and said why; then tags."""
    numbers = [open_ticket_as(site, f"Bulk story printer {i}") for i in (1, 2)]
    closed = open_ticket_as(site, "Bulk story closed one", closed=True)
    log_in(page, site, "sam@acme.test")
    page.goto(site("/acme/admin/tickets?tab=all&q=Bulk+story"))
    for number in numbers + [closed]:
        page.get_by_label(f"Tick {number}").check()
    bar = page.get_by_role("group", name="Bulk actions on the ticked tickets")
    bar.get_by_label("With the ticked tickets").select_option(label="Close")
    screenshot("1-ticked")
    bar.get_by_role("button", name="Apply to ticked").click()
    result = page.get_by_text(re.compile(r"^2 tickets changed, 1 skipped"))
    expect(result).to_be_visible()
    expect(result).to_contain_text(closed)
    for number in numbers:
        expect(page.get_by_role("row", name=re.compile(number))).to_contain_text("Closed")
    screenshot("2-closed-one-skipped")

    for number in numbers:
        page.get_by_label(f"Tick {number}").check()
    bar.get_by_label("With the ticked tickets").select_option(label="Add tags")
    bar.get_by_label("Tags (comma-separated)").fill("printer, hardware")
    bar.get_by_role("button", name="Apply to ticked").click()
    expect(page.get_by_text("2 tickets changed.")).to_be_visible()
    page.goto(site("/acme/admin/tickets?tag=hardware&tag=printer"))
    for number in numbers:
        expect(page.get_by_role("row", name=re.compile(number))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(closed))).to_have_count(0)
    screenshot("3-tag-filter")


def test_the_ticket_view_on_a_phone(page, site, desk, screenshot):
    """At 390 px the ticket view has no sideways scroll and its buttons are touch-sized."""
    log_in(page, site, "sam@acme.test")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site(f"/acme/admin/tickets/{desk['number']}"))
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width
    for name in ("Send", "Send and close", "Take it (assign to me)", "Save"):
        box = page.get_by_role("button", name=name, exact=True).first.bounding_box()
        assert box["height"] >= 44, (name, box)
    for radio in page.locator(".xt-composer-kind label").all():
        assert radio.bounding_box()["height"] >= 44, radio.inner_text()
    screenshot("1-phone-ticket")
