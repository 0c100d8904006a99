"""Merging tickets through real requests: what moves, what closes, where pages lead, and what is refused."""

import io

import sqlalchemy as sa

from xobito_tickets.cc.models import TicketCC
from xobito_tickets.db import session
from xobito_tickets.models import Attachment, Department, OutboxEmail, Reply, Tenant, Ticket, User
from xobito_tickets.tickets.services import open_ticket, post_reply
from xobito_tickets.tickets.uploads import UploadedFile

from ..prod.conftest import queue_counts_drift
from ..staff.conftest import field_error, login, snapshot, text_of
from .conftest import history_kinds, png_bytes, ticket_by_number

SAM, ADA, CARLA, OSCAR, BEA, ALEX = (
    "sam@acme.test",
    "ada@acme.test",
    "carla@acme.test",
    "oscar@acme.test",
    "bea@acme.test",
    "alex@acme.test",
)


def _open(app, world, by_id, department_id, subject, body, files=(), tenant_id=None):
    with app.test_request_context():
        tenant = session.get(Tenant, tenant_id or world.acme_id)
        ticket = open_ticket(
            tenant, session.get(User, by_id), session.get(Department, department_id), subject, body, files=files
        )
        return ticket.display_number


def _reply(app, number, by_id, body, files=()):
    with app.test_request_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == int(number[4:]), Ticket.tenant_id == 1))
        post_reply(ticket, session.get(User, by_id), body, files=files)


def _outbox_count(app):
    with app.app_context():
        return session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))


def test_merge_moves_messages_and_files_in_time_order(app, client, world, desk):
    image = png_bytes()
    source = _open(
        app,
        world,
        world.other_customer_id,
        world.support_id,
        "Printer smoking too",
        "Same printer, second floor.",
        files=[UploadedFile("smoke.png", "image/png", io.BytesIO(image), len(image))],
    )
    _reply(app, source, world.staff_id, "Looking into it.")
    _reply(app, desk.open_number, world.customer_id, "Any news?")
    sent_before = _outbox_count(app)

    login(client, SAM)
    response = client.post(f"/acme/admin/tickets/{source}/merge", data={"into": desk.open_number})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/acme/admin/tickets/{desk.open_number}")

    target = ticket_by_number(app, desk.open_number, world.acme_id)
    merged = ticket_by_number(app, source, world.acme_id)
    assert merged.status == "closed" and merged.merged_into_id == target.id
    with app.app_context():
        bodies = session.scalars(
            sa.select(Reply.body).where(Reply.ticket_id == target.id).order_by(Reply.created_at, Reply.id)
        ).all()
        assert bodies == ["Same printer, second floor.", "Looking into it.", "Any news?"]
        assert session.scalar(sa.select(sa.func.count()).select_from(Reply).where(Reply.ticket_id == merged.id)) == 0
        moved = session.scalar(sa.select(Attachment).where(Attachment.filename == "smoke.png"))
        assert moved.ticket_id == target.id and moved.reply_id is not None
        # Oscar, the source's customer, is now copied on the target.
        assert session.scalars(sa.select(TicketCC.email).where(TicketCC.ticket_id == target.id)).all() == [
            "oscar@acme.test"
        ]
    # No surprise emails: a merge writes nothing to the outbox.
    assert _outbox_count(app) == sent_before
    assert queue_counts_drift(app) == {}
    assert ("merged_into", None, desk.open_number) in history_kinds(app, merged.id)
    assert ("merged_from", None, source) in history_kinds(app, target.id)

    # The moved file downloads from the target, for staff and for the target's customer.
    download = client.get(f"/acme/admin/tickets/{desk.open_number}/download?attachment={moved.id}")
    assert download.status_code == 200 and download.data == image
    download.close()
    carla = app.test_client()
    login(carla, CARLA)
    download = carla.get(f"/acme/tickets/{desk.open_number}/download?attachment={moved.id}")
    assert download.data == image
    download.close()
    page = text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    assert "Same printer, second floor." in page and "Looking into it." in page


