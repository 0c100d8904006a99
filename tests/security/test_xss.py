"""Stored cross-site scripting (SPEC §5, §13): script typed into a subject, a body, a reply,
a file name, a department name or a person's name must come out escaped on every page
that shows it, and in the HTML part of every email. Every tenant and every agent share
one origin, so one stored script would reach them all."""

import re

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, OutboxEmail, Tenant
from xobito_tickets.team.services import create_user

from .conftest import PNG, XSS_PAYLOADS, upload

SCRIPT, BREAKOUT, SVG = XSS_PAYLOADS

#: What would execute if any payload reached the page unescaped.
RAW_MARKERS = ("<script>alert", "<img src=x", "<svg/onload", "onerror=alert(1)>", 'href="javascript:')


def assert_escaped(html, where):
    """No payload is live in ``html``, and the escaped text is there (the payload was shown, not dropped)."""
    for marker in RAW_MARKERS:
        if marker.startswith("onerror"):
            # Escaped text keeps these letters; what matters is that no tag was opened.
            assert not re.search(r"<[a-z]+[^>]*onerror=", html, flags=re.I), where
        else:
            assert marker not in html, f"live {marker!r} on {where}"
    assert "&lt;img src=x onerror=alert(1)&gt;" in html or "&lt;script&gt;" in html, f"payload not shown on {where}"


@pytest.fixture
def poisoned(app, world, login_as):
    """Fill every user-typed field with a payload, through the real forms."""
    ada = login_as("ada@acme.test")
    response = ada.post(
        "/acme/admin/departments/create",
        data={"name": BREAKOUT, "description": SCRIPT, "active": "y", "members": [world.staff_id]},
    )
    assert response.status_code == 303, response.status_code
    with app.app_context():
        department_id = session.scalar(sa.select(Department.id).where(Department.name == BREAKOUT))
        session.remove()

    # A customer whose name is the payload (sign-up confirms by email, so the account is made here).
    with app.app_context():
        acme = session.scalar(sa.select(Tenant).where(Tenant.slug == "acme"))
        create_user(acme, "mallory@example.com", SCRIPT, password="mallory-password")
        session.remove()
    mallory = app.test_client()
    response = mallory.post("/acme/login", data={"email": "mallory@example.com", "password": "mallory-password"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    response = mallory.post(
        "/acme/tickets/store",
        data={
            "subject": BREAKOUT,
            "department": department_id,
            "priority": "high",
            "body": f"{SCRIPT}\n{SVG}",
            "attachments": [upload(f"{BREAKOUT}.png", PNG), upload("<svg onload=alert(1)>.png", PNG)],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    number = response.headers["Location"].rsplit("/", 1)[-1]
    response = mallory.post(f"/acme/tickets/{number}/reply", data={"body": f"reply {SVG} {BREAKOUT}"})
    assert response.status_code == 303
    sam = login_as("sam@acme.test")
    response = sam.post(f"/acme/admin/tickets/{number}/reply", data={"body": f"staff says {SCRIPT}"})
    assert response.status_code == 303
    return {"number": number, "mallory": mallory, "department_id": department_id}


CUSTOMER_PAGES = ["/acme/tickets", "/acme/tickets/{number}", "/acme/tickets?status=open&priority=high"]
STAFF_PAGES = [
    ("sam@acme.test", "/acme/admin/tickets"),
    ("sam@acme.test", "/acme/admin/tickets/{number}"),
    ("sam@acme.test", "/acme/admin/tickets?q=alert"),
    ("ada@acme.test", "/acme/admin/departments"),
    ("ada@acme.test", "/acme/admin/departments/{department_id}/edit"),
    ("ada@acme.test", "/acme/admin/team?tab=customers"),
    ("ada@acme.test", "/acme/admin/team"),
]


@pytest.mark.parametrize("url", CUSTOMER_PAGES)
def test_customer_pages_escape_every_field(poisoned, url):
    """Stored XSS on the portal: list and ticket page show subject, body, replies, names and files as text."""
    html = poisoned["mallory"].get(url.format(**poisoned)).get_data(as_text=True)
    assert_escaped(html, url)


@pytest.mark.parametrize("email, url", STAFF_PAGES, ids=[u for _, u in STAFF_PAGES])
def test_staff_pages_escape_every_field(app, login_as, poisoned, email, url):
    """Stored XSS aimed at agents: queue, ticket view, history, departments and team show payloads as text."""
    response = login_as(email).get(url.format(**poisoned))
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    for marker in ("<script>alert", "<img src=x", "<svg/onload", "<svg onload"):
        assert marker not in html, f"live {marker!r} on {url}"
    assert "&lt;script&gt;" in html or "&lt;img src=x" in html, f"payload not shown on {url}"


def test_ticket_page_shows_the_payloads_as_text(poisoned):
    """The escaping keeps the text readable: the customer sees exactly what they typed."""
    html = poisoned["mallory"].get(f"/acme/tickets/{poisoned['number']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<br>" in html  # line breaks preserved, nothing else rendered


def test_emails_escape_every_field(app, poisoned):
    """Stored XSS by email: the HTML part of every notification shows payloads as text."""
    from xobito_tickets.mail.compose import Job, build_message

    with app.app_context():
        rows = session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()
        assert rows, "no notification was queued"
        shown = 0
        for row in rows:
            message = build_message(Job.from_row(row))
            for marker in ("<script>alert", "<img src=x", "<svg/onload", "<svg onload"):
                assert marker not in message.html, f"live {marker!r} in {row.kind} email"
            shown += "&lt;" in message.html
        assert shown, "no email showed a payload"
        session.remove()


def test_error_pages_do_not_reflect_the_url(login_as, world):
    """Reflected XSS: a script in the path or query of a missing page is not echoed as markup."""
    carla = login_as("carla@acme.test")
    for url in (
        "/acme/tickets/<script>alert(1)</script>",
        "/acme/tickets?status=<script>alert(1)</script>&department=<img src=x onerror=alert(1)>",
        "/acme/login?next=<script>alert(1)</script>",
    ):
        html = carla.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
