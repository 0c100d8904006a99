"""Every SPEC §8 event, delivered through a real SMTP server: who gets what, and what it says."""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, Ticket, User
from xobito_tickets.team.services import create_department
from xobito_tickets.tickets.services import (
    assign_ticket,
    change_priority,
    close_ticket,
    open_ticket,
    post_reply,
    reopen_ticket,
)

from ..conftest import PASSWORD
from .conftest import deliver, emails_to, extract_emails

CARLA = "carla@acme.test"
OSCAR = "oscar@acme.test"
SAM = "sam@acme.test"
BEA = "bea@acme.test"
ADA = "ada@acme.test"


class Desk:
    """Act through the services as the world's people; deliver the outbox to the SMTP server."""

    def __init__(self, app, world, smtp):
        self.app = app
        self.world = world
        self.smtp = smtp

    def user(self, email):
        return session.scalar(sa.select(User).where(User.email == email))

    def ticket(self, number=1):
        return session.scalar(sa.select(Ticket).where(Ticket.tenant_id == self.world.acme_id, Ticket.number == number))

    def open(self, subject="Printer on fire", body="It started smoking at 9.", department="support", by=CARLA):
        with self.app.app_context():
            tenant = session.get(Tenant, self.world.acme_id)
            dept = session.get(Department, getattr(self.world, f"{department}_id"))
            return open_ticket(tenant, self.user(by), dept, subject, body, priority=Priority.HIGH).number

    def reply(self, by, body, number=1):
        with self.app.app_context():
            post_reply(self.ticket(number), self.user(by), body)

    def close(self, by, number=1):
        with self.app.app_context():
            close_ticket(self.ticket(number), self.user(by))

    def reopen(self, by, number=1):
        with self.app.app_context():
            reopen_ticket(self.ticket(number), self.user(by))

    def assign(self, by, department="support", assignee=None, number=1):
        with self.app.app_context():
            dept = session.get(Department, getattr(self.world, f"{department}_id"))
            person = self.user(assignee) if assignee else None
            assign_ticket(self.ticket(number), self.user(by), dept, person)

    def deactivate(self, email):
        with self.app.app_context():
            self.user(email).active = False
            session.commit()

    def deliver(self):
        """Send what is queued; return the emails of this round."""
        before = len(self.smtp.received)
        stats = deliver(self.app)
        assert stats.failed == 0 and stats.retried == 0, stats.errors
        return extract_emails(self.smtp)[before:]


@pytest.fixture
def desk(app, world, smtp_server):
    return Desk(app, world, smtp_server)


def recipients(emails):
    return sorted(addr for e in emails for addr in e.envelope_to)


def staff_link(app, number="TKT-000001"):
    if "tickets.admin.ticket_detail" in app.view_functions:
        return f"http://helpdesk.test/acme/admin/tickets/{number}"
    return f"http://helpdesk.test/acme/tickets/{number}"


def test_new_ticket_tells_admins_and_department_and_sends_the_customer_a_receipt(desk, app):
    desk.open()
    emails = desk.deliver()
    # Ada (admin) and Sam (Support); not Bea (Billing), not Oscar (another customer).
    assert recipients(emails) == sorted([ADA, SAM, CARLA])
    assert len(emails) == 3

    (receipt,) = [e for e in emails if e.envelope_to == [CARLA]]
    assert receipt.subject == "[TKT-000001] We received your ticket: Printer on fire"
    assert receipt.to_address == CARLA and "Carla Customer" in receipt.to
    assert "It started smoking at 9." in receipt.text
    assert "http://helpdesk.test/acme/tickets/TKT-000001" in receipt.text
    assert 'href="http://helpdesk.test/acme/tickets/TKT-000001"' in receipt.html
    assert "It started smoking at 9." in receipt.html

    (notice,) = [e for e in emails if e.envelope_to == [SAM]]
    assert notice.subject == "[TKT-000001] New ticket: Printer on fire"
    assert "Carla Customer opened a new ticket in Support" in notice.text
    assert "Priority: High" in notice.text
    assert "It started smoking at 9." in notice.text
    assert staff_link(app) in notice.text
    assert notice.header("From").endswith("<helpdesk@helpdesk.test>") and "Acme Inc" in notice.header("From")


def test_staff_reply_that_answers_the_ticket_is_one_email_saying_both(desk):
    desk.open()
    desk.deliver()
    desk.reply(SAM, "Please unplug it and step away.")
    emails = desk.deliver()
    assert recipients(emails) == [CARLA]
    (email,) = emails
    assert email.subject == "[TKT-000001] New reply, now Answered: Printer on fire"
    assert "Sam Support replied to your ticket TKT-000001" in email.text
    assert "The ticket is now Answered (it was Open)." in email.text
    assert "Please unplug it and step away." in email.text
    assert "Please unplug it and step away." in email.html

    desk.reply(SAM, "Any news on the printer?")
    (again,) = desk.deliver()
    assert again.subject == "[TKT-000001] New reply: Printer on fire"
    assert "now Answered" not in again.text and "Any news on the printer?" in again.text


