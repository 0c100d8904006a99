"""The lifecycle rows of SPEC §4 that involve the customer, and per-tenant ticket numbers."""

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import TicketEvent

from .conftest import post_multipart, snapshot, upload
from .samples import PNG


def _events(app, make, number):
    with app.app_context():
        ticket = make.get(number)
        return [
            (e.kind, e.old_value, e.new_value, e.actor_id)
            for e in session.scalars(
                sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
            )
        ]


def test_new_ticket_is_open_and_recorded(customer, world, app, make):
    customer.post("/acme/tickets/store", data={"subject": "S", "department": world.support_id, "body": "B"})
    assert make.ticket_state("TKT-000001")[0] == "open"
    assert _events(app, make, "TKT-000001") == [("created", None, "open", world.customer_id)]


def test_customer_reply_on_open_stays_open(customer, world, app, make):
    number = make.ticket().number
    with app.app_context():
        created_activity = make.get(number).last_reply_at
    assert customer.post(f"/acme/tickets/{number}/reply", data={"body": "More details"}).status_code in (302, 303)
    assert make.ticket_state(number)[:2] == ("open", 1)
    with app.app_context():
        assert make.get(number).last_reply_at > created_activity
    assert _events(app, make, number)[-1][0] == "replied"


def test_customer_reply_on_answered_stays_answered(customer, world, app, make):
    number = make.ticket().number
    make.reply(number, world.staff_id)
    assert make.ticket_state(number)[0] == "answered"
    assert customer.post(f"/acme/tickets/{number}/reply", data={"body": "Still broken"}).status_code in (302, 303)
    assert make.ticket_state(number)[:2] == ("answered", 2)


def test_customer_closes_an_open_ticket(customer, world, app, make):
    number = make.ticket().number
    customer.post(f"/acme/tickets/{number}/close")
    assert make.ticket_state(number)[0] == "closed"
    assert _events(app, make, number)[-1] == ("status", "open", "closed", world.customer_id)
    html = customer.get(f"/acme/tickets/{number}").get_data(as_text=True)
    assert f"Ticket {number} is closed." in html


def test_customer_closes_an_answered_ticket(customer, world, app, make):
    number = make.ticket().number
    make.reply(number, world.staff_id)
    customer.post(f"/acme/tickets/{number}/close")
    assert make.ticket_state(number)[0] == "closed"
    assert _events(app, make, number)[-1] == ("status", "answered", "closed", world.customer_id)


def test_closing_a_closed_ticket_changes_nothing(customer, app, make):
    number = make.ticket().number
    customer.post(f"/acme/tickets/{number}/close")
    before = snapshot(app)
    response = customer.post(f"/acme/tickets/{number}/close", follow_redirects=True)
    assert response.status_code == 200
    assert "already closed" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_reply_on_a_closed_ticket_is_refused_and_nothing_stored(customer, app, make):
    number = make.ticket().number
    customer.post(f"/acme/tickets/{number}/close")
    before = snapshot(app)
    response = post_multipart(
        customer,
        f"/acme/tickets/{number}/reply",
        {"body": "Please reopen this", "attachments": [upload(PNG, "again.png")]},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This ticket is closed. Open a new ticket to follow up." in html
    assert snapshot(app) == before
    assert make.ticket_state(number) == ("closed", 0, 0)


def test_customer_cannot_reopen(customer, app, make):
    number = make.ticket().number
    customer.post(f"/acme/tickets/{number}/close")
    before = snapshot(app)
    html = customer.get(f"/acme/tickets/{number}").get_data(as_text=True)
    assert "reopen" not in html.lower() or "Open a new ticket" in html
    assert f'action="/acme/tickets/{number}/reopen"' not in html
    # There is no reopen route in the portal, and the staff one is not for customers.
    assert customer.post(f"/acme/tickets/{number}/reopen").status_code in (404, 405)
    assert customer.post(f"/acme/admin/tickets/{number}/reopen").status_code == 404
    assert snapshot(app) == before
    assert make.ticket_state(number)[0] == "closed"


def test_closed_page_points_to_a_new_ticket(customer, make):
    number = make.ticket().number
    customer.post(f"/acme/tickets/{number}/close")
    html = customer.get(f"/acme/tickets/{number}").get_data(as_text=True)
    assert "Open a new ticket" in html and 'href="/acme/tickets/create"' in html


def test_ticket_numbers_are_per_tenant_and_sequential(app, world, make, client, auth):
    assert make.ticket(tenant="acme").number == "TKT-000001"
    assert make.ticket(tenant="globex").number == "TKT-000001"
    assert make.ticket(tenant="acme").number == "TKT-000002"
    assert make.ticket(tenant="acme").number == "TKT-000003"
    assert make.ticket(tenant="globex").number == "TKT-000002"
    # Through the form as well.
    auth.login("gina@globex.test", tenant="globex")
    response = client.post(
        "/globex/tickets/store", data={"subject": "S", "department": world.globex_support_id, "body": "B"}
    )
    assert response.headers["Location"] == "/globex/tickets/TKT-000003"


def test_rejected_submission_does_not_use_a_number(customer, world):
    customer.post("/acme/tickets/store", data={"subject": "", "department": world.support_id, "body": "B"})
    response = customer.post("/acme/tickets/store", data={"subject": "S", "department": world.support_id, "body": "B"})
    assert response.headers["Location"] == "/acme/tickets/TKT-000001"


def test_numbers_grow_past_six_digits(app, world, make):
    from xobito_tickets.models import TicketCounter

    with app.app_context():
        session.get(TicketCounter, world.acme_id).last_number = 999999
        session.commit()
    assert make.ticket().number == "TKT-1000000"
