"""End-to-end fixtures: the real app on a loopback port, Debian's Chromium driven by Playwright.

The browser is the system's ``/usr/bin/chromium`` (``apt-get install chromium``); nothing
is downloaded at run time. Without it the tests are skipped with a reason, except under
CI (``CI`` set), where a missing browser is a failure. axe-core comes from npm into
``tests/e2e/node_modules`` (``npm ci`` in this folder).
"""

import os
import re
import threading
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from xobito_tickets import create_app
from xobito_tickets.db import metadata, session
from xobito_tickets.models import Role, Tenant, User
from xobito_tickets.team.services import create_department, create_user
from xobito_tickets.tenancy.workspaces import create_tenant

CHROMIUM = os.environ.get("XT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
AXE_JS = os.path.join(HERE, "node_modules", "axe-core", "axe.min.js")
ARTIFACTS = os.path.join(ROOT, "test-artifacts", "e2e")
PASSWORD = "e2e-password-123"


def _in_ci():
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def _missing(what, how):
    """Skip locally, fail in CI: the browser suite must run there."""
    message = f"{what} is missing ({how})"
    if _in_ci():
        pytest.fail(message + "; CI must provide it", pytrace=False)
    pytest.skip(message)


@dataclass
class Site:
    """The running app: its base URL, the app object, and the ids of the seeded people."""

    url: str
    app: object
    support_id: int
    billing_id: int

    def __call__(self, path):
        return self.url + path


def _seed(app):
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        metadata.create_all(engine)
        acme = create_tenant("acme", "Acme Inc")
        sam = create_user(acme, "sam@acme.test", "Sam Support", Role.STAFF, PASSWORD)
        bea = create_user(acme, "bea@acme.test", "Bea Billing", Role.STAFF, PASSWORD)
        create_user(acme, "ada@acme.test", "Ada Admin", Role.ADMIN, PASSWORD)
        create_user(acme, "carla@acme.test", "Carla Customer", Role.CUSTOMER, PASSWORD)
        support = create_department(acme, "Support", "Help with the product", members=[sam])
        billing = create_department(acme, "Billing", "Invoices and payments", members=[bea])
        ids = support.id, billing.id
        session.remove()
    return ids


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The standalone app with CSRF on, over a real SQLite file, served on 127.0.0.1 by a thread."""
    folder = tmp_path_factory.mktemp("e2e")
    app = create_app(
        {
            "TICKETS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "TESTING": True,
            "SECRET_KEY": "e2e-secret",
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(folder / "tickets.sqlite"),
            "TICKETS_STORAGE_ROOT": str(folder / "storage"),
            "WTF_CSRF_ENABLED": True,
            "MAIL_SUPPRESS_SEND": True,
            "TICKETS_MAIL_TRANSPORT": "file",
            "TICKETS_MAIL_FILE_DIR": str(folder / "mail"),
            "TICKETS_BASE_URL": "http://helpdesk.test",
        }
    )
    support_id, billing_id = _seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}", app, support_id, billing_id)
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    with app.app_context():
        session.remove()
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, started once for the whole browser suite."""
    if not os.path.exists(CHROMIUM):
        _missing(f"Chromium at {CHROMIUM}", "apt-get install chromium")
    # expect() waits 5 s by default, half of what actions wait (the context's default timeout
    # below): on a busy machine a page can take longer than that to show what it will show.
    expect.set_options(timeout=10_000)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield browser
    browser.close()
    playwright.stop()


class PageProblems:
    """What the browser complained about: CSP violations, script errors, dialogs (a sign of XSS)."""

    def __init__(self, page):
        self.console = []
        self.errors = []
        self.dialogs = []
        self.confirms = []
        page.on("console", lambda msg: msg.type in ("error", "warning") and self.console.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

        def on_dialog(dialog):
            # The app asks "Close TKT-…?" with confirm(); an alert or prompt can only come from injected script.
            if dialog.type == "confirm":
                self.confirms.append(dialog.message)
                dialog.accept()
            else:
                self.dialogs.append(dialog.message)
                dialog.dismiss()

        page.on("dialog", on_dialog)

    def csp_violations(self):
        return [m for m in self.console if "Content Security Policy" in m or "Refused to" in m]


@pytest.fixture
def page(browser, request):
    """A fresh browser context (no cookies) and page; a screenshot of the last state is kept."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = PageProblems(page)
    yield page
    try:
        shoot(page, request.node.name, "final")
    finally:
        context.close()
    assert not page.problems.csp_violations(), page.problems.csp_violations()
    assert not page.problems.errors, page.problems.errors
    assert not page.problems.dialogs, f"a dialog opened (script ran): {page.problems.dialogs}"


def shoot(page, test_name, step):
    """Save a full-page screenshot under test-artifacts/e2e/ (kept by CI as an artefact)."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{test_name}-{step}")
    page.screenshot(path=os.path.join(ARTIFACTS, safe + ".png"), full_page=True)


@pytest.fixture
def screenshot(page, request):
    """``screenshot("step")`` saves the page as it is now."""
    return lambda step: shoot(page, request.node.name, step)


#: email -> the cookies of a login through the form, reused by later tests (each login
#: is a server-side session of its own, so sharing one between contexts is harmless).
_LOGINS = {}


def log_in(page, site, email, password=PASSWORD):
    """Log in as ``email``: through the form the first time, with that login's cookies afterwards."""
    key = (site.url, email)
    if key in _LOGINS:
        page.context.add_cookies(_LOGINS[key])
        page.goto(site("/acme/tickets"))
        if "/login" not in page.url:
            return
    page.goto(site("/acme/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:500]
    _LOGINS[key] = page.context.cookies()


@pytest.fixture
def axe():
    """Return a function that runs axe-core on a page and returns its violations."""
    if not os.path.exists(AXE_JS):
        _missing("axe-core", "cd tests/e2e && npm ci")
    with open(AXE_JS, encoding="utf-8") as handle:
        source = handle.read()

    def run(page):
        # evaluate() is not subject to the page's CSP, which (rightly) forbids injected script tags.
        page.evaluate(source)
        result = page.evaluate(
            """() => axe.run(document, {resultTypes: ['violations'],
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
        )
        return result["violations"]

    return run


def seeded_user_id(site, email):
    with site.app.app_context():
        from sqlalchemy import select

        user_id = session.scalar(select(User.id).join(Tenant).where(Tenant.slug == "acme", User.email == email))
        session.remove()
    return user_id
