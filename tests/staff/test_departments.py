"""Departments: unique names per tenant, members from the tenant's staff, (de)activation, no deletion with tickets."""

import re

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Tenant, User
from xobito_tickets.team.services import create_user

from .conftest import field_error, login, snapshot, text_of, ticket_row


@pytest.fixture
def admin(client, desk):
    return login(client, "ada@acme.test")


def department(app, name, tenant_id):
    with app.app_context():
        row = session.scalar(sa.select(Department).where(Department.tenant_id == tenant_id, Department.name == name))
        if row is None:
            return None
        return row.name, row.description, row.active, sorted(m.email for m in row.members)


def test_list_shows_members_and_open_and_answered_counts(admin, app, desk):
    admin.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Answer one."})
    page = text_of(admin.get("/acme/admin/departments"))
    # Support: TKT-000001 answered now, TKT-000002 closed. Billing: nothing.
    assert "Support Help Sam Support 0 1 Active" in page
    assert "Billing Money Bea Billing 0 0 Active" in page
    assert "Legacy Old No members 0 0 Inactive" in page


def test_create_department_with_members(app, admin, world):
    response = admin.post(
        "/acme/admin/departments/create",
        data={"name": "  Returns ", "description": "Parcels back", "active": "y", "members": [world.staff_id]},
    )
    assert response.status_code == 303
    assert department(app, "Returns", world.acme_id) == ("Returns", "Parcels back", True, ["sam@acme.test"])
    assert "Department Returns was created." in text_of(admin.get("/acme/admin/departments"))


def test_new_inactive_department_is_not_offered_to_customers(app, client, admin, world):
    admin.post("/acme/admin/departments/create", data={"name": "Hidden", "description": ""})
    assert department(app, "Hidden", world.acme_id)[2] is False
    login(client, "carla@acme.test")
    assert "Hidden" not in client.get("/acme/tickets/create").get_data(as_text=True)


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"name": "Support"}, "name", "A department with this name exists already."),
        ({"name": "sUPPORT "}, "name", "A department with this name exists already."),
        ({"name": "legacy"}, "name", "A department with this name exists already."),
        ({"name": "   "}, "name", "Give the department a name."),
        ({"name": "x" * 101}, "name", "At most 100 characters."),
        ({"name": "Ok", "description": "d" * 1001}, "description", "At most 1000 characters."),
        ({"name": "Ok", "members": ["{customer_id}"]}, "members", "Choose members from the list."),
        ({"name": "Ok", "members": ["{globex_admin_id}"]}, "members", "Choose members from the list."),
        ({"name": "Ok", "members": ["abc"]}, "members", "Choose members from the list."),
        ({"name": "Ok", "members": ["99999999999999999999999"]}, "members", "Choose members from the list."),
    ],
)
def test_create_refuses_bad_input_with_the_error_next_to_the_field(app, admin, world, data, field, message):
    data = {k: [m.format(**vars(world)) for m in v] if isinstance(v, list) else v for k, v in data.items()}
    before = snapshot(app)
    response = admin.post("/acme/admin/departments/create", data=data)
    assert response.status_code == 422
    assert field_error(response, field) == message
    # What was typed is kept.
    if data.get("name", "").strip() and len(data["name"]) <= 100:
        assert f'value="{data["name"].strip()}"' in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_the_same_name_in_another_tenant_is_fine(app, client, desk, world):
    login(client, "gary@globex.test", tenant="globex")
    response = client.post("/globex/admin/departments/create", data={"name": "Billing", "active": "y"})
    assert response.status_code == 303
    assert department(app, "Billing", world.globex_id) == ("Billing", "", True, [])


def test_members_are_chosen_from_the_tenants_active_staff_and_admins(app, admin, world, desk):
    with app.app_context():
        create_user(session.get(Tenant, world.acme_id), "gone@acme.test", "Gone Staff", "staff", None).active = False
        session.commit()
    page = admin.get("/acme/admin/departments/create").get_data(as_text=True)
    offered = re.findall(r'name="members" value="(\d+)"', page)
    # By name: Ada Admin, Alex Assigned, Bea Billing, Sam Support.
    assert list(map(int, offered)) == [world.admin_id, desk.alex_id, world.billing_staff_id, world.staff_id]
    for absent in ("Carla Customer", "Gone Staff", "Gary"):
        assert absent not in page


def test_edit_renames_and_changes_members(app, admin, world):
    url = f"/acme/admin/departments/{world.support_id}/edit"
    assert 'value="Support"' in admin.get(url).get_data(as_text=True)
    response = admin.post(
        url,
        data={"name": "Customer Care", "description": "All help", "active": "y", "members": [world.billing_staff_id]},
    )
    assert response.status_code == 303
    assert department(app, "Customer Care", world.acme_id) == ("Customer Care", "All help", True, ["bea@acme.test"])
    # Keeping its own name (in another case) is not a clash with itself.
    response = admin.post(url, data={"name": "customer care", "active": "y"})
    assert response.status_code == 303


