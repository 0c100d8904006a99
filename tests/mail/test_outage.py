"""An SMTP outage: the change succeeds, nothing is lost, everything is delivered once the server is back."""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import OutboxEmail

from ..conftest import PASSWORD
from .conftest import SMTPServer, deliver, extract_emails, free_port
from .test_events import ADA, CARLA, SAM
from .test_outbox import outbox_states


@pytest.fixture
def down_port():
    return free_port()


@pytest.fixture
def mail_config(mail_config, down_port):
    # Flask-Mail points at a port where nothing listens yet.
    return {**mail_config, "MAIL_PORT": down_port}


def test_smtp_down_loses_nothing_and_delivers_everything_once_it_is_back(app, world, client, down_port):
    client.post("/acme/login", data={"email": CARLA, "password": PASSWORD})
    response = client.post(
        "/acme/tickets/store",
        data={"subject": "During the outage", "department": world.support_id, "priority": "high", "body": "Hi"},
    )
    assert response.status_code == 303  # the change succeeds while SMTP is down
    stats = deliver(app)
    assert (stats.sent, stats.retried, stats.failed) == (0, 3, 0)
    assert "cannot connect to the SMTP server" in stats.errors[-1]
    stats = deliver(app)  # still down: tried again, still queued
    assert (stats.sent, stats.retried) == (0, 3)
    with app.app_context():
        rows = session.scalars(sa.select(OutboxEmail)).all()
        assert {(r.status, r.attempts) for r in rows} == {("pending", 2)}
        assert all("cannot connect" in r.last_error for r in rows)

    server = SMTPServer(port=down_port).start()
    try:
        stats = deliver(app)
        assert (stats.sent, stats.retried, stats.failed) == (3, 0, 0)
        emails = extract_emails(server)
        assert sorted(e.envelope_to[0] for e in emails) == sorted([ADA, SAM, CARLA])
        assert deliver(app).sent == 0  # and never again
        assert len(server.received) == 3
    finally:
        server.stop()
    assert outbox_states(app) == {"sent": 3}
