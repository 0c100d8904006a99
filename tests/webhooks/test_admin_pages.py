"""The admins' webhook pages: add (secret shown once), refuse internal URLs, log, redeliver, switch."""

import re

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.webhooks.models import WebhookDelivery, WebhookEndpoint
from xobito_tickets.webhooks.worker import deliver_due

from ..api.conftest import ApiClient, Tokens
from ..conftest import csrf_token_from
from .receiver import Answer


@pytest.fixture
def app_config(app_config):
    app_config["TICKETS_WEBHOOK_ALLOW_PRIVATE"] = True
    return app_config


def add(client, url, events=(), description=""):
    return client.post("/acme/admin/webhooks", data={"url": url, "events": list(events), "description": description})


def endpoint_row(app):
    with app.app_context():
        row = session.scalar(sa.select(WebhookEndpoint))
        session.expunge(row)
        return row


def test_admin_adds_an_endpoint_and_sees_the_secret_once(app, world, auth, client, receiver):
    auth.login("ada@acme.test")
    response = add(client, receiver.url(), ["ticket.created", "ticket.closed"], "CRM sync")
    assert response.status_code == 201
    secret = re.search(r'id="webhook-secret">([^<]+)<', response.get_data(as_text=True)).group(1)
    row = endpoint_row(app)
    assert row.secret == secret and row.events == ["ticket.created", "ticket.closed"] and row.tenant_id == world.acme_id
    listing = client.get("/acme/admin/webhooks").get_data(as_text=True)
    assert receiver.url() in listing and secret not in listing
    detail = client.get(f"/acme/admin/webhooks/{row.id}").get_data(as_text=True)
    assert secret not in detail


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("", "Enter the URL"),
    ],
)
def test_refused_urls_come_back_with_the_reason_and_store_nothing(app, world, auth, client, url, message):
    app.config["TICKETS_WEBHOOK_ALLOW_PRIVATE"] = False
    auth.login("ada@acme.test")
    response = add(client, url)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_loopback_is_refused_without_allow_private(app, world, auth, client, receiver):
    app.config["TICKETS_WEBHOOK_ALLOW_PRIVATE"] = False
    auth.login("ada@acme.test")
    response = add(client, receiver.url(host="localhost"))
    assert response.status_code == 422 and "loopback" in response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["sam@acme.test", "carla@acme.test"])
def test_staff_and_customers_get_404(app, world, auth, client, receiver, email):
    auth.login("ada@acme.test")
    add(client, receiver.url())
    endpoint_id = endpoint_row(app).id
    auth.logout()
    auth.login(email)
    assert client.get("/acme/admin/webhooks").status_code == 404
    assert add(client, receiver.url()).status_code == 404
    assert client.get(f"/acme/admin/webhooks/{endpoint_id}").status_code == 404
    assert client.post(f"/acme/admin/webhooks/{endpoint_id}/delete").status_code == 404
    assert endpoint_row(app).id == endpoint_id


def test_other_workspaces_admin_gets_404(app, world, auth, client, receiver):
    auth.login("ada@acme.test")
    add(client, receiver.url())
    endpoint_id = endpoint_row(app).id
    auth.logout()
    auth.login("gary@globex.test", tenant="globex")
    assert client.get(f"/globex/admin/webhooks/{endpoint_id}").status_code == 404
    assert client.post(f"/globex/admin/webhooks/{endpoint_id}/disable").status_code == 404
    assert endpoint_row(app).active is True


def test_log_shows_deliveries_and_redeliver_sends_again(app, world, auth, client, receiver):
    auth.login("ada@acme.test")
    response = add(client, receiver.url())
    receiver.secret = re.search(r'id="webhook-secret">([^<]+)<', response.get_data(as_text=True)).group(1)
    endpoint_id = endpoint_row(app).id
    api, tokens = ApiClient(app), Tokens(app, world)
    receiver.answers = [Answer(status=500, body=b"oops")]
    api.post("/tickets", tokens.customer, json={"subject": "Hook me", "department": world.support_id, "body": "B"})
    with app.app_context():
        deliver_due()
        session.execute(sa.update(WebhookDelivery).values(next_attempt_at=sa.func.current_timestamp()))
        session.commit()
    page = client.get(f"/acme/admin/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "ticket.created" in page and "500" in page and "oops" in page
    with app.app_context():
        deliver_due()
        delivery_id = session.scalar(sa.select(WebhookDelivery.id))
    assert "Delivered" in client.get(f"/acme/admin/webhooks/{endpoint_id}").get_data(as_text=True)
    response = client.post(f"/acme/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver")
    assert response.status_code == 303
    with app.app_context():
        deliver_due()
    assert len(receiver.received) == 3
    assert receiver.received[1].json()["id"] == receiver.received[2].json()["id"]
    assert all(r.signature_ok for r in receiver.received)


def test_switch_off_and_on(app, world, auth, client, receiver):
    auth.login("ada@acme.test")
    add(client, receiver.url())
    endpoint_id = endpoint_row(app).id
    assert client.post(f"/acme/admin/webhooks/{endpoint_id}/disable").status_code == 303
    assert endpoint_row(app).active is False
    api, tokens = ApiClient(app), Tokens(app, world)
    api.post("/tickets", tokens.customer, json={"subject": "Quiet", "department": world.support_id, "body": "B"})
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0
    assert client.post(f"/acme/admin/webhooks/{endpoint_id}/enable").status_code == 303
    assert endpoint_row(app).active is True


def test_forms_need_a_csrf_token(app, world, auth, client, receiver):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/acme/login").get_data(as_text=True)
    client.post("/acme/login", data={"email": "ada@acme.test", "password": "correct horse battery",
                                     "csrf_token": csrf_token_from(page)})  # fmt: skip
    assert add(client, receiver.url()).status_code == 400
    token = csrf_token_from(client.get("/acme/admin/webhooks").get_data(as_text=True))
    response = client.post("/acme/admin/webhooks", data={"url": receiver.url(), "csrf_token": token})
    assert response.status_code == 201
