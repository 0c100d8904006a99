"""The profile page: name, language, time zone, password, and which emails a staff member gets."""

from datetime import UTC, datetime

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, OutboxEmail, Tenant, User
from xobito_tickets.tickets.services import open_ticket

from ..conftest import PASSWORD
from .conftest import user_row


def save(client, **fields):
    data = {"name": "Carla Customer", "language": "", "timezone": "UTC"}
    data.update(fields)
    return client.post("/acme/profile", data=data)


def test_profile_saves_name_language_and_zone(client, auth, world, app):
    auth.login("carla@acme.test")
    page = client.get("/acme/profile").get_data(as_text=True)
    assert "Your profile" in page and "Europe/Berlin" in page and "Deutsch" in page
    response = save(client, name="Carla Kunde", language="de", timezone="Europe/Berlin")
    assert response.status_code == 303
    carla = user_row(app, "carla@acme.test")
    assert (carla.name, carla.language, carla.timezone) == ("Carla Kunde", "de", "Europe/Berlin")
    after = client.get("/acme/profile").get_data(as_text=True)
    assert '<html lang="de">' in after and "Ihr Profil wurde gespeichert." in after


def test_bad_profile_input_is_refused_next_to_the_field(client, auth, world, app):
    auth.login("carla@acme.test")
    response = save(client, name="Carla", timezone="Mars/Olympus", language="tlh")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose one of the listed time zones." in html and "Choose one of the listed languages." in html
    assert 'value="Carla"' in html
    carla = user_row(app, "carla@acme.test")
    assert (carla.name, carla.language, carla.timezone) == ("Carla Customer", None, None)


def test_password_change_asks_the_current_one_and_logs_out_other_devices(client, auth, world, app):
    other = app.test_client()
    other.post("/acme/login", data={"email": "carla@acme.test", "password": PASSWORD})
    auth.login("carla@acme.test")
    new = {"new_password": "a brand new one", "confirm": "a brand new one"}
    wrong = client.post("/acme/profile/password", data={"current_password": "guess", **new})
    assert wrong.status_code == 422 and "This is not your current password." in wrong.get_data(as_text=True)
    assert other.get("/acme/tickets").status_code == 200
    ok = client.post("/acme/profile/password", data={"current_password": PASSWORD, **new})
    assert ok.status_code == 303
    assert client.get("/acme/tickets").status_code == 200  # this device stays logged in
    assert other.get("/acme/tickets").status_code == 302  # the other one does not
    client.post("/acme/logout")
    assert auth.login("carla@acme.test").status_code == 422
    assert auth.login("carla@acme.test", password="a brand new one").status_code == 302


def test_staff_turn_off_new_ticket_emails(client, auth, world, app):
    auth.login("sam@acme.test")
    page = client.get("/acme/profile").get_data(as_text=True)
    assert "A new ticket in my departments" in page
    keep = ["reply_posted", "ticket_assigned", "ticket_closed", "ticket_reopened"]
    response = client.post(
        "/acme/profile", data={"name": "Sam Support", "language": "", "timezone": "UTC", "notifications": keep}
    )
    assert response.status_code == 303
    assert user_row(app, "sam@acme.test").muted_notifications == ["ticket_created"]
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        open_ticket(acme, session.get(User, world.customer_id), session.get(Department, world.support_id), "S", "B")
        told = set(session.scalars(sa.select(OutboxEmail.recipient_email).where(OutboxEmail.kind == "ticket_created")))
    # Sam (Support's member) muted it; the admin still hears about the new ticket.
    assert "sam@acme.test" not in told and "ada@acme.test" in told


def test_customers_have_no_notification_choices(client, auth, world):
    auth.login("carla@acme.test")
    assert "A new ticket in my departments" not in client.get("/acme/profile").get_data(as_text=True)


def test_times_on_pages_follow_the_person_across_the_dst_change(client, auth, world, app):
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        carla = session.get(User, world.customer_id)
        carla.timezone = "Europe/Berlin"
        session.commit()
        before = open_ticket(acme, carla, session.get(Department, world.support_id), "Before", "the change")
        after = open_ticket(acme, carla, session.get(Department, world.support_id), "After", "the change")
        before.created_at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
        after.created_at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        session.commit()
        numbers = before.display_number, after.display_number
    auth.login("carla@acme.test")
    first = client.get(f"/acme/tickets/{numbers[0]}").get_data(as_text=True)
    second = client.get(f"/acme/tickets/{numbers[1]}").get_data(as_text=True)
    assert 'title="Mar 29, 2026, 1:30:00\u202fAM CET"' in first
    assert 'title="Mar 29, 2026, 3:30:00\u202fAM CEST"' in second
    with app.app_context():
        session.get(User, world.customer_id).language = "de"
        session.commit()
    german = client.get(f"/acme/tickets/{numbers[1]}").get_data(as_text=True)
    assert 'title="29.03.2026, 03:30:00 CEST"' in german


def test_profile_and_tokens_page_link_to_each_other(client, auth, world, app):
    for email in ("sam@acme.test", "carla@acme.test"):  # customers may have tokens too (they see their own tickets)
        auth.login(email)
        profile = client.get("/acme/profile").get_data(as_text=True)
        assert 'href="/acme/profile/tokens"' in profile, email
        tokens = client.get("/acme/profile/tokens")
        assert tokens.status_code == 200
        # Its own way back (the header's menu aside).
        assert '<a href="/acme/profile" id="xt-tokens-back">' in tokens.get_data(as_text=True)
        auth.logout()
    # With the API switched off there is nothing to make tokens for: no link.
    app.config["TICKETS_API"] = False
    auth.login("sam@acme.test")
    assert 'href="/acme/profile/tokens"' not in client.get("/acme/profile").get_data(as_text=True)
