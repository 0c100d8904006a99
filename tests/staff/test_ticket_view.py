"""The staff ticket view: header, thread, history, assignment and priority, and bad form values."""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.errors import ServiceError
from xobito_tickets.models import Department, Priority, Tenant, Ticket, TicketEvent, User
from xobito_tickets.team.services import create_department, create_user
from xobito_tickets.tickets.services import change_priority

from .conftest import field_error, login, snapshot, text_of, ticket_row


def history(app, number):
    ticket = ticket_row(app, number)
    with app.app_context():
        events = session.scalars(
            sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        ).all()
        return [(e.kind, e.old_value, e.new_value) for e in events]


def test_header_thread_and_history(app, client, desk):
    login(client, "sam@acme.test")
    page = text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    assert f"{desk.open_number} Printer on fire" in page
    assert "Customer Carla Customer <carla@acme.test>" in page
    assert "Department Support" in page and "Priority Medium" in page and "Status Open" in page
    assert "Assignee Alex Assigned" in page
    assert "It is on fire." in page and "log.txt" in page
    assert "Ada Admin assigned the ticket to Alex Assigned" in page
    assert "Carla Customer opened the ticket" in page


def test_assign_to_department_and_person_is_recorded(app, client, desk, world):
    login(client, "ada@acme.test")
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/assign",
        data={"department": world.billing_id, "assignee": world.billing_staff_id},
    )
    assert response.status_code == 303
    ticket = ticket_row(app, desk.open_number)
    assert (ticket.department_id, ticket.assignee_id) == (world.billing_id, world.billing_staff_id)
    assert history(app, desk.open_number)[-2:] == [
        ("department", "Support", "Billing"),
        ("assigned", "Alex Assigned", "Bea Billing"),
    ]
    page = text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    assert "Ada Admin changed department Support → Billing" in page
    assert "Ada Admin changed assignee Alex Assigned → Bea Billing" in page
    # Taking the person off, keeping the department.
    client.post(f"/acme/admin/tickets/{desk.open_number}/assign", data={"department": world.billing_id, "assignee": ""})
    assert ticket_row(app, desk.open_number).assignee_id is None
    assert "Ada Admin unassigned Bea Billing" in text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))


def test_saving_the_assignment_unchanged_records_nothing(app, client, desk, world):
    login(client, "ada@acme.test")
    before = snapshot(app)
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/assign",
        data={"department": world.support_id, "assignee": desk.alex_id},
    )
    assert response.status_code == 303
    assert snapshot(app) == before


def test_staff_who_routes_a_ticket_away_lands_on_the_queue(app, client, desk, world):
    login(client, "sam@acme.test")
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/assign", data={"department": world.billing_id, "assignee": ""}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/acme/admin/tickets"
    assert f"{desk.open_number} moved to Billing and left your queue." in text_of(client.get("/acme/admin/tickets"))
    assert client.get(f"/acme/admin/tickets/{desk.open_number}").status_code == 404


def test_who_still_sees_a_changed_ticket_stays_on_its_page(app, client, desk, world):
    # Alex (in no department) sees the ticket as its assignee; Ada, in no department either, as an admin.
    login(client, "alex@acme.test")
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/priority", data={"priority": "urgent"})
    assert response.status_code == 303 and response.headers["Location"] == f"/acme/admin/tickets/{desk.open_number}"
    assert f"{desk.open_number} is saved." in text_of(client.get(response.headers["Location"]))
    admin = app.test_client()
    login(admin, "ada@acme.test")
    response = admin.post(
        f"/acme/admin/tickets/{desk.open_number}/assign", data={"department": world.billing_id, "assignee": ""}
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/acme/admin/tickets/{desk.open_number}"
    page = text_of(admin.get(response.headers["Location"]))
    assert f"{desk.open_number} is saved." in page and "left your queue" not in page


def test_priority_change_is_recorded(app, client, desk):
    login(client, "alex@acme.test")
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/priority", data={"priority": "urgent"})
    assert response.status_code == 303
    assert ticket_row(app, desk.open_number).priority == 4
    assert history(app, desk.open_number)[-1] == ("priority", "Medium", "Urgent")
    page = text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    assert "Alex Assigned changed priority Medium → Urgent" in page


def test_choosing_the_priority_a_ticket_has_records_nothing(app, client, desk):
    login(client, "alex@acme.test")
    before = history(app, desk.open_number)
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/priority", data={"priority": "medium"})
    assert response.status_code == 303
    assert ticket_row(app, desk.open_number).priority == 2
    assert history(app, desk.open_number) == before
    assert "changed priority" not in text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))


@pytest.mark.parametrize(
    "who, message",
    [
        ("customer_id", "Only staff can change the priority."),
        ("globex_admin_id", "That person is not part of this workspace."),
    ],
)
def test_the_service_refuses_a_priority_change_by_a_customer_or_another_workspace(app, desk, world, who, message):
    # A host calling the services directly gets the same rules as the pages, and a message to show.
    with app.test_request_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.tenant_id == world.acme_id, Ticket.number == 1))
        with pytest.raises(ServiceError) as refused:
            change_priority(ticket, session.get(User, getattr(world, who)), Priority.URGENT)
        assert refused.value.message == message
        session.rollback()
    assert ticket_row(app, desk.open_number).priority == 2
    assert history(app, desk.open_number)[-1][0] != "priority"


