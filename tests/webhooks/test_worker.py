"""The delivery worker against a real receiver: signing, retries, giving up, switching endpoints off."""

import json
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import OutboxEmail, utcnow
from xobito_tickets.webhooks.models import WebhookDelivery, WebhookEndpoint
from xobito_tickets.webhooks.worker import deliver_due, redeliver

from .conftest import SECRET
from .receiver import Answer


@pytest.fixture
def app_config(app_config):
    app_config["TICKETS_WEBHOOK_ALLOW_PRIVATE"] = True
    return app_config


def add_endpoint(app, tenant_id, url, **values):
    with app.app_context():
        endpoint = WebhookEndpoint(tenant_id=tenant_id, url=url, secret=SECRET, **values)
        session.add(endpoint)
        session.commit()
        return endpoint.id


def add_delivery(app, endpoint_id, tenant_id, event="ticket.created", **values):
    with app.app_context():
        event_id = str(uuid.uuid4())
        body = json.dumps({"id": event_id, "type": event, "tenant": "acme", "data": {}})
        delivery = WebhookDelivery(
            tenant_id=tenant_id,
            endpoint_id=endpoint_id,
            uid=str(uuid.uuid4()),
            event_id=event_id,
            event=event,
            body=body,
            **values,
        )
        session.add(delivery)
        session.commit()
        return delivery.id


def get(app, model, row_id):
    with app.app_context():
        row = session.get(model, row_id)
        session.expunge(row)
        return row


def run(app):
    with app.app_context():
        return deliver_due()


def test_due_delivery_is_sent_signed_and_marked_delivered(app, world, receiver):
    endpoint_id = add_endpoint(app, world.acme_id, receiver.url())
    delivery_id = add_delivery(app, endpoint_id, world.acme_id)
    stats = run(app)
    assert stats.delivered == 1
    (request,) = receiver.received
    delivery = get(app, WebhookDelivery, delivery_id)
    assert request.signature_ok is True
    assert request.body.decode() == delivery.body
    assert request.headers["X-Xobito-Event"] == "ticket.created"
    assert request.headers["X-Xobito-Delivery"] == delivery.event_id == request.json()["id"]
    assert delivery.status == "delivered" and delivery.response_code == 200 and delivery.attempts == 1
    assert delivery.delivered_at is not None and delivery.last_error is None
    # Nothing left: a second pass sends nothing.
    assert run(app).handled == 0 and len(receiver.received) == 1


def test_failed_attempt_is_retried_later_with_back_off(app, world, receiver):
    receiver.default = Answer(status=503, body=b"down")
    endpoint_id = add_endpoint(app, world.acme_id, receiver.url())
    delivery_id = add_delivery(app, endpoint_id, world.acme_id)
    before = utcnow()
    assert run(app).retried == 1
    delivery = get(app, WebhookDelivery, delivery_id)
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.response_code == 503
    assert delivery.last_error == "answered 503" and delivery.response_excerpt == "down"
    # The default first back-off is 30 s (±10 %).
    assert before + timedelta(seconds=26) < delivery.next_attempt_at < before + timedelta(seconds=35)
    assert get(app, WebhookEndpoint, endpoint_id).failing_since is not None
    # Not due yet: the next pass leaves it.
    assert run(app).handled == 0
    with app.app_context():
        session.execute(sa.update(WebhookDelivery).values(next_attempt_at=utcnow()))
        session.commit()
    receiver.default = Answer(status=204, body=b"")
    assert run(app).delivered == 1
    delivery = get(app, WebhookDelivery, delivery_id)
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert get(app, WebhookEndpoint, endpoint_id).failing_since is None
    assert len(receiver.received) == 2
    # Both attempts carry the same event and delivery id, each signed afresh.
    assert len({r.headers["X-Xobito-Delivery"] for r in receiver.received}) == 1


