"""Insecure direct object references inside one workspace (SPEC §3, §13): a customer
guessing another customer's ticket number or attachment id, staff reaching tickets of a
department they are not in, customers reaching the staff side. Each answers 404, the
same page as a missing object, and nothing changes."""

import pytest

from .conftest import PNG, page_body, snapshot


@pytest.fixture
def tickets(make, world):
    """Carla's ticket in Support, Oscar's in Support, and a Billing ticket of Carla's."""
    carla = make.ticket(subject="Carla's problem", files=[("carla.png", "image/png", PNG)])
    oscar = make.ticket(
        requester_id=world.other_customer_id, subject="Oscar's private matter", files=[("oscar.png", "image/png", PNG)]
    )
    billing = make.ticket(
        department_id=world.billing_id, subject="Billing dispute", files=[("bill.png", "image/png", PNG)]
    )
    return {"carla": carla, "oscar": oscar, "billing": billing}


def customer_posts(number):
    return [
        (f"/acme/tickets/{number}/reply", {"body": "I can write here too"}),
        (f"/acme/tickets/{number}/close", {}),
    ]


def staff_posts(number, world):
    return [
        (f"/acme/admin/tickets/{number}/reply", {"body": "Reply outside my department"}),
        (f"/acme/admin/tickets/{number}/close", {}),
        (f"/acme/admin/tickets/{number}/reopen", {}),
        (f"/acme/admin/tickets/{number}/assign", {"department": world.support_id, "assignee": world.staff_id}),
        (f"/acme/admin/tickets/{number}/priority", {"priority": "urgent"}),
    ]


def test_customer_cannot_read_another_customers_ticket(login_as, tickets):
    """Cross-customer read: Oscar's ticket is a 404 for Carla, identical to a missing ticket."""
    carla = login_as("carla@acme.test")
    other = carla.get(f"/acme/tickets/{tickets['oscar'].number}")
    missing = carla.get("/acme/tickets/TKT-000999")
    assert other.status_code == missing.status_code == 404
    assert page_body(other) == page_body(missing)
    assert "Oscar" not in carla.get("/acme/tickets").get_data(as_text=True)


def test_customer_cannot_act_on_another_customers_ticket(app, login_as, tickets):
    """Cross-customer write: reply and close on Oscar's ticket are 404 and change nothing."""
    carla = login_as("carla@acme.test")
    before = snapshot(app)
    for url, data in customer_posts(tickets["oscar"].number):
        assert carla.post(url, data=data).status_code == 404, url
    assert snapshot(app) == before


def test_customer_cannot_download_another_customers_file(login_as, tickets):
    """Cross-customer file access, both ways: through Oscar's ticket, and Oscar's id through Carla's own ticket."""
    carla = login_as("carla@acme.test")
    oscar_file = tickets["oscar"].attachment_ids[0]
    direct = carla.get(f"/acme/tickets/{tickets['oscar'].number}/download?attachment={oscar_file}")
    smuggled = carla.get(f"/acme/tickets/{tickets['carla'].number}/download?attachment={oscar_file}")
    assert direct.status_code == smuggled.status_code == 404
    assert PNG not in direct.get_data() and PNG not in smuggled.get_data()


def test_attachment_id_of_another_ticket_of_the_same_person_is_a_404(login_as, tickets):
    """Attachment ids are checked against the ticket in the URL, even between two tickets Carla may see."""
    carla = login_as("carla@acme.test")
    billing_file = tickets["billing"].attachment_ids[0]
    response = carla.get(f"/acme/tickets/{tickets['carla'].number}/download?attachment={billing_file}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/acme/admin/tickets",
        "/acme/admin/tickets/TKT-000001",
        "/acme/admin/tickets/TKT-000001/download?attachment=1",
        "/acme/admin/departments",
        "/acme/admin/departments/create",
        "/acme/admin/team",
    ],
)
def test_customer_cannot_reach_the_staff_side(app, login_as, tickets, url):
    """Vertical privilege escalation: the staff side is a 404 for customers, even for their own ticket."""
    carla = login_as("carla@acme.test")
    response = carla.get(url)
    assert response.status_code == 404
    assert PNG not in response.get_data()


def test_customer_cannot_use_staff_actions_on_own_ticket(app, login_as, tickets, world):
    """Vertical privilege escalation by POST: a customer cannot reopen, assign or reprioritise, even their own."""
    carla = login_as("carla@acme.test")
    before = snapshot(app)
    for url, data in staff_posts(tickets["carla"].number, world):
        assert carla.post(url, data=data).status_code == 404, url
    assert snapshot(app) == before


