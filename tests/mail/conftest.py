"""Fixtures of the mail suite: a real SMTP server (aiosmtpd) on loopback, started per test."""

import asyncio
import errno
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from xobito_tickets.mail.worker import OutboxWorker

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    """Return a loopback TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """The SMTP server's handler: keeps every message it accepted, in order."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        #: Seconds to wait before answering each RCPT (a slow server).
        self.rcpt_delay = 0.0
        #: Addresses answered with a permanent refusal (550).
        self.refuse = set()
        #: While True, every RCPT waits (a stalled server); ``waiting`` counts the stalled ones.
        self.hold = False
        self.waiting = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold:
            self.waiting += 1
            while self.hold:
                await asyncio.sleep(0.05)
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


class SMTPServer:
    """An aiosmtpd server on 127.0.0.1 that can be stopped and started again on the same port."""

    def __init__(self, port=None, idle_timeout=300):
        self.host = "127.0.0.1"
        #: A port of our choosing may be taken between choosing and binding it: then take another.
        self._port_chosen = port is None
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.controller = None
        #: Seconds of silence after which the server hangs up on a client.
        self.idle_timeout = idle_timeout

    def start(self):
        for attempt in range(5):
            # aiosmtpd gives the server 5 s to answer its first connection; a busy machine may need more.
            controller = Controller(
                self.mailbox, hostname=self.host, port=self.port, timeout=self.idle_timeout, ready_timeout=60
            )
            try:
                controller.start()
            except OSError as error:
                if error.errno != errno.EADDRINUSE or not self._port_chosen or attempt == 4:
                    raise
                self.port = free_port()
                continue
            self.controller = controller
            return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self):
        with self.mailbox.lock:
            return list(self.mailbox.received)


@dataclass
class Email:
    """One email as the SMTP server received it."""

    envelope_from: str
    envelope_to: list
    message: object

    @property
    def to(self):
        return str(self.message["To"])

    @property
    def to_address(self):
        return self.message["To"].addresses[0].addr_spec

    @property
    def subject(self):
        return str(self.message["Subject"])

    @property
    def text(self):
        return self.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")

    @property
    def html(self):
        return self.message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")

    def header(self, name):
        value = self.message[name]
        return None if value is None else str(value)

    def __repr__(self):
        return f"<Email to {self.envelope_to} {self.subject!r}>"


def extract_emails(server):
    """Return what ``server`` received as :class:`Email` objects, oldest first."""
    parser = BytesParser(policy=policy.default)
    return [Email(sender, rcpts, parser.parsebytes(data)) for sender, rcpts, data in server.received]


def emails_to(server, address):
    """Return the emails ``server`` received for ``address``."""
    return [e for e in extract_emails(server) if address in e.envelope_to]


@pytest.fixture
def smtp_server():
    """A real SMTP server on a loopback port, for this test."""
    server = SMTPServer().start()
    yield server
    server.stop()


def sending_config(server):
    """Return the config that sends the outbox through ``server`` (Flask-Mail, sending on, quick retries)."""
    return {
        "MAIL_SERVER": server.host,
        "MAIL_PORT": server.port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_DEFAULT_SENDER": "Helpdesk <helpdesk@helpdesk.test>",
        "TICKETS_MAIL_RETRY_BASE": 0,
        "TICKETS_MAIL_SMTP_TIMEOUT": 5,
    }


@pytest.fixture
def mail_config(smtp_server):
    """Config that sends through the test's SMTP server (Flask-Mail, sending on)."""
    return sending_config(smtp_server)


@pytest.fixture
def app_config(app_config, mail_config):
    app_config.update(mail_config)
    return app_config


def deliver(app):
    """Run the outbox worker once (like ``flask tickets send-mail --once``); return its stats."""
    with app.app_context():
        return OutboxWorker().run_once()


def flask_cli(database_url, *args, env=None, timeout=120, **popen):
    """Start ``flask --app wsgi ARGS`` in a subprocess against ``database_url``; return the Popen."""
    environ = dict(os.environ)
    environ.update(
        FLASK_SQLALCHEMY_DATABASE_URI=database_url,
        FLASK_SECRET_KEY="cli-test-secret",
        FLASK_TICKETS_BASE_URL="http://helpdesk.test",
        PYTHONPATH=ROOT + os.pathsep + environ.get("PYTHONPATH", ""),
    )
    environ.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def smtp_env(server, **extra):
    """Environment variables that point a subprocess's Flask-Mail at ``server``."""
    env = {
        "FLASK_MAIL_SERVER": server.host,
        "FLASK_MAIL_PORT": str(server.port),
        "FLASK_MAIL_SUPPRESS_SEND": "false",
        "FLASK_MAIL_DEFAULT_SENDER": "helpdesk@helpdesk.test",
    }
    env.update({f"FLASK_{key}": str(value) for key, value in extra.items()})
    return env