def test_delivery_failing_for_a_day_is_marked_failed(app, world, receiver):
    receiver.default = Answer(status=500)
    endpoint_id = add_endpoint(app, world.acme_id, receiver.url())
    delivery_id = add_delivery(
        app, endpoint_id, world.acme_id, created_at=utcnow() - timedelta(hours=23, minutes=59, seconds=40)
    )
    assert run(app).failed == 1
    delivery = get(app, WebhookDelivery, delivery_id)
    assert delivery.status == "failed" and delivery.response_code == 500


def test_endpoint_failing_for_a_day_is_switched_off_and_admins_emailed(app, world, receiver):
    receiver.default = Answer(status=500)
    endpoint_id = add_endpoint(app, world.acme_id, receiver.url(), failing_since=utcnow() - timedelta(hours=24))
    add_delivery(app, endpoint_id, world.acme_id)
    later_id = add_delivery(app, endpoint_id, world.acme_id, next_attempt_at=utcnow() + timedelta(hours=1))
    stats = run(app)
    assert stats.disabled == 1
    endpoint = get(app, WebhookEndpoint, endpoint_id)
    assert endpoint.active is False and "24 hours" in endpoint.disabled_reason
    with app.app_context():
        emails = session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == "webhook_disabled")).all()
        assert [e.recipient_email for e in emails] == ["ada@acme.test"]
        assert receiver.url() in emails[0].subject
        # Due later: when its time comes it is not sent to a switched-off endpoint.
        session.execute(sa.update(WebhookDelivery).values(next_attempt_at=utcnow()))
        session.commit()
    sent = len(receiver.received)
    run(app)
    assert len(receiver.received) == sent
    assert get(app, WebhookDelivery, later_id).status == "failed"


def test_redeliver_sends_the_same_event_as_a_new_delivery(app, world, receiver):
    endpoint_id = add_endpoint(app, world.acme_id, receiver.url())
    delivery_id = add_delivery(app, endpoint_id, world.acme_id)
    run(app)
    with app.app_context():
        copy = redeliver(session.get(WebhookDelivery, delivery_id))
        copy_id = copy.id
    run(app)
    first, second = receiver.received
    assert first.body == second.body and first.json()["id"] == second.json()["id"]
    assert first.headers["X-Xobito-Delivery"] == second.headers["X-Xobito-Delivery"] == first.json()["id"]
    assert second.signature_ok is True
    assert get(app, WebhookDelivery, copy_id).status == "delivered"


def test_stale_claim_of_a_dead_worker_is_delivered_again(app, world, receiver):
    endpoint_id = add_endpoint(app, world.acme_id, receiver.url())
    delivery_id = add_delivery(
        app,
        endpoint_id,
        world.acme_id,
        status="delivering",
        claimed_by="dead-worker",
        claimed_at=utcnow() - timedelta(minutes=10),
        attempts=1,
    )
    stats = run(app)
    assert stats.recovered == 1 and stats.delivered == 1
    assert get(app, WebhookDelivery, delivery_id).status == "delivered"


def test_many_deliveries_are_sent_in_parallel_batches(app, world, receiver):
    app.config["TICKETS_WEBHOOK_BATCH_SIZE"] = 7
    endpoint_id = add_endpoint(app, world.acme_id, receiver.url())
    for _ in range(30):
        add_delivery(app, endpoint_id, world.acme_id)
    assert run(app).delivered == 30
    assert len(receiver.received) == 30 and all(r.signature_ok for r in receiver.received)


def test_internal_address_is_refused_at_delivery_without_allow_private(app, world, receiver):
    app.config["TICKETS_WEBHOOK_ALLOW_PRIVATE"] = False
    endpoint_id = add_endpoint(app, world.acme_id, receiver.url(host="localhost"))
    delivery_id = add_delivery(app, endpoint_id, world.acme_id)
    assert run(app).retried == 1
    delivery = get(app, WebhookDelivery, delivery_id)
    assert "loopback" in delivery.last_error and delivery.response_code is None
    assert receiver.received == []
