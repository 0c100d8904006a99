"""The team page: people with role and state; create, change role, deactivate and reactivate."""

import re

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import OutboxEmail, Reply, User

from .conftest import PASSWORD, field_error, login, snapshot, text_of, ticket_row


@pytest.fixture
def admin(client, desk):
    return login(client, "ada@acme.test")


def person(app, email, tenant_id):
    with app.app_context():
        user = session.scalar(sa.select(User).where(User.tenant_id == tenant_id, User.email == email))
        if user is None:
            return None
        return user.name, user.role, user.active, sorted(d.name for d in user.departments)


def test_list_shows_staff_and_admins_with_role_state_and_departments(admin):
    page = text_of(admin.get("/acme/admin/team"))
    assert "Ada Admin (you) ada@acme.test Admin" in page
    assert "Sam Support sam@acme.test Staff Support Active" in page
    assert "Carla" not in page
    customers = text_of(admin.get("/acme/admin/team?show=customers"))
    assert "Carla Customer carla@acme.test Customer" in customers
    assert "Dora Dormant dora@acme.test Customer — Deactivated" in customers
    assert "Sam Support" not in customers
    assert "Oscar Other" in text_of(admin.get("/acme/admin/team?show=everyone&q=OSCAR"))
    assert "Carla" not in text_of(admin.get("/acme/admin/team?show=everyone&q=oscar"))


def test_team_list_pages_by_name(app_config, admin, app, world):
    from xobito_tickets.team import people as team

    pages = []
    url = "/acme/admin/team?show=everyone"
    original, team.PER_PAGE = team.PER_PAGE, 3
    try:
        while url:
            html = admin.get(url).get_data(as_text=True)
            pages.append(re.findall(r'<td class="xt-subject"><a href="[^"]+">([^<]+)</a>', html))
            match = re.search(r'rel="next" href="([^"]+)"', html)
            url = match.group(1).replace("&amp;", "&") if match else None
    finally:
        team.PER_PAGE = original
    names = [name for page in pages for name in page]
    assert names == sorted(names) and len(names) == len(set(names)) == 7
    assert all(len(page) <= 3 for page in pages)


def test_create_a_staff_member_who_is_invited(app, client, admin, world):
    # No password field: the person chooses their own with the emailed link (tests/people).
    assert 'name="password"' not in admin.get("/acme/admin/team/create").get_data(as_text=True)
    response = admin.post(
        "/acme/admin/team/create",
        data={"name": "Nina New", "email": "Nina@Acme.test", "role": "staff", "password": "ignored password"},
    )
    assert response.status_code == 303
    assert person(app, "nina@acme.test", world.acme_id) == ("Nina New", "staff", True, [])
    client.post("/acme/logout")
    response = client.post("/acme/login", data={"email": "nina@acme.test", "password": "ignored password"})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"email": "sam@acme.test"}, "email", "An account with this email exists already."),
        ({"email": "SAM@acme.test"}, "email", "An account with this email exists already."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"email": "a@b.test\r\nBcc: x@y.test"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "Enter a name."),
        ({"role": "owner"}, "role", "Choose Staff, Admin or Customer."),
    ],
)
def test_create_refuses_bad_input(app, admin, data, field, message):
    form = {"name": "Nina New", "email": "nina@acme.test", "role": "staff", "password": "a long password"}
    form.update(data)
    before = snapshot(app)
    response = admin.post("/acme/admin/team/create", data=form)
    assert response.status_code == 422
    assert field_error(response, field).startswith(message)
    assert snapshot(app) == before


def test_the_same_email_in_another_tenant_is_a_different_person(app, client, desk, world):
    login(client, "gary@globex.test", tenant="globex")
    response = client.post(
        "/globex/admin/team/create",
        data={"name": "Sam Too", "email": "sam@acme.test", "role": "admin", "password": "a long password"},
    )
    assert response.status_code == 303
    assert person(app, "sam@acme.test", world.globex_id) == ("Sam Too", "admin", True, [])
    assert person(app, "sam@acme.test", world.acme_id)[1] == "staff"


def test_promote_staff_to_admin(app, client, admin, world):
    response = admin.post(
        f"/acme/admin/team/{world.staff_id}/edit",
        data={"name": "Sam Support", "email": "sam@acme.test", "role": "admin"},
    )
    assert response.status_code == 303
    login(client, "sam@acme.test")
    assert client.get("/acme/admin/departments").status_code == 200


def test_an_admin_cannot_change_their_own_role(app, admin, world):
    page = admin.get(f"/acme/admin/team/{world.admin_id}/edit").get_data(as_text=True)
    assert "You cannot change your own role; another admin can." in page
    before = snapshot(app)
    response = admin.post(
        f"/acme/admin/team/{world.admin_id}/edit", data={"name": "Ada", "email": "ada@acme.test", "role": "staff"}
    )
    assert response.status_code == 422
    assert field_error(response, "role") == "You cannot change your own role. Ask another admin."
    assert snapshot(app) == before


