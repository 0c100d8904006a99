"""Demo data of inbound email: a ticket opened by email and a quarantined message, through the real ingest."""

from email.message import EmailMessage

from .ingest import ingest
from .settings import inbound_token

_NEW_TICKET = (
    "I tried to answer your notification from my phone, is this the right place?\n"
    "The invoice PDF for November does not open on Android.\n\n"
    "Sent from my iPhone"
)
_STRANGER = "Hi, please add me to ticket TKT-000001, I work with the customer.\n\n-- \nMallory"


def _message(sender, subject, body, message_id):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "demo@inbound.invalid"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


def seed_inbound_demo(tenant, customer_email):
    """Make the workspace's inbound token, then ingest a customer's new ticket and a stranger's mail."""
    inbound_token(tenant)
    ingest(
        tenant,
        _message(customer_email, "Invoice PDF does not open", _NEW_TICKET, "<demo-inbound-1@mail.invalid>"),
        "demo",
    )
    ingest(
        tenant,
        _message(
            "Mallory <mallory@example.invalid>", "Re: [TKT-000001] access", _STRANGER, "<demo-inbound-2@mail.invalid>"
        ),
        "demo",
    )