def test_staff_cannot_read_tickets_outside_their_departments(app, login_as, tickets):
    """Horizontal access on the staff side: Sam (Support) sees no Billing ticket, by page, queue or file."""
    sam = login_as("sam@acme.test")
    number = tickets["billing"].number
    assert sam.get(f"/acme/admin/tickets/{number}").status_code == 404
    billing_file = tickets["billing"].attachment_ids[0]
    assert sam.get(f"/acme/admin/tickets/{number}/download?attachment={billing_file}").status_code == 404
    queue = sam.get("/acme/admin/tickets?status=open&status=answered&status=closed").get_data(as_text=True)
    assert "Billing dispute" not in queue
    assert "Billing dispute" not in sam.get(f"/acme/admin/tickets?q={number}").get_data(as_text=True)
    # A file of a Billing ticket through a Support ticket Sam may see.
    own = tickets["carla"].number
    assert sam.get(f"/acme/admin/tickets/{own}/download?attachment={billing_file}").status_code == 404


def test_staff_cannot_act_on_tickets_outside_their_departments(app, login_as, tickets, world):
    """Horizontal write on the staff side: every action on a Billing ticket is a 404 for Sam, nothing changes."""
    sam = login_as("sam@acme.test")
    before = snapshot(app)
    for url, data in staff_posts(tickets["billing"].number, world):
        assert sam.post(url, data=data).status_code == 404, url
    assert snapshot(app) == before


def test_staff_sees_a_ticket_assigned_to_them_elsewhere(app, login_as, tickets, world):
    """The rule the guard protects: an assignment outside one's departments does grant access."""
    ada = login_as("ada@acme.test")
    number = tickets["billing"].number
    response = ada.post(
        f"/acme/admin/tickets/{number}/assign", data={"department": world.billing_id, "assignee": world.staff_id}
    )
    assert response.status_code in (302, 303)
    sam = login_as("sam@acme.test")
    assert sam.get(f"/acme/admin/tickets/{number}").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/acme/admin/departments",
        "/acme/admin/departments/create",
        "/acme/admin/departments/{support_id}/edit",
        "/acme/admin/team",
        "/acme/admin/team/create",
        "/acme/admin/team/{customer_id}/edit",
    ],
)
def test_staff_cannot_reach_admin_pages(app, login_as, world, url):
    """Vertical escalation from staff to admin: department and team pages are a 404 for staff."""
    sam = login_as("sam@acme.test")
    assert sam.get(url.format(**vars(world))).status_code == 404


def test_staff_cannot_manage_departments_or_people_by_post(app, login_as, world):
    """Vertical escalation by POST: staff cannot create, edit or switch off departments and people."""
    sam = login_as("sam@acme.test")
    before = snapshot(app)
    posts = [
        ("/acme/admin/departments/create", {"name": "Sam's own", "active": "y"}),
        (f"/acme/admin/departments/{world.billing_id}/edit", {"name": "Renamed", "members": [world.staff_id]}),
        (f"/acme/admin/departments/{world.billing_id}/deactivate", {}),
        (f"/acme/admin/departments/{world.billing_id}/delete", {}),
        ("/acme/admin/team/create", {"name": "Evil", "email": "evil@acme.test", "role": "admin", "password": "x" * 12}),
        (f"/acme/admin/team/{world.staff_id}/edit", {"name": "Sam", "email": "sam@acme.test", "role": "admin"}),
        (f"/acme/admin/team/{world.admin_id}/deactivate", {}),
    ]
    for url, data in posts:
        assert sam.post(url, data=data).status_code == 404, url
    assert snapshot(app) == before


def test_staff_cannot_assign_a_customer(app, login_as, tickets, world):
    """Privilege by assignment: a customer's id is not a valid assignee (it would give them the staff view)."""
    sam = login_as("sam@acme.test")
    before = snapshot(app)
    response = sam.post(
        f"/acme/admin/tickets/{tickets['carla'].number}/assign",
        data={"department": world.support_id, "assignee": world.other_customer_id},
    )
    assert response.status_code == 422
    assert snapshot(app) == before


def test_inactive_department_cannot_be_chosen_by_a_customer(app, login_as, world):
    """Hidden object by id: the inactive Legacy department, posted by id, is refused."""
    carla = login_as("carla@acme.test")
    before = snapshot(app)
    response = carla.post(
        "/acme/tickets/store",
        data={"subject": "Old route", "department": world.legacy_id, "priority": "low", "body": "Hello"},
    )
    assert response.status_code == 422
    assert snapshot(app) == before


def test_deactivated_staff_loses_access_to_tickets(app, login_as, tickets, world):
    """A removed team member's open session cannot keep reading tickets."""
    sam = login_as("sam@acme.test")
    number = tickets["carla"].number
    assert sam.get(f"/acme/admin/tickets/{number}").status_code == 200
    from xobito_tickets.db import session
    from xobito_tickets.models import User

    with app.app_context():
        session.get(User, world.staff_id).active = False
        session.commit()
    response = sam.get(f"/acme/admin/tickets/{number}")
    assert response.status_code == 302 and "/acme/login" in response.headers["Location"]
