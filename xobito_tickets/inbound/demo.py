"""Demo data of inbound email: the inbound log's first entries, through the real ingest.

Only messages that change no ticket (a quarantined stranger, an ignored auto-reply): the
demo's tickets stay as the demo story wrote them. Answering by email is shown live with
the development mailbox's "Reply to this email" button.
"""

from email.message import EmailMessage

from .ingest import ingest
from .settings import inbound_token

_STRANGER = "Hi, please add me to ticket TKT-000001, I work with the customer.\n\n-- \nMallory"
_VACATION = "I am out of the office until Monday and will answer your message then."


def _message(sender, subject, body, message_id, **headers):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "demo@inbound.invalid"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def seed_inbound_demo(tenant, customer_email):
    """Make the workspace's inbound token; log a quarantined stranger and an ignored auto-reply."""
    inbound_token(tenant)
    stranger = _message(
        "Mallory <mallory@example.invalid>", "Re: [TKT-000001] access", _STRANGER, "<demo-inbound-1@mail.invalid>"
    )
    ingest(tenant, stranger, "demo")
    vacation = _message(
        customer_email,
        "Automatic reply: [TKT-000001]",
        _VACATION,
        "<demo-inbound-2@mail.invalid>",
        **{"Auto-Submitted": "auto-replied"},
    )
    ingest(tenant, vacation, "demo")
