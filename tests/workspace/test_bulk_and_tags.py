"""Bulk actions (each ticket checked alone) and tags (per tenant, case-insensitive, staff only)."""

import re

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Tenant, Ticket, User
from xobito_tickets.tickets.services import open_ticket
from xobito_tickets.workspace.models import Tag

from .conftest import login, snapshot, text_of, ticket_row


def globex_ticket(app, world):
    """Open a ticket in the other workspace (its number is TKT-000001 there)."""
    with app.test_request_context():
        ticket = open_ticket(
            session.get(Tenant, world.globex_id),
            session.get(User, world.globex_customer_id),
            session.get(Department, world.globex_support_id),
            "Globex trouble",
            "Help.",
        )
        return ticket.id


def billing_ticket(app, world):
    """Open a Billing ticket (Sam, in Support, may not see it)."""
    with app.test_request_context():
        ticket = open_ticket(
            session.get(Tenant, world.acme_id),
            session.get(User, world.other_customer_id),
            session.get(Department, world.billing_id),
            "Invoice twice",
            "Please refund.",
        )
        return ticket.display_number


def flash(response_after_redirect):
    return re.search(r'<p class="xt-flash[^"]*">([^<]*)</p>', response_after_redirect.get_data(as_text=True)).group(1)


def test_bulk_acts_on_visible_tickets_and_reports_the_rest_as_not_found(app, client, world, desk):
    billing = billing_ticket(app, world)
    globex_id = globex_ticket(app, world)
    login(client, "sam@acme.test")
    before_billing = ticket_row(app, billing)
    response = client.post(
        "/acme/admin/tickets/bulk",
        data={
            "tickets": [desk.open_number, desk.closed_number, billing, "TKT-999999", "nonsense"],
            "action": "priority",
            "priority": "urgent",
            "back": "tab=all",
        },
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/acme/admin/tickets?tab=all")
    message = flash(client.get(response.headers["Location"]))
    assert message.startswith("2 tickets changed, 3 skipped")
    for skipped in (billing, "TKT-999999", "nonsense"):
        assert f"{skipped}: not found" in message
    assert ticket_row(app, desk.open_number).priority == 4 and ticket_row(app, desk.closed_number).priority == 4
    after_billing = ticket_row(app, billing)
    assert after_billing.priority == before_billing.priority
    assert after_billing.last_reply_at == before_billing.last_reply_at
    with app.app_context():
        assert session.get(Ticket, globex_id).priority == 2  # the other workspace's ticket is untouched


def test_bulk_close_skips_what_is_already_closed_and_says_why(app, client, desk):
    login(client, "sam@acme.test")
    response = client.post(
        "/acme/admin/tickets/bulk",
        data={"tickets": [desk.open_number, desk.closed_number], "action": "close"},
        follow_redirects=True,
    )
    assert f"1 ticket changed, 1 skipped ({desk.closed_number}: already closed)." in text_of(response)
    assert ticket_row(app, desk.open_number).status == "closed"


def test_bulk_assign_tag_and_untag(app, client, world, desk):
    login(client, "ada@acme.test")
    tickets = [desk.open_number, desk.closed_number]
    client.post("/acme/admin/tickets/bulk", data={"tickets": tickets, "action": "assign", "assignee": "me"})
    assert ticket_row(app, desk.open_number).assignee_id == world.admin_id
    assert ticket_row(app, desk.open_number).department_id == world.support_id  # kept
    client.post("/acme/admin/tickets/bulk", data={"tickets": tickets, "action": "tag", "tags": "VIP, Printer"})
    listed = client.get("/acme/admin/tickets?tag=vip").get_data(as_text=True)
    assert desk.open_number in listed and desk.closed_number in listed
    response = client.post(
        "/acme/admin/tickets/bulk",
        data={"tickets": [desk.open_number], "action": "untag", "tags": "vip"},
        follow_redirects=True,
    )
    assert "1 ticket changed." in text_of(response)
    listed = client.get("/acme/admin/tickets?tag=VIP").get_data(as_text=True)
    assert desk.open_number not in listed and desk.closed_number in listed


def test_a_bad_bulk_request_comes_back_with_its_error_and_changes_nothing(app, client, desk):
    login(client, "sam@acme.test")
    before = snapshot(app)
    response = client.post(
        "/acme/admin/tickets/bulk", data={"tickets": [desk.open_number], "action": "priority", "priority": "extreme"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="bulk-priority-error"' in html and "Choose a priority." in html
    assert f'value="{desk.open_number}" checked' in html
    response = client.post("/acme/admin/tickets/bulk", data={"tickets": [], "action": "close"})
    assert response.status_code == 422 and "Select at least one ticket." in text_of(response)
    response = client.post("/acme/admin/tickets/bulk", data={"tickets": [desk.open_number], "action": "explode"})
    assert response.status_code == 422 and "Choose an action." in text_of(response)
    assert snapshot(app) == before


def test_tags_are_case_insensitive_per_tenant_in_the_history_and_never_shown_to_customers(app, client, desk):
    login(client, "sam@acme.test")
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/tags", data={"tags": "Hardware, VIP"})
    assert response.status_code == 303
    client.post(f"/acme/admin/tickets/{desk.closed_number}/tags", data={"tags": "hardware"})
    with app.app_context():
        assert sorted(session.scalars(sa.select(Tag.name))) == ["Hardware", "VIP"]  # one "hardware" tag
    page = text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    assert "Sam Support added the tag Hardware" in page and "Sam Support added the tag VIP" in page
    client.post(f"/acme/admin/tickets/{desk.open_number}/tags", data={"tags": "vip"})
    assert "Sam Support removed the tag Hardware" in text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    login(client, "carla@acme.test")
    portal = client.get(f"/acme/tickets/{desk.open_number}").get_data(as_text=True)
    assert "VIP" not in portal and "Hardware" not in portal
    assert "VIP" not in client.get("/acme/tickets").get_data(as_text=True)


def test_bad_tags_are_refused_next_to_the_field(app, client, desk):
    login(client, "sam@acme.test")
    before = snapshot(app)
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/tags", data={"tags": "ok, " + "y" * 41})
    assert response.status_code == 422
    assert "at most 40 characters" in text_of(response)
    assert snapshot(app) == before


def test_the_queue_shows_tags_and_who_wrote_last(app, client, desk):
    login(client, "sam@acme.test")
    client.post(f"/acme/admin/tickets/{desk.open_number}/tags", data={"tags": "VIP"})
    page = client.get("/acme/admin/tickets").get_data(as_text=True)
    row = page[page.index(f">{desk.open_number}</a>") :]
    row = row[: row.index("</tr>")]
    assert '<li class="xt-tag">VIP</li>' in row and 'data-label="Last message by">Customer<' in row
