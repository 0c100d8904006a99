"""Every row of the lifecycle table (SPEC §4), driven through the pages staff and customers use."""

import io

import sqlalchemy as sa

from xobito_tickets import signals
from xobito_tickets.db import session
from xobito_tickets.models import Attachment, OutboxEmail, Reply, TicketEvent

from .conftest import login, snapshot, text_of, ticket_row


def _events(app, number):
    ticket = ticket_row(app, number)
    with app.app_context():
        return [
            (e.kind, e.old_value, e.new_value, e.actor.name if e.actor else None)
            for e in session.scalars(
                sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
            )
        ]


def _status(app, number):
    return ticket_row(app, number).status


def test_new_ticket_from_the_create_form_is_open(app, client, world):
    login(client, "carla@acme.test")
    response = client.post(
        "/acme/tickets/store",
        data={"subject": "Cannot print", "department": world.support_id, "priority": "high", "body": "Nothing prints."},
    )
    assert response.status_code == 303
    number = response.headers["Location"].rsplit("/", 1)[1]
    assert _status(app, number) == "open"
    assert _events(app, number) == [("created", None, "open", "Carla Customer")]


def test_staff_reply_to_open_ticket_answers_it(app, client, desk):
    sent = []
    with signals.reply_posted.connected_to(lambda sender, **kw: sent.append(kw), app):
        login(client, "sam@acme.test")
        response = client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "We are on it."})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/acme/admin/tickets/{desk.open_number}"
    assert _status(app, desk.open_number) == "answered"
    assert _events(app, desk.open_number)[-2:] == [
        ("replied", None, _events(app, desk.open_number)[-2][2], "Sam Support"),
        ("status", "open", "answered", "Sam Support"),
    ]
    assert [(kw["old_status"], kw["new_status"]) for kw in sent] == [("open", "answered")]
    page = text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    assert "We are on it." in page
    assert "Sam Support changed status Open → Answered · just now" in page
    # The customer is told, in one email that carries both the reply and the new status.
    with app.app_context():
        to_carla = session.scalars(sa.select(OutboxEmail).where(OutboxEmail.recipient_email == "carla@acme.test"))
        assert [m.kind for m in to_carla][-1:] == ["reply_posted"]


def test_staff_reply_to_answered_ticket_keeps_it_answered(app, client, desk):
    login(client, "sam@acme.test")
    client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "First answer."})
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Second answer."})
    assert response.status_code == 303
    assert _status(app, desk.open_number) == "answered"
    assert [e[0] for e in _events(app, desk.open_number)].count("status") == 1


def test_customer_reply_keeps_answered_and_keeps_open(app, client, desk):
    login(client, "carla@acme.test")
    client.post(f"/acme/tickets/{desk.open_number}/reply", data={"body": "Still burning."})
    assert _status(app, desk.open_number) == "open"
    login(client, "sam@acme.test")
    client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Extinguisher sent."})
    login(client, "carla@acme.test")
    response = client.post(f"/acme/tickets/{desk.open_number}/reply", data={"body": "Thanks, received."})
    assert response.status_code == 303
    assert _status(app, desk.open_number) == "answered"


def test_staff_close_and_customer_close(app, client, desk):
    login(client, "sam@acme.test")
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/close")
    assert response.status_code == 303
    assert _status(app, desk.open_number) == "closed"
    assert ticket_row(app, desk.open_number).closed_at is not None
    assert _events(app, desk.open_number)[-1] == ("status", "open", "closed", "Sam Support")

    # An answered ticket closed by its customer on the portal.
    login(client, "carla@acme.test")
    number = (
        client.post(
            "/acme/tickets/store", data={"subject": "Second", "department": desk.world.support_id, "body": "Hi"}
        )
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    login(client, "ada@acme.test")
    client.post(f"/acme/admin/tickets/{number}/reply", data={"body": "Answer here."})
    login(client, "carla@acme.test")
    assert client.post(f"/acme/tickets/{number}/close").status_code == 303
    assert _events(app, number)[-1] == ("status", "answered", "closed", "Carla Customer")


def test_reopen_closed_ticket_by_staff(app, client, desk):
    login(client, "alex@acme.test")
    response = client.post(f"/acme/admin/tickets/{desk.closed_number}/reopen")
    assert response.status_code == 303
    assert _status(app, desk.closed_number) == "open"
    assert ticket_row(app, desk.closed_number).closed_at is None
    assert _events(app, desk.closed_number)[-1] == ("status", "closed", "open", "Alex Assigned")
    assert "Alex Assigned changed status Closed → Open" in text_of(
        client.get(f"/acme/admin/tickets/{desk.closed_number}")
    )


def test_customers_cannot_reopen(app, client, desk):
    login(client, "carla@acme.test")
    before = snapshot(app)
    assert client.post(f"/acme/admin/tickets/{desk.closed_number}/reopen").status_code == 404
    assert client.post(f"/acme/tickets/{desk.closed_number}/reopen").status_code in (404, 405)
    assert snapshot(app) == before
    assert _status(app, desk.closed_number) == "closed"


def test_reopen_of_open_ticket_and_close_of_closed_ticket_are_refused(app, client, desk):
    login(client, "sam@acme.test")
    before = snapshot(app)
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/reopen", follow_redirects=True)
    assert "Only a closed ticket can be reopened." in text_of(response)
    response = client.post(f"/acme/admin/tickets/{desk.closed_number}/close", follow_redirects=True)
    assert "This ticket is already closed." in text_of(response)
    assert snapshot(app) == before


def test_reply_to_closed_ticket_is_refused_with_nothing_stored(app, client, desk):
    login(client, "sam@acme.test")
    before = snapshot(app)
    response = client.post(
        f"/acme/admin/tickets/{desk.closed_number}/reply",
        data={"body": "Late answer.", "attachments": [(io.BytesIO(b"a log\n"), "late.txt")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "This ticket is closed. Reopen it first to reply." in text_of(response)
    assert snapshot(app) == before

    login(client, "carla@acme.test")
    response = client.post(f"/acme/tickets/{desk.closed_number}/reply", data={"body": "One more thing."})
    assert response.status_code == 422
    assert "closed" in text_of(response)
    assert snapshot(app) == before


def test_invalid_staff_reply_keeps_the_text_and_stores_nothing(app, client, desk):
    login(client, "sam@acme.test")
    before = snapshot(app)
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Ok"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "at least 5 characters (it has 2)" in page and "Ok</textarea>" in page
    assert snapshot(app) == before


def test_staff_reply_with_attachment_downloads_for_customer_and_staff(app, client, desk):
    login(client, "sam@acme.test")
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/reply",
        data={"body": "Here is the manual.", "attachments": [(io.BytesIO(b"step 1: unplug\n"), "manual.txt")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context():
        reply = session.scalars(sa.select(Reply).order_by(Reply.id.desc())).first()
        attachment = session.scalar(sa.select(Attachment).where(Attachment.reply_id == reply.id))
    page = client.get(f"/acme/admin/tickets/{desk.open_number}").get_data(as_text=True)
    link = f"/acme/admin/tickets/{desk.open_number}/download?attachment={attachment.id}"
    assert link in page
    download = client.get(link)
    assert download.data == b"step 1: unplug\n"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    download.close()
    login(client, "carla@acme.test")
    download = client.get(f"/acme/tickets/{desk.open_number}/download?attachment={attachment.id}")
    assert download.status_code == 200
    download.close()
