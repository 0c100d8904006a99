"""Flooding (issue found by an outside scan: one customer posted 1,000 replies in 20 s and queued
3,000 emails): each person may post a limited number of tickets and replies per window. Past it
the answer is a readable 429 with Retry-After and nothing is stored; other people are unaffected."""

import pytest

from .conftest import snapshot


@pytest.fixture
def app_config(app_config):
    app_config.update(TICKETS_POST_LIMIT_REPLIES=3, TICKETS_POST_LIMIT_TICKETS=2, TICKETS_POST_LIMIT_WINDOW=600)
    return app_config


def _reply(client, number, text="Any news on this one?"):
    return client.post(f"/acme/tickets/{number}/reply", data={"body": text})


def test_a_customer_past_the_reply_limit_gets_a_429_and_nothing_is_stored(app, make, login_as):
    ticket = make.ticket()
    carla = login_as("carla@acme.test")
    for _ in range(3):
        assert _reply(carla, ticket.number).status_code == 303
    before = snapshot(app)
    response = _reply(carla, ticket.number, "A fourth reply in a minute")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 600
    page = response.get_data(as_text=True)
    assert "You have sent a lot in a short time" in page
    assert "Too many failed attempts" not in page
    assert snapshot(app) == before


def test_the_limit_is_per_person(app, make, login_as):
    ticket = make.ticket()
    carla = login_as("carla@acme.test")
    for _ in range(3):
        assert _reply(carla, ticket.number).status_code == 303
    assert _reply(carla, ticket.number).status_code == 429
    sam = login_as("sam@acme.test")
    response = sam.post(f"/acme/admin/tickets/{ticket.number}/reply", data={"body": "Looking into it now"})
    assert response.status_code == 303


def test_creating_tickets_is_limited_too(app, world, login_as):
    carla = login_as("carla@acme.test")
    form = {"subject": "Printer", "department": world.support_id, "priority": "medium", "body": "It is broken"}
    for _ in range(2):
        assert carla.post("/acme/tickets/store", data=form).status_code == 303
    before = snapshot(app)
    response = carla.post("/acme/tickets/store", data=form)
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert snapshot(app) == before
