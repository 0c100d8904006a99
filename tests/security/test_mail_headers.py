"""Email header injection and poisoned links (SPEC §8, §13): a CR/LF (or any other line
separator) in a subject, a person's or department's name, a workspace name or a file name
must never start a header of its own (a Bcc to the attacker, a forged Reply-To), and links
come from TICKETS_BASE_URL, never from the request's Host header. Every email here goes
through a real SMTP server on loopback and is parsed as a mail client would."""

import re

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, OutboxEmail, Tenant, User

from ..mail.conftest import deliver, extract_emails, sending_config
from .conftest import PNG, snapshot

#: Every way to end a line that some parser, somewhere, honours.
BREAKS = ["\r\n", "\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]

#: The headers a notification may carry; anything else was injected.
ALLOWED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "auto-submitted",
    "x-auto-response-suppress",
}


@pytest.fixture
def app_config(app_config, smtp_server):
    app_config.update(sending_config(smtp_server))
    return app_config


def assert_headers_clean(emails, expected_recipients=None):
    """No email has an injected header, a line break in a header, or a recipient it should not have."""
    assert emails, "no email was delivered"
    for email in emails:
        names = {name.lower() for name in email.message.keys()}
        assert names <= ALLOWED_HEADERS, f"unexpected headers {names - ALLOWED_HEADERS} in {email!r}"
        for name, value in email.message.items():
            text = str(value)
            assert not re.search("[\r\n\u2028\u2029\x85\x0b\x0c]", text), f"line break in {name}: {text!r}"
        # The payload may show as text in a subject or a display name, never as an address.
        assert [a.addr_spec for a in email.message["From"].addresses] == ["helpdesk@helpdesk.test"]
        assert len(email.envelope_to) == 1
        assert not any("evil.test" in rcpt for rcpt in email.envelope_to)
        if expected_recipients is not None:
            assert email.envelope_to[0] in expected_recipients
        # The one To address is the envelope recipient: nothing was smuggled into the To header.
        assert [a.addr_spec for a in email.message["To"].addresses] == email.envelope_to


def rename(app, model, row_id, **values):
    """Write a raw value, as a host's user sync or an old row could hold it."""
    with app.app_context():
        row = session.get(model, row_id)
        for key, value in values.items():
            setattr(row, key, value)
        session.commit()
        session.remove()


def injected(text, line_break):
    return f"{text}{line_break}Bcc: thief@evil.test{line_break}Reply-To: thief@evil.test"


@pytest.mark.parametrize("line_break", BREAKS, ids=[repr(b) for b in BREAKS])
def test_subject_cannot_inject_headers(app, world, make, smtp_server, line_break):
    """Header injection through a ticket subject stored with a line break (the form strips them; a service
    caller might not)."""
    make.ticket(subject=injected("Printer on fire", line_break))
    deliver(app)
    emails = extract_emails(smtp_server)
    assert_headers_clean(emails, {"carla@acme.test", "sam@acme.test", "ada@acme.test"})
    assert any("Printer on fire" in e.subject for e in emails)


def test_subject_typed_in_the_form_arrives_on_one_line(app, world, login_as, smtp_server):
    """Header injection through the create form: CR/LF typed into the subject never reach a header."""
    carla = login_as("carla@acme.test")
    response = carla.post(
        "/acme/tickets/store",
        data={"subject": injected("Form subject", "\r\n"), "department": world.support_id, "body": "Body"},
    )
    assert response.status_code == 303
    deliver(app)
    emails = extract_emails(smtp_server)
    assert_headers_clean(emails)
    assert all("\n" not in e.subject for e in emails)


@pytest.mark.parametrize("line_break", ["\r\n", "\n", "\u2028"], ids=["crlf", "lf", "u2028"])
def test_names_cannot_inject_headers(app, world, make, smtp_server, line_break):
    """Header injection through people's names (To display names, "New reply from …" subjects)."""
    rename(app, User, world.customer_id, name=injected("Carla", line_break))
    rename(app, User, world.staff_id, name=injected("Sam", line_break))
    rename(app, User, world.admin_id, name='Ada "Admin", <ada@evil.test>')
    ticket = make.ticket()
    make.reply(ticket.number, world.customer_id, body="Customer follow-up")
    make.reply(ticket.number, world.staff_id, body="Staff answer here")
    deliver(app)
    assert_headers_clean(extract_emails(smtp_server), {"carla@acme.test", "sam@acme.test", "ada@acme.test"})


