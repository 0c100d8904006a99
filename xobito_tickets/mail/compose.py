"""Turn an outbox row into a Flask-Mail message: templates, sender, threading headers."""

from dataclasses import dataclass
from datetime import datetime
from email import charset, policy
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr

from flask import current_app, render_template
from flask_mail import Message

from ..i18n.dates import for_recipient
from .outbox import header_text, is_deliverable_address

TEMPLATE_DIR = "xobito_tickets/email"

#: How messages are written: CRLF line ends, headers folded only past SMTP's 998 limit.
SMTP_COMPAT32 = policy.compat32.clone(linesep="\r\n", max_line_length=998)


@dataclass(frozen=True)
class Job:
    """The parts of a claimed outbox row the worker needs, detached from the session."""

    id: int
    kind: str
    recipient_email: str
    recipient_name: str
    subject: str
    payload: dict
    message_id: str
    thread_id: str | None
    attempts: int
    claimed_at: datetime

    @classmethod
    def from_row(cls, row):
        """Copy a claimed :class:`~xobito_tickets.models.OutboxEmail`."""
        return cls(
            id=row.id,
            kind=row.kind,
            recipient_email=row.recipient_email,
            recipient_name=row.recipient_name,
            subject=row.subject,
            payload=dict(row.payload or {}),
            message_id=row.message_id,
            thread_id=row.thread_id,
            attempts=row.attempts,
            claimed_at=row.claimed_at,
        )


class NotificationMessage(Message):
    """Flask-Mail's message, adjusted for notifications.

    Text and HTML parts are quoted-printable: a 2000-character reply typed as one line
    would otherwise be a 2000-byte line, past SMTP's limit of 998. The message is
    written with the compat32 policy and CRLF line ends instead of Flask-Mail's
    ``policy.SMTP``: Flask-Mail already encodes every header it builds, the modern
    policy re-parses each header on output and takes twice as long, and its folding at
    78 characters moves a 70-character subject to a continuation line, which some
    clients then show with a leading space.
    """

    def _mimetext(self, text, subtype="plain"):
        utf8 = charset.Charset("utf-8")
        utf8.body_encoding = charset.QP
        return MIMEText(text, _subtype=subtype, _charset=utf8)

    def _message(self):
        message = super()._message()
        message.policy = SMTP_COMPAT32
        return message


class ComposeError(Exception):
    """The row cannot become an email (bad address, missing template); retrying will not help."""


def sender_address(display_name=None):
    """Return the From header: ``"Acme Inc" <helpdesk@…>`` from TICKETS_MAIL_SENDER or MAIL_DEFAULT_SENDER."""
    config = current_app.config
    configured = config.get("TICKETS_MAIL_SENDER") or config.get("MAIL_DEFAULT_SENDER") or "helpdesk@localhost"
    if isinstance(configured, tuple | list):
        name, address = configured
    else:
        name, address = parseaddr(configured)
    name = header_text(display_name or name, 120)
    if not is_deliverable_address(address):
        raise ComposeError(f"the sender address {address!r} is not usable; set TICKETS_MAIL_SENDER")
    # formataddr quotes names with commas or quotes, so they cannot split the header.
    return formataddr((name, address)) if name else address


def build_message(job):
    """Render ``job`` (a :class:`Job`) into a multipart text + HTML :class:`flask_mail.Message`."""
    if not is_deliverable_address(job.recipient_email):
        raise ComposeError("the recipient address is not usable")
    context = dict(job.payload)
    context["subject"] = header_text(job.subject, 500)
    # In the recipient's language and time zone (their profile's, when the row was queued).
    with for_recipient(job.payload.get("locale"), job.payload.get("timezone")):
        text = render_template(f"{TEMPLATE_DIR}/{job.kind}.txt", **context)
        html = render_template(f"{TEMPLATE_DIR}/{job.kind}.html", **context)
    headers = {
        # RFC 3834: tell auto-responders (vacation replies) not to answer a notification.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if job.thread_id:
        # Every email of a ticket points at the same root, so mail clients thread them.
        headers["In-Reply-To"] = job.thread_id
        headers["References"] = job.thread_id
    # A per-recipient answer address (inbound email), if a feature put one in the payload.
    reply_to = job.payload.get("reply_to")
    if reply_to and not is_deliverable_address(reply_to):
        raise ComposeError("the Reply-To address is not usable")
    message = NotificationMessage(
        subject=context["subject"],
        recipients=[(header_text(job.recipient_name, 200), job.recipient_email)],
        body=text,
        html=html,
        sender=sender_address(job.payload.get("tenant_name")),
        extra_headers=headers,
        reply_to=reply_to or None,
    )
    message.msgId = job.message_id
    if message.has_bad_headers():
        raise ComposeError("a header value contains a line break")
    return message
