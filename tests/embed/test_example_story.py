"""The whole story through examples/host_app: the site's login, a ticket, a staff reply, closing, emails."""

import re

import pytest
import sqlalchemy as sa

from tests.mail.conftest import SMTPServer, deliver, extract_emails

from .conftest import EXAMPLE_LOGINS, csrf_from, example_login


@pytest.fixture
def smtp():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def example_config(example_config, smtp):
    example_config.update(
        MAIL_SERVER=smtp.host,
        MAIL_PORT=smtp.port,
        MAIL_SUPPRESS_SEND=False,
        MAIL_DEFAULT_SENDER="Example Co support <support@example.test>",
        TICKETS_MAIL_TRANSPORT="smtp",
    )
    return example_config


def _mail_by_recipient(smtp):
    inbox = {}
    for email in extract_emails(smtp):
        for address in email.envelope_to:
            inbox.setdefault(address, []).append(email)
    return inbox


def test_customer_and_staff_story_through_the_host_site(example, smtp):
    casey, sam, morgan = EXAMPLE_LOGINS["customer"], EXAMPLE_LOGINS["staff"], EXAMPLE_LOGINS["admin"]

    # A visitor follows the site's "Support" link and is sent to the site's own login.
    customer = example.test_client()
    home = customer.get("/").get_data(as_text=True)
    assert 'href="/support/tickets"' in home
    response = customer.get("/support/tickets")
    assert response.status_code == 302 and response.location == "/login?next=%2Fsupport%2Ftickets"
    login_page = customer.get(response.location)
    assert "Please log in to access this page." in login_page.get_data(as_text=True)
    landed = customer.post(
        response.location,
        data={
            "email": casey,
            "password": "example-password",
            "csrf_token": csrf_from(login_page.get_data(as_text=True)),
        },
    )
    assert landed.status_code == 302 and landed.location == "/support/tickets"

    # The helpdesk in the site's layout.
    page = customer.get("/support/tickets").get_data(as_text=True)
    assert '<a class="site-brand" href="/">Example Co</a>' in page and "<h1>My tickets</h1>" in page
    assert "<span>Casey Customer</span>" in page

    # Casey opens a ticket.
    form = customer.get("/support/tickets/create").get_data(as_text=True)
    department = re.search(r'<option value="(\d+)"[^>]*>General</option>', form).group(1)
    opened = customer.post(
        "/support/tickets/store",
        data={
            "subject": "Invoice shows the wrong address",
            "department": department,
            "priority": "high",
            "body": "My March invoice still has the old street.",
            "csrf_token": csrf_from(form),
        },
    )
    assert opened.status_code == 303 and opened.location == "/support/tickets/TKT-000001"
    ticket_page = customer.get(opened.location).get_data(as_text=True)
    assert "Invoice shows the wrong address" in ticket_page and "Open" in ticket_page

    deliver(example)
    inbox = _mail_by_recipient(smtp)
    assert [e.subject for e in inbox[casey]] == [
        "[TKT-000001] We received your ticket: Invoice shows the wrong address"
    ]
    for person in (sam, morgan):
        assert [e.subject for e in inbox[person]] == ["[TKT-000001] New ticket: Invoice shows the wrong address"]
    assert "http://example.test/support/admin/tickets/TKT-000001" in inbox[sam][0].text
    assert "http://example.test/support/tickets/TKT-000001" in inbox[casey][0].text

    # Sam, of the site's support team, answers from the helpdesk's queue.
    staff = example.test_client()
    assert example_login(staff, "staff").status_code == 302
    assert staff.get("/support/tickets").location == "/support/admin/tickets"
    queue = staff.get("/support/admin/tickets").get_data(as_text=True)
    assert "Invoice shows the wrong address" in queue
    assert re.search(r'aria-label="Helpdesk">.*href="/support/admin/tickets"', queue, re.S)
    detail = staff.get("/support/admin/tickets/TKT-000001").get_data(as_text=True)
    replied = staff.post(
        "/support/admin/tickets/TKT-000001/reply",
        data={"body": "Fixed: the next invoice has the new street.", "csrf_token": csrf_from(detail)},
    )
    assert replied.status_code == 303

    deliver(example)
    inbox = _mail_by_recipient(smtp)
    assert len(inbox[casey]) == 2
    reply_mail = inbox[casey][1]
    assert reply_mail.subject.startswith("[TKT-000001]") and "Answered" in reply_mail.subject
    assert "Fixed: the next invoice has the new street." in reply_mail.text
    # Both of Casey's emails thread under the ticket (Message-ID domain: TICKETS_BASE_URL's host).
    assert reply_mail.header("In-Reply-To") == inbox[casey][0].header("In-Reply-To")
    assert reply_mail.header("In-Reply-To").endswith("@example.test>")

    # Casey reads the answer and closes the ticket.
    ticket_page = customer.get("/support/tickets/TKT-000001").get_data(as_text=True)
    assert "Fixed: the next invoice has the new street." in ticket_page and "Answered" in ticket_page
    closed = customer.post("/support/tickets/TKT-000001/close", data={"csrf_token": csrf_from(ticket_page)})
    assert closed.status_code == 303
    assert "Closed" in customer.get("/support/tickets/TKT-000001").get_data(as_text=True)

    deliver(example)
    inbox = _mail_by_recipient(smtp)
    assert inbox[sam][-1].subject == "[TKT-000001] Closed: Invoice shows the wrong address"
    assert len(inbox[casey]) == 2, "nobody is emailed about their own action"

    # The helpdesk knows the three people by the site's ids, and holds no password.
    with example.app_context():
        from examples.host_app.models import User, db
        from xobito_tickets.models import User as Person

        site_ids = {u.email: str(u.id) for u in db.session.scalars(sa.select(User))}
        people = db.session.scalars(sa.select(Person).order_by(Person.email)).all()
        assert {(p.email, p.external_id, p.role) for p in people} == {
            (casey, site_ids[casey], "customer"),
            (sam, site_ids[sam], "staff"),
            (morgan, site_ids[morgan], "admin"),
        }
        assert all(p.password_hash is None for p in people)


def test_the_site_pages_and_the_helpdesk_share_one_login_and_logout(example):
    client = example.test_client()
    example_login(client, "customer")
    page = client.get("/support/tickets").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert client.get("/support/tickets").location == "/login?next=%2Fsupport%2Ftickets"


def test_staff_exist_in_departments_before_their_first_login(example):
    """prepare_database ran `sync-users`: Sam and Morgan are in General though neither logged in."""
    with example.app_context():
        from xobito_tickets.db import session
        from xobito_tickets.models import Department

        general = session.scalar(sa.select(Department).where(Department.name == "General"))
        assert sorted(m.email for m in general.members) == [EXAMPLE_LOGINS["admin"], EXAMPLE_LOGINS["staff"]]
