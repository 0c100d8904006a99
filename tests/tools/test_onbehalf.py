"""Opening a ticket for a customer: the account, the receipt, the history, and what is refused."""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Ticket, User

from ..staff.conftest import field_error, login, snapshot, text_of
from .conftest import history_kinds, outbox, png_bytes, upload

SAM, BEA, ADA, CARLA = "sam@acme.test", "bea@acme.test", "ada@acme.test", "carla@acme.test"


def _form(world, **extra):
    data = {
        "customer": "new.person@example.com",
        "customer_name": "Nora New",
        "subject": "Phoned in: VPN down",
        "department": str(world.support_id),
        "priority": "high",
        "body": "Nora called: the VPN drops every minute.",
    }
    data.update(extra)
    return data


def test_a_new_customer_gets_an_account_a_receipt_and_the_history_says_who(app, client, world, desk):
    login(client, SAM)
    before = outbox(app)
    response = client.post(
        "/acme/admin/tickets/create",
        data=_form(world, attachments=[upload("screen.png", png_bytes())]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    with app.app_context():
        nora = session.scalar(sa.select(User).where(User.email == "new.person@example.com"))
        assert nora.role == "customer" and nora.password_hash is None and nora.name == "Nora New"
        ticket = session.scalar(sa.select(Ticket).where(Ticket.requester_id == nora.id))
        assert ticket.subject == "Phoned in: VPN down" and ticket.priority == 3
        number, ticket_id = ticket.display_number, ticket.id
    assert response.headers["Location"].endswith(f"/acme/admin/tickets/{number}")
    new_mail = outbox(app)[len(before) :]
    receipts = [(kind, to) for kind, to, _ in new_mail if to == "new.person@example.com"]
    assert receipts == [("ticket_receipt", "new.person@example.com")]
    assert "sam@acme.test" not in [to for _, to, _ in new_mail]  # nobody hears of their own action
    kinds = history_kinds(app, ticket_id)
    assert ("on_behalf", None, "Nora New <new.person@example.com>") in kinds
    page = text_of(client.get(f"/acme/admin/tickets/{number}"))
    assert "Sam Support opened the ticket on behalf of Nora New" in page
    assert "screen.png" in page


def test_an_existing_customer_is_reused(app, client, world, desk):
    login(client, ADA)
    with app.app_context():
        users = session.scalar(sa.select(sa.func.count()).select_from(User))
    response = client.post("/acme/admin/tickets/create", data=_form(world, customer="CARLA@acme.test"))
    assert response.status_code == 303
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(User)) == users
    carla = app.test_client()
    login(carla, CARLA)
    assert "Phoned in: VPN down" in text_of(carla.get("/acme/tickets"))


@pytest.mark.parametrize(
    "extra, field, message",
    [
        ({"customer": ""}, "customer", "Enter"),
        ({"customer": "not-an-address"}, "customer", "valid"),
        ({"customer": "x@example.com\r\nBcc: y@example.com"}, "customer", "Line breaks"),
        ({"customer": "sam@acme.test"}, "customer", "team"),
        ({"customer": "dora@acme.test"}, "customer", "deactivated"),
        ({"subject": ""}, "subject", ""),
        ({"body": ""}, "body", ""),
        ({"department": "999999"}, "department", ""),
        ({"priority": "extreme"}, "priority", ""),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_stored(app, client, world, desk, extra, field, message):
    login(client, SAM)
    before = snapshot(app)
    response = client.post("/acme/admin/tickets/create", data=_form(world, **extra))
    assert response.status_code == 422
    error = field_error(response, field)
    assert error is not None and message in error, error
    assert snapshot(app) == before
    # What was typed is kept.
    if field != "subject":
        assert "Phoned in: VPN down" in response.get_data(as_text=True)


def test_customers_and_other_workspaces_get_404(app, client, world, desk):
    login(client, CARLA)
    before = snapshot(app)
    assert client.get("/acme/admin/tickets/create").status_code == 404
    assert client.post("/acme/admin/tickets/create", data=_form(world)).status_code == 404
    assert snapshot(app) == before


def test_the_portal_create_form_is_for_customers(app, client, world, desk):
    login(client, SAM)
    response = client.get("/acme/tickets/create")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/acme/admin/tickets/create")