def test_an_admin_can_rename_themselves(app, admin, world):
    response = admin.post(
        f"/acme/admin/team/{world.admin_id}/edit",
        data={"name": "Ada Lovelace", "email": "ada@acme.test", "role": "admin"},
    )
    assert response.status_code == 303
    assert person(app, "ada@acme.test", world.acme_id)[:2] == ("Ada Lovelace", "admin")


def test_an_admin_cannot_deactivate_themselves(app, admin, world):
    before = snapshot(app)
    response = admin.post(f"/acme/admin/team/{world.admin_id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in text_of(response)
    assert snapshot(app) == before
    assert f"/acme/admin/team/{world.admin_id}/deactivate" not in admin.get("/acme/admin/team").get_data(as_text=True)


def test_staff_turned_customer_leaves_departments_and_assignments_with_history(app, admin, desk, world):
    response = admin.post(
        f"/acme/admin/team/{desk.alex_id}/edit",
        data={"name": "Alex Assigned", "email": "alex@acme.test", "role": "customer"},
    )
    assert response.status_code == 303
    assert ticket_row(app, desk.open_number).assignee_id is None
    assert ticket_row(app, desk.closed_number).assignee_id is None
    page = text_of(admin.get(f"/acme/admin/tickets/{desk.open_number}"))
    assert "Ada Admin unassigned Alex Assigned" in page
    admin.post(
        f"/acme/admin/team/{world.staff_id}/edit",
        data={"name": "Sam Support", "email": "sam@acme.test", "role": "customer"},
    )
    assert person(app, "sam@acme.test", world.acme_id) == ("Sam Support", "customer", True, [])


def test_edit_refuses_an_email_of_another_person(app, admin, world):
    before = snapshot(app)
    response = admin.post(
        f"/acme/admin/team/{world.staff_id}/edit", data={"name": "Sam", "email": "bea@acme.test", "role": "staff"}
    )
    assert response.status_code == 422
    assert field_error(response, "email") == "Another account of this workspace uses this email."
    assert snapshot(app) == before


def test_deactivated_person_cannot_log_in_keeps_history_and_gets_no_email(app, client, desk, world):
    # Sam replies, so the ticket's history and thread carry his name.
    login(client, "sam@acme.test")
    client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Sam was here."})
    sam_client = app.test_client()
    login(sam_client, "sam@acme.test")

    login(client, "ada@acme.test")
    response = client.post(f"/acme/admin/team/{world.staff_id}/deactivate")
    assert response.status_code == 303
    assert person(app, "sam@acme.test", world.acme_id) == ("Sam Support", "staff", False, ["Support"])
    # His open session ends at once, and he cannot log in again.
    assert sam_client.get("/acme/admin/tickets").status_code == 302
    response = sam_client.post("/acme/login", data={"email": "sam@acme.test", "password": PASSWORD})
    assert response.status_code == 422
    # His reply and history stay, under his name.
    page = text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    assert "Sam Support Support team" in page and "Sam was here." in page
    assert "Sam Support changed status Open → Answered" in page
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(Reply).where(Reply.author_id == world.staff_id))
    # He is no longer offered as an assignee or a new department member.
    assert f'<option value="{world.staff_id}">' not in page
    assert f'value="{world.staff_id}"' not in client.get("/acme/admin/departments/create").get_data(as_text=True)
    # A new Support ticket notifies the department's members and the admins: not him.
    with app.app_context():
        last = session.scalar(sa.select(sa.func.coalesce(sa.func.max(OutboxEmail.id), 0)))
    login(client, "carla@acme.test")
    client.post("/acme/tickets/store", data={"subject": "New", "department": world.support_id, "body": "Hello"})
    with app.app_context():
        recipients = set(session.scalars(sa.select(OutboxEmail.recipient_email).where(OutboxEmail.id > last)))
    assert "ada@acme.test" in recipients
    assert "sam@acme.test" not in recipients


def test_reactivated_person_can_log_in_again(app, client, admin, world, desk):
    response = admin.post(f"/acme/admin/team/{desk.dora_id}/reactivate")
    assert response.status_code == 303
    assert person(app, "dora@acme.test", world.acme_id)[2] is True
    login(client, "dora@acme.test")
    assert client.get("/acme/tickets").status_code == 200


def test_another_tenants_people_are_404(app, client, desk, world):
    login(client, "gary@globex.test", tenant="globex")
    before = snapshot(app)
    assert client.get(f"/globex/admin/team/{world.staff_id}/edit").status_code == 404
    assert client.post(f"/globex/admin/team/{world.staff_id}/deactivate").status_code == 404
    assert client.post(f"/globex/admin/team/{desk.dora_id}/reactivate").status_code == 404
    assert (
        client.post(
            f"/globex/admin/team/{world.staff_id}/edit", data={"name": "X", "email": "x@x.test", "role": "admin"}
        ).status_code
        == 404
    )
    assert client.get("/globex/admin/team/99999999999999999999999/edit").status_code == 404
    assert snapshot(app) == before
