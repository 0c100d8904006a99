"""Fixtures of the staff-side suite: the conftest world plus a ticket desk, and state snapshots."""

import html
import io
import re
import shutil
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from xobito_tickets import create_app
from xobito_tickets.db import metadata, session
from xobito_tickets.models import Attachment, Department, Priority, Role, Tenant, Ticket, User
from xobito_tickets.team.services import create_user
from xobito_tickets.tickets.services import assign_ticket, close_ticket, open_ticket
from xobito_tickets.tickets.uploads import UploadedFile

from ..conftest import PASSWORD, TEST_SETTINGS, World, snapshot, storage_files  # noqa: F401 (re-exported)


class Desk:
    """What the staff side needs on top of the conftest world.

    Alex is staff in no department, assigned to both tickets; Dora is a deactivated
    customer. TKT-000001 (Support, Carla's, open, a text file attached) and
    TKT-000002 (Support, Carla's, closed) are both assigned to Alex.
    """

    def __init__(self, app, world):
        self.app = app
        self.world = world
        with app.test_request_context():
            acme = session.get(Tenant, world.acme_id)
            alex = create_user(acme, "alex@acme.test", "Alex Assigned", Role.STAFF, PASSWORD)
            dora = create_user(acme, "dora@acme.test", "Dora Dormant", Role.CUSTOMER, PASSWORD)
            dora.active = False
            session.commit()
            self.alex_id, self.dora_id = alex.id, dora.id
            carla = session.get(User, world.customer_id)
            support = session.get(Department, world.support_id)
            admin = session.get(User, world.admin_id)
            note = b"printer log\nerror 42\n"
            one = open_ticket(
                acme,
                carla,
                support,
                "Printer on fire",
                "It is on fire.",
                files=[UploadedFile("log.txt", "text/plain", io.BytesIO(note), len(note))],
            )
            assign_ticket(one, admin, support, session.get(User, self.alex_id))
            two = open_ticket(acme, carla, support, "Old question", "Answered long ago.", priority=Priority.LOW)
            assign_ticket(two, admin, support, session.get(User, self.alex_id))
            close_ticket(two, carla)
            self.open_number, self.closed_number = one.display_number, two.display_number
            self.attachment_id = one_attachment(one.id)

    def values(self):
        """Return the ids and numbers of the desk (what the tests use)."""
        return {k: v for k, v in vars(self).items() if k not in ("app", "world")}


def one_attachment(ticket_id):
    """Return the id of the (first) attachment of a ticket."""
    return session.scalar(sa.select(Attachment.id).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id))


def _template_app(path, storage):
    return create_app(
        {
            **TEST_SETTINGS,
            "TESTING": True,
            "SECRET_KEY": "template",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "TICKETS_STORAGE_ROOT": str(storage),
            "MAIL_SUPPRESS_SEND": True,
            "TICKETS_BASE_URL": "http://helpdesk.test",
        }
    )


def _close(app):
    with app.app_context():
        session.remove()
        app.extensions["sqlalchemy"].engine.dispose()  # the last close folds the WAL into the file


@pytest.fixture(scope="session")
def staff_templates(tmp_path_factory):
    """SQLite files (and storage folders) built once: the world, and the world with the desk.

    Each test gets its own copy (a real SQLite file and real stored files), which is
    much cheaper than building two tenants, nine people and two tickets 400 times.
    """
    folder = tmp_path_factory.mktemp("staff-templates")
    world_path, world_storage = folder / "world.sqlite", folder / "world-storage"
    app = _template_app(world_path, world_storage)
    with app.app_context():
        metadata.create_all(app.extensions["sqlalchemy"].engine)
    world = World(app)
    _close(app)
    desk_path, desk_storage = folder / "desk.sqlite", folder / "desk-storage"
    shutil.copyfile(world_path, desk_path)
    app = _template_app(desk_path, desk_storage)
    desk = Desk(app, world)
    _close(app)
    world_ids = {name: value for name, value in vars(world).items() if name.endswith("_id")}
    return {
        "world": (world_path, world_storage),
        "desk": (desk_path, desk_storage),
        "world_ids": world_ids,
        "desk_values": desk.values(),
    }


@pytest.fixture
def app(request, app_config, postgres_databases, staff_templates):
    """The app over a copy of a staff template (SQLite), or the shared fixture's database elsewhere."""
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    if postgres_databases is not None or not url.startswith("sqlite:///"):
        yield request.getfixturevalue("app")
        return
    template = "desk" if "desk" in request.fixturenames else "world"
    path, storage = staff_templates[template]
    shutil.copyfile(path, url[len("sqlite:///") :])
    if storage.exists():
        shutil.copytree(storage, app_config["TICKETS_STORAGE_ROOT"])
    app = create_app(app_config)
    app.extensions["xobito_tickets_staff_template"] = template
    yield app
    _close(app)


@pytest.fixture
def world(request, app, staff_templates):
    """The conftest ``World``: its ids from the template when the app is a copy of one."""
    if app.extensions.get("xobito_tickets_staff_template"):
        return SimpleNamespace(app=app, **staff_templates["world_ids"])
    return request.getfixturevalue("world")


@pytest.fixture
def desk(app, world, staff_templates):
    """The :class:`Desk`: from the template when the app is a copy of it."""
    if app.extensions.get("xobito_tickets_staff_template") == "desk":
        return SimpleNamespace(app=app, world=world, **staff_templates["desk_values"])
    return Desk(app, world)


def login(client, email, tenant="acme"):
    """Log ``email`` in through the login form; return the client."""
    response = client.post(f"/{tenant}/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def ticket_row(app, number, tenant="acme"):
    """Return the ticket numbered ``number`` (detached, attributes loaded)."""
    with app.app_context():
        ticket = session.scalar(
            sa.select(Ticket)
            .join(Tenant, Tenant.id == Ticket.tenant_id)
            .where(Tenant.slug == tenant, Ticket.number == int(number[4:]))
        )
        session.expunge(ticket)
        return ticket


def text_of(response):
    """Return the visible text of an HTML response: tags removed, whitespace collapsed."""
    page = response.get_data(as_text=True)
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def field_error(response, field):
    """Return the error text shown next to form field ``field``, or None."""
    match = re.search(rf'id="{field}-error"[^>]*>([^<]*)</p>', response.get_data(as_text=True))
    return html.unescape(match.group(1)) if match else None
