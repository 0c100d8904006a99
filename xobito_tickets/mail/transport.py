"""Where composed messages go: an SMTP server (Flask-Mail), or ``.eml`` files for development.

``TICKETS_MAIL_TRANSPORT = "auto"`` (the default) picks SMTP when ``MAIL_SERVER`` is
set and files otherwise, so the demo works without a mail server while a real
deployment only has to set ``MAIL_SERVER``.
"""

import os
import secrets
import smtplib
from datetime import UTC, datetime

import flask_mail
from flask import current_app


class TransportError(Exception):
    """Sending failed. ``permanent``: retrying cannot help; ``connect_failed``: nothing got through."""

    def __init__(self, message, permanent=False, connect_failed=False):
        super().__init__(message)
        self.permanent = permanent
        self.connect_failed = connect_failed


def transport_name(app=None):
    """Return ``"smtp"`` or ``"file"``: where this app's emails go."""
    app = app or current_app
    choice = app.config.get("TICKETS_MAIL_TRANSPORT", "auto")
    if choice == "auto":
        return "smtp" if app.config.get("MAIL_SERVER") else "file"
    if choice not in ("smtp", "file"):
        raise RuntimeError(f"TICKETS_MAIL_TRANSPORT must be 'auto', 'smtp' or 'file', not {choice!r}.")
    return choice


def mail_directory(app=None):
    """Return the folder of the file transport (TICKETS_MAIL_FILE_DIR, relative to the instance folder)."""
    app = app or current_app
    return os.path.join(app.instance_path, app.config.get("TICKETS_MAIL_FILE_DIR") or "mail")


def open_transport(app=None):
    """Return a new transport for the current app; close it when done."""
    app = app or current_app
    if transport_name(app) == "smtp":
        return SMTPTransport(app)
    return FileTransport(app)


class _Connection(flask_mail.Connection):
    """Flask-Mail's connection, with a socket timeout so a hung server cannot hold a claimed row forever."""

    def __init__(self, mail, timeout):
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self):
        mail = self.mail
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=self.timeout)
        host.set_debuglevel(int(mail.debug))
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host

    def close(self):
        """Say QUIT if the server still listens; never raise."""
        host, self.host = self.host, None
        if host is None:
            return
        try:
            host.quit()
        except (OSError, smtplib.SMTPException):
            host.close()


def _is_permanent(exc):
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False


class SMTPTransport:
    """Send through the app's Flask-Mail settings, one connection for many messages."""

    def __init__(self, app):
        self.app = app
        self.mail = app.extensions["mail"]
        self.timeout = app.config.get("TICKETS_MAIL_SMTP_TIMEOUT", 30)
        self.connection = None
        self.sent_on_connection = 0

    def _connect(self):
        connection = _Connection(self.mail, self.timeout)
        try:
            connection.__enter__()
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(
                f"cannot connect to the SMTP server {self.mail.server}:{self.mail.port}: {exc}",
                connect_failed=True,
            ) from exc
        self.connection = connection
        self.sent_on_connection = 0

    def send(self, message, job):
        """Send ``message``; raise TransportError on failure."""
        if self.connection is None:
            self._connect()
        try:
            try:
                self.connection.send(message)
            except smtplib.SMTPServerDisconnected:
                if not self.sent_on_connection:
                    raise
                # The server hung up on a connection we reused (an idle timeout, or a
                # limit of messages per connection); that shows at MAIL FROM, before
                # the message went out, so one fresh connection is safe.
                self.close()
                self._connect()
                self.connection.send(message)
            self.sent_on_connection += 1
        except flask_mail.BadHeaderError as exc:
            raise TransportError("a header value contains a line break", permanent=True) from exc
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            # The server answered and stays usable (smtplib sent RSET).
            raise TransportError(f"refused by the SMTP server: {exc}", permanent=_is_permanent(exc)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TransportError(f"the SMTP conversation failed: {exc}") from exc

    def close(self):
        """Close the connection, if open."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class FileTransport:
    """Write each message as an ``.eml`` file (the development default: no mail server needed)."""

    def __init__(self, app):
        self.app = app
        self.directory = mail_directory(app)
        self.suppress = app.extensions["mail"].suppress

    def send(self, message, job):
        """Write ``message`` to ``<instance>/mail/<time>-<id>.eml``."""
        if message.has_bad_headers():
            raise TransportError("a header value contains a line break", permanent=True)
        data = message.as_bytes()
        if not self.suppress:
            try:
                os.makedirs(self.directory, exist_ok=True)
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
                name = f"{stamp}-{job.id}-{secrets.token_hex(3)}.eml"
                temporary = os.path.join(self.directory, f".{name}.tmp")
                with open(temporary, "wb") as handle:
                    handle.write(data)
                # A reader of the folder never sees half a file.
                os.replace(temporary, os.path.join(self.directory, name))
            except OSError as exc:
                raise TransportError(f"cannot write to {self.directory}: {exc}") from exc
        flask_mail.email_dispatched.send(self.app, message=message)

    def close(self):
        """Nothing to close."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