@pytest.fixture
def strangers(app, world):
    """Ids the assign form must refuse: another tenant's department and staff, a customer, odd values."""
    with app.app_context():
        globex = session.get(Tenant, world.globex_id)
        acme = session.get(Tenant, world.acme_id)
        globex_staff = create_user(globex, "gus@globex.test", "Gus Globex", "staff", None)
        gone = create_user(acme, "gone@acme.test", "Gone Staff", "staff", None)
        gone.active = False
        session.commit()
        return {"globex_staff": globex_staff.id, "gone": gone.id}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("department", "{globex_support_id}", "Choose one of the listed departments."),
        ("department", "{legacy_id}", "Choose one of the listed departments."),
        ("department", "999999", "Choose one of the listed departments."),
        ("department", "99999999999999999999999999", "Choose one of the listed departments."),
        ("department", "billing", "Choose one of the listed departments."),
        ("department", "", "Choose one of the listed departments."),
        ("assignee", "{customer_id}", "Choose a staff member or admin from the list, or nobody."),
        ("assignee", "{globex_admin_id}", "Choose a staff member or admin from the list, or nobody."),
        ("assignee", "{globex_staff}", "Choose a staff member or admin from the list, or nobody."),
        ("assignee", "{gone}", "Choose a staff member or admin from the list, or nobody."),
        ("assignee", "-3", "Choose a staff member or admin from the list, or nobody."),
        ("assignee", "1e3", "Choose a staff member or admin from the list, or nobody."),
    ],
)
def test_assign_refuses_values_outside_the_tenant_scope(app, client, desk, world, strangers, field, value, message):
    login(client, "ada@acme.test")
    data = {"department": str(world.support_id), "assignee": str(world.staff_id)}
    data[field] = value.format(**vars(world), **strangers)
    before = snapshot(app)
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/assign", data=data)
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert snapshot(app) == before


@pytest.mark.parametrize("value", ["extreme", "", "4", "URGENT ", "Urgent\n"])
def test_priority_refuses_unknown_values(app, client, desk, value):
    login(client, "ada@acme.test")
    before = snapshot(app)
    response = client.post(f"/acme/admin/tickets/{desk.open_number}/priority", data={"priority": value})
    assert response.status_code == 422
    assert field_error(response, "priority") == "Choose Low, Medium, High or Urgent."
    assert snapshot(app) == before


def test_a_deactivated_assignee_can_stay_when_the_ticket_moves(app, client, desk, world):
    with app.app_context():
        session.get(User, desk.alex_id).active = False
        session.commit()
    login(client, "ada@acme.test")
    page = client.get(f"/acme/admin/tickets/{desk.open_number}").get_data(as_text=True)
    assert f'<option selected value="{desk.alex_id}">Alex Assigned (deactivated)</option>' in page
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/assign",
        data={"department": world.billing_id, "assignee": desk.alex_id},
    )
    assert response.status_code == 303
    ticket = ticket_row(app, desk.open_number)
    assert (ticket.department_id, ticket.assignee_id) == (world.billing_id, desk.alex_id)


def test_a_ticket_in_an_inactive_department_can_be_moved_out(app, client, desk, world):
    with app.app_context():
        support = session.get(Department, world.support_id)
        support.active = False
        session.commit()
    login(client, "ada@acme.test")
    page = client.get(f"/acme/admin/tickets/{desk.open_number}").get_data(as_text=True)
    assert f'<option selected value="{world.support_id}">Support (inactive)</option>' in page
    assert "Legacy" not in page
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/assign", data={"department": world.billing_id, "assignee": ""}
    )
    assert response.status_code == 303
    assert ticket_row(app, desk.open_number).department_id == world.billing_id


def test_downloads_are_scoped_to_the_ticket(app, client, desk, world):
    login(client, "carla@acme.test")
    other = (
        client.post(
            "/acme/tickets/store", data={"subject": "Other", "department": world.support_id, "body": "Another one"}
        )
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    login(client, "ada@acme.test")
    # The attachment exists, but belongs to another ticket.
    assert client.get(f"/acme/admin/tickets/{other}/download?attachment={desk.attachment_id}").status_code == 404
    for bad in ("", "abc", "-1", "99999999999999999999999"):
        assert client.get(f"/acme/admin/tickets/{desk.open_number}/download?attachment={bad}").status_code == 404
    response = client.get(f"/acme/admin/tickets/{desk.open_number}/download?attachment={desk.attachment_id}")
    assert response.status_code == 200 and response.data == b"printer log\nerror 42\n"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


@pytest.mark.parametrize("number", ["TKT-1", "TKT-0000001", "000001", "TKT-999999", "tkt-000001", "TKT-00000a"])
def test_unknown_or_malformed_numbers_are_404(client, desk, number):
    login(client, "ada@acme.test")
    assert client.get(f"/acme/admin/tickets/{number}").status_code == 404
    assert client.post(f"/acme/admin/tickets/{number}/close").status_code == 404


def test_another_tenants_ticket_is_404_with_its_own_number(app, client, desk, world):
    with app.test_request_context():
        globex = session.get(Tenant, world.globex_id)
        create_department(globex, "Sales")
    login(client, "gary@globex.test", tenant="globex")
    # Globex has no TKT-000001; acme's is not reachable from globex.
    assert client.get(f"/globex/admin/tickets/{desk.open_number}").status_code == 404
    assert client.get(f"/acme/admin/tickets/{desk.open_number}").status_code == 404


def test_staff_on_the_portal_are_sent_to_the_staff_view(client, desk):
    login(client, "sam@acme.test")
    response = client.get(f"/acme/tickets/{desk.open_number}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/acme/admin/tickets/{desk.open_number}"
    response = client.get("/acme/tickets?status=open&priority=high")
    assert response.headers["Location"] == "/acme/admin/tickets?status=open&priority=high"


def test_staff_land_on_the_queue_after_login(client, desk):
    response = client.post("/acme/login", data={"email": "sam@acme.test", "password": "correct horse battery"})
    assert response.headers["Location"] == "/acme/admin/tickets"
    assert "Ticket queue" in text_of(client.get("/acme/admin/tickets"))
