"""CC through real requests: who may copy whom, what is refused, and the history."""

import pytest
import sqlalchemy as sa

from xobito_tickets.cc.models import TicketCC
from xobito_tickets.cc.services import MAX_CCS, is_cc
from xobito_tickets.db import session
from xobito_tickets.models import Ticket

from ..staff.conftest import field_error, login, snapshot, text_of
from .conftest import history_kinds, ticket_by_number

SAM, ADA, CARLA, OSCAR, BEA = "sam@acme.test", "ada@acme.test", "carla@acme.test", "oscar@acme.test", "bea@acme.test"


def _ccs(app, number="TKT-000001"):
    """Return the addresses copied on a ticket of Acme (the desk copies boss@example.com on TKT-000002)."""
    with app.app_context():
        return session.scalars(
            sa.select(TicketCC.email)
            .join(Ticket, Ticket.id == TicketCC.ticket_id)
            .where(Ticket.tenant_id == 1, Ticket.number == int(number[4:]))
            .order_by(TicketCC.id)
        ).all()


def test_staff_add_and_remove_a_cc_and_the_history_says_so(app, client, world, desk):
    login(client, SAM)
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/cc", data={"email": " Chief@Example.COM "})
    assert response.status_code == 303
    assert _ccs(app) == ["chief@example.com"]
    page = text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    assert "chief@example.com" in page
    ticket = ticket_by_number(app, desk.open_number, world.acme_id)
    assert ("cc_added", None, "chief@example.com") in history_kinds(app, ticket.id)

    removed = client.post(f"/acme/admin/tickets/{desk.open_number}/cc/remove", data={"email": "chief@example.com"})
    assert removed.status_code == 303
    assert _ccs(app) == []
    assert ("cc_removed", "chief@example.com", None) in history_kinds(app, ticket.id)


def test_the_customer_copies_someone_in_the_portal(app, client, world, desk):
    login(client, CARLA)
    assert client.post(f"/acme/tickets/{desk.open_number}/cc", data={"email": "partner@example.com"}).status_code == 303
    assert "partner@example.com" in text_of(client.get(f"/acme/tickets/{desk.open_number}"))
    assert (
        client.post(f"/acme/tickets/{desk.open_number}/cc/remove", data={"email": "partner@example.com"}).status_code
        == 303
    )
    assert _ccs(app) == []


@pytest.mark.parametrize(
    "email, message",
    [
        ("", "Enter an email address."),
        ("not-an-address", "valid"),
        ("chief@example.com\r\nBcc: victim@example.com", "Line breaks"),
        ("chief@example.com\nX: y", "Line breaks"),
        ('"a b"@example.com', ""),
        ("a@b@example.com", ""),
        ("carla@acme.test", "already"),
        ("x" * 250 + "@example.com", ""),
    ],
)
def test_bad_addresses_are_refused_next_to_the_field(app, client, world, desk, email, message):
    login(client, CARLA)
    before = snapshot(app)
    response = client.post(f"/acme/tickets/{desk.open_number}/cc", data={"email": email})
    assert response.status_code == 422
    error = field_error(response, "cc-email")
    assert error and message in error
    assert snapshot(app) == before


def test_at_most_ten_addresses(app, client, world, desk):
    login(client, SAM)
    for n in range(MAX_CCS):
        assert (
            client.post(f"/acme/admin/tickets/{desk.open_number}/cc", data={"email": f"p{n}@example.com"}).status_code
            == 303
        )
    before = snapshot(app)
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/cc", data={"email": "one-too-many@example.com"})
    assert response.status_code == 422 and "at most 10" in field_error(response, "cc-email")
    assert snapshot(app) == before
    duplicate = client.post(f"/acme/admin/tickets/{desk.open_number}/cc/remove", data={"email": "nobody@example.com"})
    assert duplicate.status_code == 422


def test_invisible_tickets_are_404_and_nothing_changes(app, client, world, desk):
    for who in (OSCAR, BEA):
        other = app.test_client()
        login(other, who)
        before = snapshot(app)
        side = "/acme/tickets" if who == OSCAR else "/acme/admin/tickets"
        assert other.post(f"{side}/{desk.open_number}/cc", data={"email": "x@example.com"}).status_code == 404
        assert snapshot(app) == before
    gary = app.test_client()
    login(gary, "gary@globex.test", "globex")
    assert gary.post(f"/globex/admin/tickets/{desk.open_number}/cc", data={"email": "x@example.com"}).status_code == 404


def test_a_cc_gets_no_portal_access(app, client, world, desk):
    login(client, CARLA)
    client.post(f"/acme/tickets/{desk.open_number}/cc", data={"email": OSCAR})
    oscar = app.test_client()
    login(oscar, OSCAR)
    assert oscar.get(f"/acme/tickets/{desk.open_number}").status_code == 404
    assert desk.open_number not in text_of(oscar.get("/acme/tickets"))


def test_is_cc_answers_for_inbound_mail(app, client, world, desk):
    login(client, SAM)
    client.post(f"/acme/admin/tickets/{desk.open_number}/cc", data={"email": "chief@example.com"})
    with app.app_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == int(desk.open_number[4:])))
        assert is_cc(ticket, "CHIEF@example.com ")
        assert not is_cc(ticket, "chief@example.org")
        assert not is_cc(ticket, "")
        other = session.scalar(sa.select(Ticket).where(Ticket.number == int(desk.closed_number[4:])))
        assert not is_cc(other, "chief@example.com")
        assert is_cc(other, "boss@example.com")
