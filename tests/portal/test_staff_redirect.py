"""Staff who open the customer pages are sent to the staff view of the same page."""

import pytest


@pytest.fixture
def staff(app, client, auth, world):
    if "tickets.admin.ticket_queue" not in app.view_functions:
        pytest.skip("the staff side (tickets.admin) is not installed")
    assert auth.login("sam@acme.test").status_code == 302
    return client


def test_staff_land_on_the_queue_after_login(app, client, auth, world):
    response = auth.login("sam@acme.test")
    if "tickets.admin.ticket_queue" in app.view_functions:
        assert response.headers["Location"] == "/acme/admin/tickets"
    else:
        assert response.headers["Location"] == "/acme/tickets"


def test_staff_opening_the_list_go_to_the_queue(staff):
    response = staff.get("/acme/tickets?status=open&status=answered&priority=high")
    assert response.status_code == 302
    assert response.headers["Location"] == "/acme/admin/tickets?status=open&status=answered&priority=high"


def test_staff_opening_a_ticket_go_to_its_staff_view(staff, make):
    number = make.ticket().number
    response = staff.get(f"/acme/tickets/{number}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/acme/admin/tickets/{number}"
    assert staff.get(response.headers["Location"]).status_code == 200


def test_customers_are_not_redirected(customer, make, app):
    number = make.ticket().number
    assert customer.get("/acme/tickets").status_code == 200
    assert customer.get(f"/acme/tickets/{number}").status_code == 200
    if "tickets.admin.ticket_queue" in app.view_functions:
        assert customer.get("/acme/admin/tickets").status_code == 404
        assert customer.get(f"/acme/admin/tickets/{number}").status_code == 404
