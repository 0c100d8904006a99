"""Fixtures of the portal suite: logged-in clients, tickets made through the services, disk checks."""

import functools
import io
import os

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

import xobito_tickets.services
from xobito_tickets.db import session
from xobito_tickets.models import (
    Attachment,
    Department,
    LoginSession,
    OutboxEmail,
    Reply,
    Tenant,
    Ticket,
    TicketEvent,
    User,
)
from xobito_tickets.services import UploadedFile, open_ticket, post_reply

from ..conftest import PASSWORD


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Hash the fixture users' passwords with a low work factor, to keep the suite fast.

    Hashing and checking stay real (werkzeug); only the cost changes. The login suite
    has its own test with the default (scrypt) hash.
    """
    monkeypatch.setattr(
        xobito_tickets.services,
        "generate_password_hash",
        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"),
    )


def storage_files(app):
    """Return the set of files under the app's storage root (relative paths)."""
    root = app.config["TICKETS_STORAGE_ROOT"]
    found = set()
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            found.add(os.path.relpath(os.path.join(dirpath, name), root))
    return found


STATE_MODELS = (Tenant, User, Department, Ticket, Reply, Attachment, TicketEvent, OutboxEmail)


def snapshot(app):
    """Return what a change could touch: row counts, ticket states and files on disk."""
    with app.app_context():
        counts = {m.__name__: session.scalar(sa.select(sa.func.count()).select_from(m)) for m in STATE_MODELS}
        tickets = session.execute(
            sa.select(Ticket.tenant_id, Ticket.number, Ticket.status, Ticket.priority, Ticket.last_reply_at).order_by(
                Ticket.id
            )
        ).all()
    return {"counts": counts, "tickets": [tuple(t) for t in tickets], "files": storage_files(app)}


def upload(data, name):
    """Return a file part for :func:`post_multipart`."""
    return (data, name)


class Maker:
    """Create tickets and replies through the services, as the app would."""

    def __init__(self, app, world):
        self.app = app
        self.world = world

    def ticket(
        self,
        requester_id=None,
        department_id=None,
        subject="Printer on fire",
        body="It is on fire.",
        priority=2,
        files=(),
        tenant="acme",
    ):
        """Open a ticket and return its display number."""
        world = self.world
        if requester_id is None:
            requester_id = world.customer_id if tenant == "acme" else world.globex_customer_id
        if department_id is None:
            department_id = world.support_id if tenant == "acme" else world.globex_support_id
        with self.app.test_request_context():
            requester = session.get(User, requester_id)
            uploads = [UploadedFile(name, kind, io.BytesIO(data), len(data)) for name, kind, data in files]
            ticket = open_ticket(
                requester.tenant,
                requester,
                session.get(Department, department_id),
                subject,
                body,
                priority=priority,
                files=uploads,
            )
            return ticket.display_number

    def reply(self, number, author_id, body="Thanks, looking into it.", files=(), tenant="acme"):
        """Post a reply as ``author_id`` and return the reply id."""
        with self.app.test_request_context():
            author = session.get(User, author_id)
            ticket = self.get(number, tenant=tenant)
            uploads = [UploadedFile(name, kind, io.BytesIO(data), len(data)) for name, kind, data in files]
            return post_reply(ticket, author, body, files=uploads).id

    def get(self, number, tenant="acme"):
        """Return the ticket row (in the current app context)."""
        return session.scalar(
            sa.select(Ticket)
            .join(Tenant, Tenant.id == Ticket.tenant_id)
            .where(Tenant.slug == tenant, Ticket.number == int(number[4:]))
        )

    def ticket_state(self, number, tenant="acme"):
        """Return (status, number of replies, number of attachments) of a ticket."""
        with self.app.app_context():
            ticket = self.get(number, tenant)
            replies = session.scalar(sa.select(sa.func.count()).select_from(Reply).where(Reply.ticket_id == ticket.id))
            files = session.scalar(
                sa.select(sa.func.count()).select_from(Attachment).where(Attachment.ticket_id == ticket.id)
            )
            return ticket.status, replies, files

    def attachment_ids(self, number, tenant="acme"):
        """Return the attachment ids of a ticket, oldest first."""
        with self.app.app_context():
            ticket = self.get(number, tenant)
            return list(
                session.scalars(
                    sa.select(Attachment.id).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
                )
            )


@pytest.fixture
def make(app, world):
    return Maker(app, world)


@pytest.fixture
def customer(client, auth, world):
    """The test client, logged in as Carla, a customer of acme."""
    response = auth.login("carla@acme.test")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def live_sessions(app):
    """Return the number of server-side login sessions."""
    with app.app_context():
        return session.scalar(sa.select(sa.func.count()).select_from(LoginSession))


__all__ = ["PASSWORD", "live_sessions", "post_multipart", "snapshot", "storage_files", "upload"]


def post_multipart(client, url, data):
    """POST ``data`` as multipart/form-data encoded in memory.

    Values that are ``(bytes, filename)`` tuples become file parts. (The test client's
    own encoder spools large bodies to a temporary file it never closes.)
    """
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    fields = MultiDict()
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):
                content, name = item
                item = FileStorage(io.BytesIO(content), filename=name, content_type="application/octet-stream")
            fields.add(key, item)
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
