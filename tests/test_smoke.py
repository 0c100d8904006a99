from xobito_tickets.models import Ticket

from .conftest import count_rows


def test_customer_story(client, auth, world, app):
    r = client.get("/acme/tickets")
    assert r.status_code == 302 and "/acme/login?next=/acme/tickets" in r.headers["Location"]
    r = auth.login("carla@acme.test")
    assert r.status_code == 302
    r = client.get("/acme/tickets")
    assert r.status_code == 200
    assert "You have no tickets yet" in r.get_data(as_text=True)
    r = client.get("/acme/tickets/create")
    assert "Support" in r.get_data(as_text=True) and "Legacy" not in r.get_data(as_text=True)
    r = client.post(
        "/acme/tickets/store",
        data={"subject": "Broken", "department": world.support_id, "priority": "high", "body": "It is broken"},
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    assert r.headers["Location"].endswith("/acme/tickets/TKT-000001")
    r = client.get("/acme/tickets/TKT-000001")
    assert "It is broken" in r.get_data(as_text=True)
    assert count_rows(app, Ticket) == 1
