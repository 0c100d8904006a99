"""The accounts story in a real browser: an admin invites a person by email, the person chooses a
password from the emailed link (a real SMTP server), is held at two-factor set-up (the workspace
requires it), turns it on with a code computed from the shown key, logs in with password and code,
and spends a recovery code, once."""

import re
import threading
import time
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from xobito_tickets import create_app
from xobito_tickets.auth import secretbox
from xobito_tickets.db import metadata, session
from xobito_tickets.models import Role
from xobito_tickets.team.services import create_department, create_user
from xobito_tickets.tenancy.workspaces import create_tenant

from ..mail.conftest import deliver, emails_to, smtp_server  # noqa: F401  (fixture)
from .conftest import PageProblems, shoot
from .test_accessibility import check

pytestmark = pytest.mark.e2e

PASSWORD = "e2e-password-123"
#: The admin's own authenticator key: the workspace requires two-factor login of her too.
ADMIN_SECRET = pyotp.random_base32(32)
INVITEE = "ines@acme.test"


@pytest.fixture
def mail_site(tmp_path, smtp_server):  # noqa: F811
    """The standalone app (CSRF on, real SQLite file) that sends its mail to the test's SMTP server."""
    app = create_app(
        {
            "TICKETS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "TESTING": True,
            "SECRET_KEY": "e2e-accounts-secret",
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "tickets.sqlite"),
            "TICKETS_STORAGE_ROOT": str(tmp_path / "storage"),
            "WTF_CSRF_ENABLED": True,
            "MAIL_SERVER": smtp_server.host,
            "MAIL_PORT": smtp_server.port,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_DEFAULT_SENDER": "Helpdesk <helpdesk@helpdesk.test>",
            "TICKETS_MAIL_SMTP_TIMEOUT": 5,
        }
    )
    with app.app_context():
        metadata.create_all(app.extensions["sqlalchemy"].engine)
        acme = create_tenant("acme", "Acme Inc")
        acme.require_two_factor = True
        ada = create_user(acme, "ada@acme.test", "Ada Admin", Role.ADMIN, PASSWORD, commit=False)
        ada.totp_secret = secretbox.seal(ADMIN_SECRET)
        ada.totp_confirmed_at = datetime.now(UTC)
        session.commit()
        create_department(acme, "Support", "Help with the product")
        session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # Links in emails are built from the configured base URL (never the Host header): this server's.
    app.config["TICKETS_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="e2e-accounts-server", daemon=True)
    thread.start()
    yield app, url
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    with app.app_context():
        session.remove()
        app.extensions["sqlalchemy"].engine.dispose()


def next_code(secret):
    """Return the code of the next 30-second step: the current one may have been spent already."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def log_in_with(page, url, email, code):
    """Log in through both steps: the password, then ``code`` (TOTP or recovery)."""
    page.goto(url + "/acme/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enter your login code")).to_be_visible()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Log in").click()


def log_out(page):
    page.get_by_role("button", name="Log out").first.click()
    expect(page.get_by_role("heading", name="Log in to Acme Inc")).to_be_visible()


def test_invited_person_sets_a_password_enrols_and_logs_in_with_codes(
    browser,
    mail_site,
    smtp_server,  # noqa: F811
    axe,
    request,
):
    app, url = mail_site
    name = request.node.name
    admin = browser.new_context(viewport={"width": 1280, "height": 900})
    admin.set_default_timeout(10_000)
    page = admin.new_page()
    problems = [PageProblems(page)]

    # The admin (who has two-factor login herself) invites Ines as staff.
    log_in_with(page, url, "ada@acme.test", pyotp.TOTP(ADMIN_SECRET).now())
    expect(page.get_by_role("heading", name="Ticket queue")).to_be_visible()
    page.goto(url + "/acme/admin/team/create")
    expect(page.get_by_role("heading", name="Add a person")).to_be_visible()
    page.get_by_label("Name").fill("Ines Invited")
    page.get_by_label("Email").fill(INVITEE)
    page.get_by_label("Role").select_option(label="Staff")
    check(page, axe, request, "1-invite-form")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Ines Invited was invited")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Ines Invited"))).to_contain_text("Invited")
    shoot(page, name, "2-invited")
    admin.close()

    # The worker sends the invitation through the real SMTP server; Ines opens its link.
    stats = deliver(app)
    assert stats, stats
    (email,) = emails_to(smtp_server, INVITEE)
    links = [link for link in re.findall(r"https?://\S+", email.text) if "/acme/welcome/" in link]
    assert links and links[0].startswith(url), email.text
    invitee = browser.new_context(viewport={"width": 1280, "height": 900})
    invitee.set_default_timeout(10_000)
    page = invitee.new_page()
    problems.append(PageProblems(page))
    page.goto(links[0])
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    expect(page.get_by_text(INVITEE)).to_be_visible()
    check(page, axe, request, "3-invitation")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Save and log in").click()

    # The workspace requires two-factor login: every page leads to its set-up until it is on.
    expect(page.get_by_role("heading", name="Set up two-factor login")).to_be_visible()
    expect(page.get_by_text("Your workspace requires two-factor login")).to_be_visible()
    page.goto(url + "/acme/admin/tickets")
    expect(page).to_have_url(url + "/acme/profile/two-factor")
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", qr.element_handle()) > 0
    check(page, axe, request, "4-enrolment")
    secret = page.locator("code.xt-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("#code-error")).to_contain_text("That code is not right")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = [code.strip() for code in page.locator(".xt-recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    shoot(page, name, "5-recovery-codes")
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_role("heading", name="Two-factor login")).to_be_visible()
    expect(page.get_by_text("You have 10 recovery codes left")).to_be_visible()
    expect(page.get_by_role("link", name="Manage your API tokens")).to_be_visible()
    check(page, axe, request, "6-profile")

    # Password alone is not a login; password and code are.
    log_out(page)
    log_in_with(page, url, INVITEE, next_code(secret))
    expect(page.get_by_role("heading", name="Ticket queue")).to_be_visible()
    shoot(page, name, "7-logged-in-with-code")

    # A recovery code works once; the second time it is refused.
    log_out(page)
    log_in_with(page, url, INVITEE, codes[0])
    expect(page.get_by_role("heading", name="Ticket queue")).to_be_visible()
    log_out(page)
    log_in_with(page, url, INVITEE, codes[0])
    expect(page.locator("#code-error")).to_contain_text("Wrong code")
    expect(page.get_by_role("heading", name="Enter your login code")).to_be_visible()
    shoot(page, name, "8-recovery-code-refused")
    page.goto(url + "/acme/admin/tickets")
    expect(page).to_have_url(re.compile(r"/acme/login"))
    page.goto(url + "/acme/profile")
    expect(page).to_have_url(re.compile(r"/acme/login"))
    invitee.close()
    for seen in problems:
        assert not seen.csp_violations() and not seen.errors and not seen.dialogs, vars(seen)