@pytest.mark.parametrize("line_break", ["\r\n", "\u2029"], ids=["crlf", "u2029"])
def test_department_and_workspace_names_cannot_inject_headers(app, world, make, smtp_server, line_break):
    """Header injection through a department name (assignment subjects) and the workspace name (From)."""
    rename(app, Department, world.billing_id, name=injected("Billing", line_break))
    rename(app, Tenant, world.acme_id, name=injected("Acme", line_break))
    ticket = make.ticket()
    with app.app_context():
        from xobito_tickets.models import Ticket
        from xobito_tickets.tickets.services import assign_ticket

        assign_ticket(
            session.get(Ticket, ticket.id),
            session.get(User, world.admin_id),
            session.get(Department, world.billing_id),
            None,
        )
        session.remove()
    deliver(app)
    emails = extract_emails(smtp_server)
    assert_headers_clean(emails)
    assert any("bea@acme.test" in e.envelope_to for e in emails), "the department's member was not told"


def test_file_names_cannot_inject_headers(app, world, make, smtp_server):
    """Header injection through an attachment's name: it is listed in the body only, on one line."""
    make.ticket(files=[(injected("shot", "\r\n") + ".png", "image/png", PNG)])
    deliver(app)
    assert_headers_clean(extract_emails(smtp_server))


@pytest.mark.parametrize("line_break", ["\r\n", "\n", "\u2028"], ids=["crlf", "lf", "u2028"])
def test_registration_never_stores_a_line_break_in_a_name(app, world, client, line_break):
    """Header injection at the source: a sign-up name with a line break is folded to one line or refused."""
    before = snapshot(app)
    response = client.post(
        "/acme/register",
        data={"name": injected("Mallory", line_break), "email": "mallory@example.com", "password": "mallory-pass-1"},
    )
    # Sign-up answers the same page for every address and confirms by email (200), or refuses (422).
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert snapshot(app) == before
        return
    with app.app_context():
        stored = session.scalar(sa.select(User.name).where(User.email == "mallory@example.com"))
        session.remove()
    assert stored is None or not re.search("[\r\n\u2028\u2029]", stored), repr(stored)


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.test"},
        {"X-Forwarded-Host": "evil.test", "X-Forwarded-Proto": "https"},
        {"Host": "evil.test", "Forwarded": "host=evil.test"},
    ],
    ids=["host", "x-forwarded-host", "forwarded"],
)
def test_links_in_emails_ignore_the_request_host(app, world, login_as, smtp_server, headers):
    """Link poisoning: a request with a forged Host sends emails whose links still point at TICKETS_BASE_URL."""
    carla = login_as("carla@acme.test")
    # The browser sends its cookie to whatever host it believes it is talking to.
    carla.set_cookie("session", carla.get_cookie("session").value, domain="evil.test")
    response = carla.post(
        "/acme/tickets/store",
        data={"subject": "Links", "department": world.support_id, "body": "Check the links"},
        headers=headers,
    )
    assert response.status_code == 303
    deliver(app)
    for email in extract_emails(smtp_server):
        for body in (email.text, email.html):
            assert "evil.test" not in body
            links = re.findall(r"https?://[^\s\"'<>]+", body)
            assert links and all(link.startswith("http://helpdesk.test/") for link in links), links


def test_password_reset_link_ignores_the_request_host(app, world, client, smtp_server):
    """Password-reset poisoning: a forged Host cannot make the reset link point at the attacker's site."""
    response = client.post(
        "/acme/password/forgot",
        data={"email": "carla@acme.test"},
        headers={"Host": "evil.test", "X-Forwarded-Host": "evil.test"},
    )
    assert response.status_code in (200, 302, 303)
    deliver(app)
    [email] = extract_emails(smtp_server)
    assert "evil.test" not in email.text and "evil.test" not in email.html
    assert "http://helpdesk.test/acme/password/reset/" in email.text
    assert_headers_clean([email], {"carla@acme.test"})


def test_assignment_is_not_mailed_to_the_customer(app, world, make, smtp_server):
    """Staff-only data by email: routing a ticket between agents tells the agents, never the customer."""
    ticket = make.ticket()
    with app.app_context():
        session.execute(sa.delete(OutboxEmail))
        session.commit()
        from xobito_tickets.models import Ticket
        from xobito_tickets.tickets.services import assign_ticket

        assign_ticket(
            session.get(Ticket, ticket.id),
            session.get(User, world.admin_id),
            session.get(Department, world.support_id),
            session.get(User, world.staff_id),
        )
        session.remove()
    deliver(app)
    emails = extract_emails(smtp_server)
    assert emails and all("carla@acme.test" not in e.envelope_to for e in emails)
