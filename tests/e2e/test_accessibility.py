"""Accessibility of the main pages: axe-core (WCAG 2.1 A/AA and best practices) in Chromium,
with no serious or critical violation. Moderate and minor findings are printed, not failed."""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, User
from xobito_tickets.tickets.services import open_ticket, post_reply

from .conftest import log_in, shoot

pytestmark = pytest.mark.e2e

BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def ticket_number(site):
    """A ticket with a reply, so the thread and its actions are on the page."""
    with site.app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == "acme"))
        carla = session.scalar(sa.select(User).where(User.email == "carla@acme.test"))
        sam = session.scalar(sa.select(User).where(User.email == "sam@acme.test"))
        support = session.scalar(sa.select(Department).where(Department.name == "Support"))
        ticket = open_ticket(tenant, carla, support, "Screen flickers", "It flickers at 60 Hz.", Priority.HIGH)
        post_reply(ticket, sam, "Which cable do you use?")
        number = ticket.display_number
        session.remove()
    return number


def describe(violations):
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({targets})")
    return "\n".join(lines)


def check(page, axe, request, name):
    violations = axe(page)
    shoot(page, request.node.name, name)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    others = [v for v in violations if v["impact"] not in BLOCKING]
    if others:
        print(f"\n{name}: non-blocking findings\n{describe(others)}")
    assert not blocking, f"{name}:\n{describe(blocking)}"


PUBLIC_PAGES = [("login", "/acme/login"), ("register", "/acme/register")]
CUSTOMER_PAGES = [
    ("list", "/acme/tickets"),
    ("create", "/acme/tickets/create"),
    ("ticket", "/acme/tickets/{number}"),
]
STAFF_PAGES = [("queue", "/acme/admin/tickets"), ("staff-ticket", "/acme/admin/tickets/{number}")]


@pytest.mark.parametrize("name, path", PUBLIC_PAGES, ids=[n for n, _ in PUBLIC_PAGES])
def test_public_pages(page, site, axe, request, name, path):
    """Login and sign-up forms: labels, contrast, landmarks, language."""
    page.goto(site(path))
    check(page, axe, request, name)


@pytest.mark.parametrize("name, path", CUSTOMER_PAGES, ids=[n for n, _ in CUSTOMER_PAGES])
def test_customer_pages(page, site, axe, request, ticket_number, name, path):
    """The portal's list, create form and ticket page."""
    log_in(page, site, "carla@acme.test")
    page.goto(site(path.format(number=ticket_number)))
    check(page, axe, request, name)


def test_create_form_with_errors(page, site, axe, request):
    """The create form as it comes back with errors next to the fields (422)."""
    log_in(page, site, "carla@acme.test")
    page.goto(site("/acme/tickets/create"))
    page.get_by_role("button", name="Submit ticket").click()
    page.wait_for_load_state()
    check(page, axe, request, "create-errors")


@pytest.mark.parametrize("name, path", STAFF_PAGES, ids=[n for n, _ in STAFF_PAGES])
def test_staff_pages(page, site, axe, request, ticket_number, name, path):
    """The staff queue and the staff ticket view."""
    log_in(page, site, "sam@acme.test")
    page.goto(site(path.format(number=ticket_number)))
    check(page, axe, request, name)


def test_the_checker_finds_a_known_problem(page, axe):
    """The check can fail: a page with an unlabeled field and an image without alt text is caught."""
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>'
    )
    found = {v["id"] for v in axe(page) if v["impact"] in BLOCKING}
    assert {"image-alt", "label"} <= found