def test_customer_reply_goes_to_the_assignee_else_the_department_else_the_admins(desk, app, world):
    desk.open()
    desk.deliver()
    desk.reply(CARLA, "Now it beeps as well.")
    emails = desk.deliver()
    assert recipients(emails) == [SAM]  # no assignee: the Support department
    assert emails[0].subject == "[TKT-000001] New reply from Carla Customer: Printer on fire"
    assert "Now it beeps as well." in emails[0].text
    assert staff_link(app) in emails[0].text

    desk.assign(ADA, "support", BEA)
    desk.deliver()
    desk.reply(CARLA, "And now it is quiet again.")
    assert recipients(desk.deliver()) == [BEA]  # the assignee alone

    with app.app_context():
        world.empty_id = create_department(session.get(Tenant, world.acme_id), "Empty", "Nobody here").id
    number = desk.open(subject="Nobody home", department="support")
    desk.deliver()
    desk.assign(ADA, "empty", None, number=number)
    desk.deliver()
    desk.reply(CARLA, "Hello, anyone there?", number=number)
    assert recipients(desk.deliver()) == [ADA]  # no assignee, no members: the admins


def test_close_and_reopen_tell_the_other_party(desk):
    desk.open()
    desk.deliver()
    desk.close(CARLA)
    emails = desk.deliver()
    assert recipients(emails) == [SAM]
    assert emails[0].subject == "[TKT-000001] Closed: Printer on fire"
    assert "Carla Customer (the customer) closed ticket TKT-000001" in emails[0].text

    desk.reopen(SAM)
    emails = desk.deliver()
    assert recipients(emails) == [CARLA]
    assert emails[0].subject == "[TKT-000001] Reopened: Printer on fire"
    assert "Sam Support reopened your ticket TKT-000001" in emails[0].text

    desk.close(ADA)
    emails = desk.deliver()
    assert recipients(emails) == [CARLA]
    assert "Ada Admin closed your ticket TKT-000001" in emails[0].text
    assert "open a new ticket" in emails[0].text


def test_assignment_tells_the_new_assignee_or_the_new_department(desk, app):
    desk.open()
    desk.deliver()
    desk.assign(ADA, "support", SAM)
    emails = desk.deliver()
    assert recipients(emails) == [SAM]
    assert emails[0].subject == "[TKT-000001] Assigned to you: Printer on fire"
    assert "Ada Admin assigned ticket TKT-000001 to you." in emails[0].text
    assert staff_link(app) in emails[0].text

    desk.assign(ADA, "billing", None)
    emails = desk.deliver()
    assert recipients(emails) == [BEA]
    assert emails[0].subject == "[TKT-000001] Moved to Billing: Printer on fire"
    assert "moved ticket TKT-000001 to Billing (from Support)" in emails[0].text


def test_priority_changes_send_nothing(desk, app):
    desk.open()
    desk.deliver()
    with app.app_context():
        change_priority(desk.ticket(), desk.user(SAM), Priority.URGENT)
    assert desk.deliver() == []


def test_nobody_hears_about_their_own_action(desk):
    desk.open()
    desk.deliver()
    desk.assign(SAM, "support", SAM)  # taking it yourself
    assert desk.deliver() == []
    desk.reply(ADA, "Admin here, looking into it.")
    assert recipients(desk.deliver()) == [CARLA]  # not Ada herself
    desk.close(SAM)
    assert recipients(desk.deliver()) == [CARLA]  # not Sam
    # Staff who file a ticket themselves get the receipt, not also the staff notice.
    desk.open(subject="My own laptop", by=SAM)
    emails = desk.deliver()
    assert recipients(emails) == sorted([ADA, SAM])
    assert [e.subject for e in emails if e.envelope_to == [SAM]] == [
        "[TKT-000002] We received your ticket: My own laptop"
    ]
    # Closing it himself: Sam is its customer and Support's only member, so nobody is told.
    desk.close(SAM, number=2)
    assert desk.deliver() == []
    # Moving a ticket, unassigned, into one's own department tells its other members, not the
    # mover: Bea is Billing's only member, so nobody.
    desk.assign(BEA, "billing", None, number=2)
    assert desk.deliver() == []


def test_inactive_users_get_nothing(desk):
    desk.deactivate(SAM)
    desk.open()
    assert recipients(desk.deliver()) == sorted([ADA, CARLA])

    # Sam's department is empty of active people now: a customer reply reaches the admins.
    desk.reply(CARLA, "Still burning, please hurry.")
    assert recipients(desk.deliver()) == [ADA]

    desk.deactivate(CARLA)
    desk.reply(ADA, "The fire brigade is on its way.")
    assert desk.deliver() == []


def test_an_inactive_admin_listed_first_does_not_hide_the_department(desk):
    # The new-ticket notice goes to the admins, then the department's members: an inactive
    # admin is left out, and the members are still told.
    desk.deactivate(ADA)
    desk.open()
    assert recipients(desk.deliver()) == sorted([SAM, CARLA])


