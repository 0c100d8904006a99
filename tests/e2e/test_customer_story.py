"""The customer's story in a real browser: sign up, open a ticket with an attachment, find it
in the list, reply, download the file, close the ticket."""

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from xobito_tickets.db import session
from xobito_tickets.models import OutboxEmail

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def test_customer_signs_up_opens_replies_downloads_and_closes(page, site, screenshot, tmp_path):
    """A new customer goes through the whole portal with the keyboard-free happy path."""
    # Sign up.
    page.goto(site("/acme/tickets"))
    expect(page).to_have_url(re.compile(r"/acme/login\?next="))
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name").fill("Nora New")
    page.get_by_label("Email").fill("nora@example.com")
    screenshot("1-signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("nora@example.com")).to_be_visible()
    # The confirmation email's link (read from the outbox, as the mail worker would send it).
    with site.app.app_context():
        link = session.scalar(sa.select(OutboxEmail.payload).where(OutboxEmail.recipient_email == "nora@example.com"))[
            "accept_url"
        ]
        session.remove()
    page.goto(site(urlsplit(link).path))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Save and log in").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    expect(page.get_by_text("You have no tickets yet")).to_be_visible()

    # Open a ticket with an attachment.
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("Printer prints only blank pages")
    page.get_by_label("Department").select_option(label="Support")
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_label("Describe the problem").fill("Since this morning every page comes out blank.\nToner is new.")
    screenshot_file = tmp_path / "printer.png"
    screenshot_file.write_bytes(PNG)
    page.get_by_label("Attachments").set_input_files(str(screenshot_file))
    screenshot("2-create")
    page.get_by_role("button", name="Submit ticket").click()
    expect(page).to_have_url(re.compile(r"/acme/tickets/TKT-\d{6}$"))
    number = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_role("heading", name="Printer prints only blank pages")).to_be_visible()
    expect(page.get_by_text("Toner is new.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("printer.png")).first).to_be_visible()

    # See it in the list.
    page.get_by_role("link", name="My tickets").first.click()
    row = page.get_by_role("row", name=re.compile(number))
    expect(row).to_contain_text("Printer prints only blank pages")
    expect(row).to_contain_text("Support")
    expect(row).to_contain_text("High")
    expect(row).to_contain_text("Open")
    screenshot("3-list")

    # Reply.
    row.get_by_role("link", name=number).click()
    page.get_by_label("Your reply").fill("I also tried another cable, same result.")
    page.get_by_role("button", name="Send Reply").click()
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    expect(page.get_by_text("I also tried another cable, same result.")).to_be_visible()
    screenshot("4-replied")

    # Download the attachment: the same bytes come back, as a file.
    with page.expect_download() as download_info:
        page.locator("a[href*='/download']").filter(has_text="printer.png").first.click()
    download = download_info.value
    assert download.suggested_filename == "printer.png"
    with open(download.path(), "rb") as handle:
        assert handle.read() == PNG

    # Close it.
    page.get_by_role("button", name="Close Ticket").click()
    expect(page.get_by_text(f"Ticket {number} is closed.")).to_be_visible()
    expect(page.get_by_text("This ticket is closed")).to_be_visible()
    expect(page.get_by_role("button", name="Send Reply")).to_have_count(0)
    screenshot("5-closed")
    page.get_by_role("link", name="My tickets").first.click()
    expect(page.get_by_role("row", name=re.compile(number))).to_contain_text("Closed")


def test_invalid_form_keeps_what_was_typed(page, site, screenshot):
    """A refused submission shows the error next to the field and keeps the input (no data lost)."""
    from .conftest import log_in

    log_in(page, site, "carla@acme.test")
    page.goto(site("/acme/tickets/create"))
    page.get_by_label("Subject").fill("Typed subject stays")
    page.get_by_label("Department").select_option(label="Support")
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.locator("#body-error")).to_have_text("The description is required.")
    expect(page.get_by_label("Subject")).to_have_value("Typed subject stays")
    screenshot("422")


def test_script_in_a_subject_stays_text_in_the_browser(page, site):
    """Stored XSS, checked where it matters: the browser shows the payload and runs nothing."""
    from .conftest import log_in

    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    log_in(page, site, "carla@acme.test")
    page.goto(site("/acme/tickets/create"))
    page.get_by_label("Subject").fill(payload)
    page.get_by_label("Department").select_option(label="Support")
    page.get_by_label("Describe the problem").fill(payload)
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_role("heading", name=payload)).to_be_visible()
    page.get_by_role("link", name="My tickets").first.click()
    expect(page.get_by_role("link", name=payload)).to_be_visible()
    assert page.locator("img[src=x]").count() == 0
    # The page fixture fails the test if any dialog opened or the CSP refused anything.
