"""The one composer: reply or note, send and close (one email), the collision check, the side panel, "Take it"."""

import re

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Reply, TicketEvent

from .conftest import field_error, login, snapshot, text_of, ticket_row


def newest_seen(client, number):
    """Return the ``seen`` value the staff ticket page carries."""
    html = client.get(f"/acme/admin/tickets/{number}").get_data(as_text=True)
    return re.search(r'name="seen" value="(\d+)"', html).group(1)


def test_the_composer_offers_reply_and_note_and_send_and_close(client, desk):
    login(client, "sam@acme.test")
    html = client.get(f"/acme/admin/tickets/{desk.open_number}").get_data(as_text=True)
    assert 'name="kind" value="reply"' in html and 'name="kind" value="note"' in html
    assert 'name="then" value="close"' in html and ">Send and close<" in html
    assert 'name="seen" value="0"' in html


def test_kind_note_on_the_reply_route_adds_a_note(app, client, desk):
    login(client, "sam@acme.test")
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/reply", data={"kind": "note", "body": "Check the logs."}
    )
    assert response.status_code == 303
    with app.app_context():
        assert session.scalars(sa.select(Reply.kind)).all() == ["note"]
    assert ticket_row(app, desk.open_number).status == "open"


def test_send_and_close_is_one_transaction_and_one_email_saying_both(inbox, app, client, desk):
    login(client, "sam@acme.test")
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Replaced the fuse.", "then": "close"}
    )
    assert response.status_code == 303
    ticket = ticket_row(app, desk.open_number)
    assert ticket.status == "closed" and ticket.closed_at is not None and ticket.last_message_by == "staff"
    with app.app_context():
        kinds = session.scalars(
            sa.select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        ).all()
    assert kinds[-2:] == ["replied", "status"]
    emails = inbox.new()
    to_carla = [e for e in emails if e.envelope_to == ["carla@acme.test"]]
    assert len(to_carla) == 1
    (email,) = to_carla
    assert email.subject == f"[{desk.open_number}] New reply, now Closed: Printer on fire"
    assert "Replaced the fuse." in email.text and "The ticket is now Closed (it was Open)." in email.text


def test_send_and_close_with_a_bad_reply_stores_nothing(app, client, desk):
    login(client, "sam@acme.test")
    before = snapshot(app)
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Ok", "then": "close"})
    assert response.status_code == 422
    assert field_error(response, "body") == "The reply must be at least 5 characters (it has 2)."
    assert snapshot(app) == before


def test_a_newer_message_stops_the_post_with_409_and_keeps_the_text(app, client, desk):
    login(client, "sam@acme.test")
    seen = newest_seen(client, desk.open_number)
    # Meanwhile the customer writes.
    login(client, "carla@acme.test")
    customer = client.post(f"/acme/tickets/{desk.open_number}/reply", data={"body": "It is smoking again!"})
    assert customer.status_code == 303
    login(client, "sam@acme.test")
    before = snapshot(app)
    typed = "Please switch it off at the wall."
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": typed, "seen": seen, "then": "close"}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert snapshot(app) == before  # nothing posted, nothing closed
    collision = html[html.index('id="collision"') : html.index('id="reply"')]
    assert "It is smoking again!" in collision and "Nothing was sent" in collision
    assert typed in html[html.index("<textarea") : html.index("</textarea>")]
    assert 'name="confirm" value="1"' in html
    # The page now carries the newest id: confirming posts it.
    assert re.search(r'name="seen" value="(\d+)"', html).group(1) != seen
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": typed, "seen": seen, "confirm": "1"}
    )
    assert response.status_code == 303
    assert ticket_row(app, desk.open_number).status == "answered"


def test_a_note_collides_too_and_an_up_to_date_seen_posts(app, client, desk):
    login(client, "ada@acme.test")
    client.post(f"/acme/admin/tickets/{desk.open_number}/note", data={"body": "Ada looked at it."})
    login(client, "sam@acme.test")
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/note", data={"body": "Me too.", "seen": "0"})
    assert response.status_code == 409 and "Ada looked at it." in text_of(response)
    seen = newest_seen(client, desk.open_number)
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/note", data={"body": "Me too.", "seen": seen})
    assert response.status_code == 303


def test_the_side_panel_saves_department_assignee_priority_and_tags_at_once(app, client, world, desk):
    login(client, "ada@acme.test")
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/properties",
        data={"department": world.support_id, "assignee": world.staff_id, "priority": "urgent", "tags": "VIP, fire"},
    )
    assert response.status_code == 303
    ticket = ticket_row(app, desk.open_number)
    assert (ticket.assignee_id, ticket.priority) == (world.staff_id, 4)
    page = text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    assert "Ada Admin added the tag fire" in page and "Ada Admin added the tag VIP" in page


def test_a_bad_side_panel_changes_nothing(app, client, world, desk):
    login(client, "ada@acme.test")
    before = snapshot(app)
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/properties",
        data={"department": world.support_id, "assignee": "", "priority": "urgent", "tags": "x" * 41},
    )
    assert response.status_code == 422
    assert "at most 40 characters" in field_error(response, "tags")
    assert snapshot(app) == before


def test_take_it_assigns_the_ticket_to_me(app, client, world, desk):
    login(client, "sam@acme.test")
    html = client.get(f"/acme/admin/tickets/{desk.open_number}").get_data(as_text=True)
    assert "Take it" in html
    assert client.post(f"/acme/admin/tickets/{desk.open_number}/take").status_code == 303
    assert ticket_row(app, desk.open_number).assignee_id == world.staff_id
    assert "Take it" not in client.get(f"/acme/admin/tickets/{desk.open_number}").get_data(as_text=True)