def test_a_deactivated_assignee_falls_back_to_the_department(desk):
    desk.open(department="billing")
    desk.deliver()
    desk.assign(ADA, "billing", SAM)
    desk.deliver()
    desk.deactivate(SAM)
    desk.reply(CARLA, "Is anyone on this?")
    assert recipients(desk.deliver()) == [BEA]


def test_customer_emails_show_no_staff_only_or_other_customers_data(desk):
    desk.open(by=OSCAR, subject="Oscar's secret problem", body="Oscar's private details")
    desk.open()
    desk.assign(ADA, "billing", BEA, number=2)
    desk.reply(CARLA, "Customer follow-up text.", number=2)
    desk.reply(SAM, "Staff answer text.", number=2)
    desk.close(SAM, number=2)
    desk.deliver()
    carla = emails_to(desk.smtp, CARLA)
    assert [e.subject.split("]")[0] for e in carla] == ["[TKT-000002"] * 3
    for email in carla:
        for part in (email.text, email.html, str(email.message)):
            assert "Oscar" not in part and "secret problem" not in part
            assert "Bea Billing" not in part  # the assignee is staff-only
            assert "Ada Admin" not in part  # who routed it is history
            assert "/admin/" not in part
            assert "Priority" not in part
            assert "Customer follow-up text." not in part  # no thread history, only the news


def test_user_text_is_escaped_in_html_and_kept_whole_in_text(desk):
    desk.open(subject="<script>alert(1)</script> & more", body='<img src=x onerror="alert(2)">\nline two')
    (receipt,) = [e for e in desk.deliver() if e.envelope_to == [CARLA]]
    assert "<script>" not in receipt.html and "&lt;script&gt;" in receipt.html
    assert "<img src=x" not in receipt.html and "&lt;img src=x" in receipt.html
    assert '<img src=x onerror="alert(2)">\nline two' in receipt.text
    assert receipt.subject == "[TKT-000001] We received your ticket: <script>alert(1)</script> & more"


def test_line_breaks_never_reach_a_header(desk, app, world):
    # The services are the API a host calls too: a subject or a department name with
    # CR/LF must not turn into extra headers or recipients.
    with app.app_context():
        create_department(session.get(Tenant, world.acme_id), "Ops\r\nBcc: mallory@evil.test", "x", members=[])
    desk.open(subject="Hello\r\nBcc: mallory@evil.test\r\nX-Injected: yes")
    with app.app_context():
        world.ops_id = session.scalar(sa.select(Department.id).where(Department.name.like("Ops%")))
        sam = desk.user(SAM)
        session.execute(
            sa.insert(Department.members.property.secondary).values(department_id=world.ops_id, user_id=sam.id)
        )
        session.commit()
    desk.assign(ADA, "ops", None)
    emails = desk.deliver()
    assert emails
    for email in emails:
        assert email.header("Bcc") is None and email.header("X-Injected") is None
        assert "mallory@evil.test" not in email.envelope_to
        assert "\n" not in email.subject and "\r" not in email.subject
    subjects = [e.subject for e in emails]
    assert "[TKT-000001] We received your ticket: Hello Bcc: mallory@evil.test X-Injected: yes" in subjects
    assert "[TKT-000001] Moved to Ops Bcc: mallory@evil.test: Hello Bcc: mallory@evil.test X-Injected: yes" in subjects


def test_links_use_the_configured_base_url_never_the_request_host(desk, client, world):
    evil = "http://evil.test"
    client.post("/acme/login", data={"email": CARLA, "password": PASSWORD}, base_url=evil)
    response = client.post(
        "/acme/tickets/store",
        data={"subject": "Via the web", "department": world.support_id, "priority": "low", "body": "Hi"},
        base_url=evil,
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/acme/tickets/TKT-000001")
    emails = desk.deliver()
    assert emails
    for email in emails:
        assert "evil.test" not in email.text and "evil.test" not in email.html
        assert "http://helpdesk.test/acme/" in email.text


def test_non_ascii_names_and_subjects_arrive_intact(desk, app, world):
    with app.app_context():
        carla = desk.user(CARLA)
        carla.name = "Zoë Müller-Łukasiewicz"
        session.commit()
    long_subject = "Drucker brennt – bitte schnell helfen, die Flammen erreichen schon das Regal mit den Ordnern"
    desk.open(subject=long_subject, body="Grüße aus Köln ✓")
    (receipt,) = [e for e in desk.deliver() if e.envelope_to == [CARLA]]
    assert receipt.subject == f"[TKT-000001] We received your ticket: {long_subject}"
    assert receipt.message["To"].addresses[0].display_name == "Zoë Müller-Łukasiewicz"
    assert "Hello Zoë Müller-Łukasiewicz," in receipt.text
    assert "Grüße aus Köln ✓" in receipt.text and "Grüße aus Köln ✓" in receipt.html


def test_a_reply_typed_as_one_long_line_stays_within_smtp_line_limits(desk):
    desk.open()
    desk.deliver()
    text = "word " * 399 + "end"
    desk.reply(SAM, text)
    (email,) = desk.deliver()
    raw = desk.smtp.received[-1][2]  # the bytes as they went over the wire
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert text in email.text
