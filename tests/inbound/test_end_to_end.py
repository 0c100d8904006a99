"""End to end: a notification through the real SMTP server, answered from its Reply-To and Message-ID."""

from email.message import EmailMessage

import pytest

from xobito_tickets.db import session
from xobito_tickets.inbound.ingest import ingest
from xobito_tickets.inbound.models import SentMessageId
from xobito_tickets.models import Department, Tenant, User
from xobito_tickets.tickets.services import open_ticket, post_reply

from ..mail.conftest import deliver, emails_to, mail_config, smtp_server  # noqa: F401  (the real SMTP server's fixtures)
from .test_ingest import DOMAIN


@pytest.fixture
def app_config(app_config, mail_config):  # noqa: F811
    app_config.update(mail_config)
    app_config.update(TICKETS_INBOUND_DOMAIN=DOMAIN)
    return app_config


def answer(notification, sender, text):
    """Return the bytes a mail client sends when its user answers ``notification``."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = notification.header("Reply-To")
    message["Subject"] = "Re: " + notification.subject
    message["Message-ID"] = "<answer-1@client.example>"
    message["In-Reply-To"] = notification.header("Message-ID")
    message["References"] = f"{notification.header('References')} {notification.header('Message-ID')}"
    quoted = "\n".join("> " + line for line in notification.text.splitlines())
    message.set_content(f"{text}\n\nOn Mon, 7 Dec 2026 at 10:00, Helpdesk wrote:\n{quoted}\n")
    return message.as_bytes()


def test_a_customer_answers_a_notification_by_email_and_staff_are_notified(app, world, smtp_server, client, auth):  # noqa: F811
    with app.app_context():
        tenant = session.get(Tenant, world.acme_id)
        ticket = open_ticket(
            tenant, session.get(User, world.customer_id), session.get(Department, world.support_id),
            "Printer offline", "The printer on floor 2 is offline.",
        )  # fmt: skip
        post_reply(ticket, session.get(User, world.staff_id), "Please restart the spooler.")
    deliver(app)
    notification = emails_to(smtp_server, "carla@acme.test")[-1]
    reply_to = notification.header("Reply-To")
    assert reply_to.startswith("acme+t.") and reply_to.endswith("@" + DOMAIN)
    with app.app_context():
        recorded = session.get(SentMessageId, notification.header("Message-ID"))
        assert recorded is not None and recorded.recipient_email == "carla@acme.test"
    # The staff member's own notification carries a token of their own, never the customer's.
    staff_reply_to = {e.header("Reply-To") for e in emails_to(smtp_server, "sam@acme.test")}
    assert reply_to not in staff_reply_to

    raw = answer(notification, "Carla Customer <carla@acme.test>", "Restarted it, it prints again.")
    with app.app_context():
        result = ingest(session.get(Tenant, world.acme_id), raw, "stdin")
    assert (result.outcome, result.ticket_number) == ("reply", "TKT-000001")

    before = len(emails_to(smtp_server, "sam@acme.test"))
    deliver(app)
    to_staff = emails_to(smtp_server, "sam@acme.test")[before:]
    assert len(to_staff) == 1 and "Restarted it, it prints again." in to_staff[0].text
    # One thread in the mail client: the staff email points at the same root as the customer's.
    assert to_staff[0].header("In-Reply-To") == notification.header("In-Reply-To")

    auth.login("carla@acme.test")
    page = client.get("/acme/tickets/TKT-000001").get_data(as_text=True)
    assert "Restarted it, it prints again." in page
    assert "Helpdesk wrote" not in page and "Please restart the spooler." in page
