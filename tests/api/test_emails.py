"""A ticket opened and answered through the API sends the same emails as through the web,
delivered by the outbox worker to the real SMTP server of the mail suite."""

import pytest

from ..mail.conftest import deliver, extract_emails, sending_config
from .conftest import body


@pytest.fixture
def app_config(app_config, smtp_server):
    app_config.update(sending_config(smtp_server))
    return app_config


def summary(server, skip=0):
    """Who got which email, without the ticket numbers (the two tickets differ only there)."""
    return sorted(
        (tuple(sorted(e.envelope_to)), e.subject.replace("TKT-000001", "N").replace("TKT-000002", "N"))
        for e in extract_emails(server)[skip:]
    )


def test_api_ticket_sends_the_same_emails_as_the_web(app, api, world, tokens, auth, client, smtp_server):
    # On the web.
    auth.login("carla@acme.test")
    response = client.post(
        "/acme/tickets/store",
        data={"subject": "Printer jam", "department": str(world.support_id), "priority": "medium", "body": "Jammed."},
    )
    assert response.status_code in (302, 303)
    auth.logout()
    deliver(app)
    web = summary(smtp_server)
    seen = len(extract_emails(smtp_server))

    # Through the API.
    response = api.post(
        "/tickets",
        tokens.customer,
        json={"subject": "Printer jam", "department": world.support_id, "priority": "medium", "body": "Jammed."},
    )
    assert response.status_code == 201
    deliver(app)
    assert summary(smtp_server, skip=seen) == web
    recipients = {address for to, _ in web for address in to}
    # The receipt to the customer, the notices to the admin and Support's member.
    assert recipients == {"carla@acme.test", "ada@acme.test", "sam@acme.test"}


def test_api_staff_reply_emails_the_customer(app, api, world, tokens, smtp_server):
    number = body(
        api.post("/tickets", tokens.customer, json={"subject": "Hello", "department": world.support_id, "body": "Hi"})
    )["number"]
    deliver(app)
    seen = len(extract_emails(smtp_server))
    api.post(f"/tickets/{number}/replies", tokens.staff, json={"body": "We are looking into it."})
    deliver(app)
    (email,) = extract_emails(smtp_server)[seen:]
    assert email.envelope_to == ["carla@acme.test"] and number in email.subject
    assert "We are looking into it." in email.text
