"""Polling the tenants' IMAP mailboxes (over TLS); a message is flagged only after ingest committed.

Unseen messages are read with ``BODY.PEEK[]`` (reading does not mark them), ingested one by
one, and marked ``\\Seen`` only when ingest returned: its change (or its log row) is
committed by then. A temporary failure leaves the message unseen for the next pass; a
crash between commit and flag makes the next pass see the message again, and the
Message-ID rule ("once") turns it into a no-op that is then flagged.
"""

import imaplib
import ssl
import time
from dataclasses import dataclass, field

from flask import current_app

from ..db import session
from ..jobs import job
from ..models import Tenant
from .ingest import TemporaryFailure, ingest
from .settings import mailbox_tenants

#: Messages taken from one mailbox per pass.
BATCH = 200


@dataclass
class FetchStats:
    """Counts of one pass over the mailboxes."""

    handled: int = 0
    retried: int = 0
    errors: list[str] = field(default_factory=list)


def _ssl_context():
    cafile = current_app.config.get("TICKETS_INBOUND_IMAP_CAFILE")
    return ssl.create_default_context(cafile=cafile or None)


def _connect(settings):
    timeout = current_app.config["TICKETS_INBOUND_IMAP_TIMEOUT"]
    client = imaplib.IMAP4_SSL(settings.imap_host, settings.imap_port, ssl_context=_ssl_context(), timeout=timeout)
    client.login(settings.imap_user, settings.imap_password)
    return client


def _quoted(folder):
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_mailbox(tenant, settings, stats):
    """Ingest the unseen messages of one tenant's mailbox; flag each one after its commit."""
    client = _connect(settings)
    try:
        typ, _ = client.select(_quoted(settings.imap_folder or "INBOX"))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {settings.imap_folder!r}")
        typ, data = client.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split()[:BATCH] if typ == "OK" and data and data[0] else []
        for uid in uids:
            typ, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in parts or () if isinstance(part, tuple)), None)
            if typ != "OK" or raw is None:
                continue
            try:
                ingest(tenant, raw, "imap")
            except TemporaryFailure as exc:
                stats.retried += 1
                stats.errors.append(f"{tenant.slug}: {exc}")
                continue
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            stats.handled += 1
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def fetch_all(tenant_slug=None):
    """Run one pass over every configured mailbox (or one tenant's); return :class:`FetchStats`."""
    stats = FetchStats()
    work = []
    for settings in mailbox_tenants():
        tenant = session.get(Tenant, settings.tenant_id)
        if tenant is None or not tenant.active or (tenant_slug and tenant.slug != tenant_slug):
            continue
        work.append((tenant, settings))
    session.rollback()
    for tenant, settings in work:
        try:
            fetch_mailbox(tenant, settings, stats)
        except (TimeoutError, imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
            stats.errors.append(f"{tenant.slug}: {exc}")
            current_app.logger.warning("IMAP mailbox of %s: %s", tenant.slug, exc)
    return stats


@job("inbound-mail")
def fetch_inbound_mail(app):
    """Poll the IMAP mailboxes once every TICKETS_INBOUND_POLL_INTERVAL seconds; return the messages handled."""
    state = app.extensions["xobito_tickets"]
    now = time.monotonic()
    interval = app.config["TICKETS_INBOUND_POLL_INTERVAL"]
    if state.inbound_polled_at is not None and now - state.inbound_polled_at < interval:
        return 0
    state.inbound_polled_at = now
    return fetch_all().handled