def test_edit_refuses_a_name_that_another_department_has(app, admin, world):
    before = snapshot(app)
    response = admin.post(f"/acme/admin/departments/{world.support_id}/edit", data={"name": "BILLING", "active": "y"})
    assert response.status_code == 422
    assert field_error(response, "name") == "A department with this name exists already."
    assert 'value="BILLING"' in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_deactivated_department_keeps_its_tickets_and_leaves_the_create_form(app, client, admin, desk, world):
    response = admin.post(f"/acme/admin/departments/{world.support_id}/deactivate")
    assert response.status_code == 303
    assert department(app, "Support", world.acme_id)[2] is False
    assert ticket_row(app, desk.open_number).department_id == world.support_id
    # Staff of the department still work its tickets.
    login(client, "sam@acme.test")
    assert client.get(f"/acme/admin/tickets/{desk.open_number}").status_code == 200
    assert client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Still here."}).status_code == 303
    # Customers no longer see it when opening a ticket, and cannot post it.
    login(client, "carla@acme.test")
    form = client.get("/acme/tickets/create").get_data(as_text=True)
    assert f'value="{world.support_id}"' not in form
    before = snapshot(app)
    response = client.post("/acme/tickets/store", data={"subject": "S", "department": world.support_id, "body": "B"})
    assert response.status_code == 422
    assert snapshot(app) == before
    # And back.
    login(client, "ada@acme.test")
    assert client.post(f"/acme/admin/departments/{world.support_id}/activate").status_code == 303
    login(client, "carla@acme.test")
    assert f'value="{world.support_id}"' in client.get("/acme/tickets/create").get_data(as_text=True)


def row_of(response, name):
    rows = re.findall(r'<tr class="xt-department-row.*?</tr>', response.get_data(as_text=True), flags=re.S)
    return next(row for row in rows if f">{name}</a>" in row)


def test_a_department_with_tickets_cannot_be_deleted(app, admin, desk, world):
    listing = admin.get("/acme/admin/departments")
    assert "/delete" not in row_of(listing, "Support")
    assert "/delete" in row_of(listing, "Billing")
    before = snapshot(app)
    response = admin.post(f"/acme/admin/departments/{world.support_id}/delete", follow_redirects=True)
    assert "Support has tickets, so it cannot be deleted. Deactivate it instead" in text_of(response)
    assert snapshot(app) == before


def test_a_department_without_tickets_can_be_deleted(app, admin, world):
    response = admin.post(f"/acme/admin/departments/{world.legacy_id}/delete")
    assert response.status_code == 303
    assert department(app, "Legacy", world.acme_id) is None


def test_another_tenants_department_is_404(app, client, desk, world):
    login(client, "gary@globex.test", tenant="globex")
    before = snapshot(app)
    for path in ("edit", "activate", "deactivate", "delete"):
        method = client.get if path == "edit" else client.post
        assert method(f"/globex/admin/departments/{world.support_id}/{path}").status_code == 404
    assert client.post(f"/globex/admin/departments/{world.support_id}/edit", data={"name": "Mine"}).status_code == 404
    assert client.get("/globex/admin/departments/99999999999999999999999/edit").status_code == 404
    assert client.get("/globex/admin/departments/abc/edit").status_code == 404
    assert snapshot(app) == before


def test_staff_and_customers_do_not_reach_department_pages(app, client, desk, world):
    for email in ("sam@acme.test", "carla@acme.test"):
        login(client, email)
        assert client.get("/acme/admin/departments").status_code == 404
    # The nav shows the page to admins only.
    login(client, "sam@acme.test")
    assert "/acme/admin/departments" not in client.get("/acme/admin/tickets").get_data(as_text=True)
    login(client, "ada@acme.test")
    assert "/acme/admin/departments" in client.get("/acme/admin/tickets").get_data(as_text=True)


def test_member_users_are_only_staff_of_the_tenant_even_through_the_service(app, world):
    from xobito_tickets.errors import ServiceError
    from xobito_tickets.team.services import update_department

    with app.test_request_context():
        admin = session.get(User, world.admin_id)
        support = session.get(Department, world.support_id)
        for stranger in (world.customer_id, world.globex_admin_id):
            with pytest.raises(ServiceError) as refused:
                update_department(admin, support, "Support", "", True, [session.get(User, stranger)])
            assert refused.value.field == "members"
        with pytest.raises(ServiceError):
            update_department(session.get(User, world.staff_id), support, "Support", "", True, [])
