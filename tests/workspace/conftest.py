"""Fixtures of the workspace suite: the staff desk (tests/staff) and, for email tests, a real SMTP server."""

import pytest

from ..mail.conftest import deliver, extract_emails, sending_config, smtp_server
from ..staff.conftest import app, desk, field_error, login, snapshot, staff_templates, text_of, ticket_row, world

__all__ = [
    "app",
    "desk",
    "field_error",
    "login",
    "smtp_server",
    "snapshot",
    "staff_templates",
    "text_of",
    "ticket_row",
    "world",
]


@pytest.fixture
def mailbox(app_config, smtp_server):
    """Send the app's outbox to a real SMTP server: ``mailbox.new()`` delivers and returns the new emails."""
    app_config.update(sending_config(smtp_server))

    class Mailbox:
        app = None

        def new(self):
            """Run the outbox worker once; return the emails it sent."""
            before = len(smtp_server.received)
            stats = deliver(self.app)
            assert stats.failed == 0 and stats.retried == 0, stats.errors
            return extract_emails(smtp_server)[before:]

    return Mailbox()


@pytest.fixture
def inbox(mailbox, app, desk):
    """The mailbox bound to the app, with the desk's creation emails already delivered.

    Ask for it before ``app`` and ``client`` (first argument): the SMTP settings must be in
    ``app_config`` before the app is made.
    """
    assert not app.config["MAIL_SUPPRESS_SEND"], "request `inbox` before `app` and `client`"
    mailbox.app = app
    mailbox.new()
    return mailbox