def test_a_merged_tickets_page_leads_to_the_target(app, client, world, desk):
    source = _open(app, world, world.customer_id, world.support_id, "Printer again", "Duplicate.")
    login(client, SAM)
    assert client.post(f"/acme/admin/tickets/{source}/merge", data={"into": desk.open_number}).status_code == 303
    response = client.get(f"/acme/admin/tickets/{source}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/acme/admin/tickets/{desk.open_number}")
    # Carla owns both tickets: her portal page leads there too.
    carla = app.test_client()
    login(carla, CARLA)
    portal = carla.get(f"/acme/tickets/{source}")
    assert portal.status_code == 302 and portal.headers["Location"].endswith(f"/acme/tickets/{desk.open_number}")


def test_a_customer_who_cannot_see_the_target_is_told_without_being_led_there(app, client, world, desk):
    source = _open(app, world, world.other_customer_id, world.support_id, "Printer again", "Duplicate.")
    login(client, SAM)
    assert client.post(f"/acme/admin/tickets/{source}/merge", data={"into": desk.open_number}).status_code == 303
    oscar = app.test_client()
    login(oscar, OSCAR)
    page = oscar.get(f"/acme/tickets/{source}")
    assert page.status_code == 200
    assert "merged" in text_of(page)
    assert oscar.get(f"/acme/tickets/{desk.open_number}").status_code == 404


def _refused(app, client, source, into, message):
    before = snapshot(app)
    response = client.post(f"/acme/admin/tickets/{source}/merge", data={"into": into})
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    error = field_error(response, "merge-into")
    assert error and message in error, error
    assert snapshot(app) == before


def test_refusals_change_nothing(app, client, world, desk):
    billing = _open(app, world, world.customer_id, world.billing_id, "Invoice", "Wrong total.")
    other_tenant = _open(
        app, world, world.globex_customer_id, world.globex_support_id, "Globex", "Hello.", tenant_id=world.globex_id
    )
    login(client, SAM)
    _refused(app, client, desk.open_number, desk.open_number, "itself")
    # Sam is not in Billing: that ticket is "not found" for him.
    _refused(app, client, desk.open_number, billing, "no ticket")
    # A number that exists only in another workspace.
    assert other_tenant == "TKT-000001"
    _refused(app, client, desk.closed_number, "TKT-999999", "no ticket")
    _refused(app, client, desk.open_number, "not a number", "no ticket")
    _refused(app, client, desk.open_number, "", "no ticket")
    # The source itself must be visible: Bea gets 404 and nothing changes.
    bea = app.test_client()
    login(bea, BEA)
    before = snapshot(app)
    assert bea.post(f"/acme/admin/tickets/{desk.open_number}/merge", data={"into": billing}).status_code == 404
    assert snapshot(app) == before
    # Customers and other workspaces' admins: 404.
    carla = app.test_client()
    login(carla, CARLA)
    assert (
        carla.post(f"/acme/admin/tickets/{desk.open_number}/merge", data={"into": desk.closed_number}).status_code
        == 404
    )
    gary = app.test_client()
    login(gary, "gary@globex.test", "globex")
    response = gary.post(f"/globex/admin/tickets/{other_tenant}/merge", data={"into": desk.closed_number})
    assert response.status_code == 422 and "no ticket" in field_error(response, "merge-into")
    assert snapshot(app) == before


def test_a_merged_ticket_cannot_be_merged_or_merged_into(app, client, world, desk):
    first = _open(app, world, world.customer_id, world.support_id, "One", "First.")
    second = _open(app, world, world.customer_id, world.support_id, "Two", "Second.")
    login(client, ADA)
    assert client.post(f"/acme/admin/tickets/{first}/merge", data={"into": desk.open_number}).status_code == 303
    _refused(app, client, second, first, "was itself merged")
    # The merged source redirects, so its merge form is reached through the service's own check.
    response = client.post(f"/acme/admin/tickets/{first}/merge", data={"into": second})
    assert response.status_code == 422
