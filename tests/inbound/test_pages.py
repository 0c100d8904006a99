"""The inbound pages: the log and its quarantine actions, the settings, the raw message, the dev mailbox button."""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.inbound.models import InboundMessage, InboundSettings
from xobito_tickets.inbound.settings import inbound_token
from xobito_tickets.models import Tenant

from .test_ingest import DOMAIN, eml, run, ticket


@pytest.fixture
def app_config(app_config):
    app_config.update(TICKETS_INBOUND_DOMAIN=DOMAIN)
    return app_config


@pytest.fixture
def quarantined(app, world):
    """A stranger's answer to TKT-000001 (quarantined) and the ticket itself, opened by Carla."""
    assert run(app, eml("carla@acme.test")).outcome == "new_ticket"
    result = run(app, eml("Mallory <mallory@evil.example>", subject="Re: [TKT-000001] x", body="<b>Let me in</b>"))
    assert result.outcome == "quarantined"
    return result.log_id


@pytest.mark.parametrize("email", ["sam@acme.test", "carla@acme.test", "gary@globex.test"])
def test_the_log_is_for_the_workspaces_admins_only(client, auth, quarantined, email):
    tenant = "globex" if email.endswith("globex.test") else "acme"
    auth.login(email, tenant=tenant)
    assert client.get("/acme/admin/inbound").status_code in (302, 404)
    assert client.get(f"/{tenant}/admin/inbound/{quarantined}").status_code == 404
    assert client.post(f"/{tenant}/admin/inbound/{quarantined}/discard").status_code == 404


def test_the_log_lists_messages_escaped_and_shows_text_never_html(client, auth, quarantined):
    auth.login("ada@acme.test")
    page = client.get("/acme/admin/inbound").get_data(as_text=True)
    assert "mallory@evil.example" in page and "Quarantined" in page
    assert "the sender may not post to TKT-000001" in page
    detail = client.get(f"/acme/admin/inbound/{quarantined}").get_data(as_text=True)
    assert "&lt;b&gt;Let me in&lt;/b&gt;" in detail and "<b>Let me in</b>" not in detail
    raw = client.get(f"/acme/admin/inbound/{quarantined}/raw")
    assert raw.status_code == 200 and raw.mimetype == "message/rfc822"
    assert raw.headers["Content-Disposition"].startswith("attachment;")
    assert raw.headers["X-Content-Type-Options"] == "nosniff"
    assert b"mallory@evil.example" in raw.data


def test_attach_a_quarantined_message_to_a_ticket(app, client, auth, quarantined):
    auth.login("ada@acme.test")
    response = client.post(f"/acme/admin/inbound/{quarantined}/attach", data={"ticket": "TKT-999999"})
    assert response.status_code == 422 and "No ticket with this number." in response.get_data(as_text=True)
    response = client.post(f"/acme/admin/inbound/{quarantined}/attach", data={"ticket": "TKT-000001"})
    assert response.status_code == 303
    assert ticket(app)["replies"] == [("mallory@evil.example", "<b>Let me in</b>")]
    with app.app_context():
        row = session.get(InboundMessage, quarantined)
        assert row.outcome == "reply" and row.reason == "attached to TKT-000001 by Ada Admin"
    # Released once: a second try changes nothing.
    client.post(f"/acme/admin/inbound/{quarantined}/attach", data={"ticket": "TKT-000001"})
    assert len(ticket(app)["replies"]) == 1


def test_open_a_quarantined_message_as_a_new_ticket_and_discard_another(app, client, auth, quarantined):
    auth.login("ada@acme.test")
    assert client.post(f"/acme/admin/inbound/{quarantined}/open").status_code == 303
    assert ticket(app, 2)["requester"] == "mallory@evil.example"
    second = run(app, eml("eve@evil.example", subject="[TKT-000001] again", body="Another try")).log_id
    assert client.post(f"/acme/admin/inbound/{second}/discard").status_code == 303
    with app.app_context():
        row = session.get(InboundMessage, second)
        assert row.outcome == "discarded" and row.raw_key is None
    assert client.get(f"/acme/admin/inbound/{second}/raw").status_code == 404


def test_quarantine_actions_need_the_csrf_token(app, client, auth, quarantined):
    auth.login("ada@acme.test")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/acme/admin/inbound/{quarantined}/discard").status_code == 400
    with app.app_context():
        assert session.get(InboundMessage, quarantined).outcome == "quarantined"


def test_staff_open_the_raw_email_from_a_ticket_they_may_see(app, client, auth, world):
    run(app, eml("carla@acme.test", to=f"acme+support@{DOMAIN}"))
    with app.app_context():
        row_id = session.scalar(sa.select(InboundMessage.id))
    auth.login("sam@acme.test")
    page = client.get("/acme/admin/tickets/TKT-000001").get_data(as_text=True)
    assert "Emails received" in page
    response = client.get(f"/acme/admin/tickets/TKT-000001/emails/{row_id}")
    assert response.status_code == 200 and response.mimetype == "message/rfc822"
    auth.logout()
    auth.login("bea@acme.test")  # Billing: may not see a Support ticket
    assert client.get(f"/acme/admin/tickets/TKT-000001/emails/{row_id}").status_code == 404


def test_settings_page_saves_the_mailbox_and_rotates_the_token(app, client, auth, world):
    auth.login("ada@acme.test")
    assert client.get("/acme/admin/inbound/settings").status_code == 200
    bad = client.post(
        "/acme/admin/inbound/settings",
        data={"default_department": "", "imap_host": "imap.example.com", "imap_port": "99999", "imap_folder": "INBOX"},
    )
    assert bad.status_code == 422 and "Enter a port from 1 to 65535." in bad.get_data(as_text=True)
    good = {
        "default_department": str(world.support_id),
        "imap_host": "imap.example.com",
        "imap_port": "993",
        "imap_user": "help@example.com",
        "imap_password": "app-password",
        "imap_folder": "INBOX",
    }
    assert client.post("/acme/admin/inbound/settings", data=good).status_code == 303
    client.post("/acme/admin/inbound/settings", data={**good, "imap_password": ""})
    with app.app_context():
        settings = session.get(InboundSettings, world.acme_id)
        assert settings.imap_password == "app-password" and settings.default_department_id == world.support_id
    page = client.get("/acme/admin/inbound/settings").get_data(as_text=True)
    assert "app-password" not in page
    assert client.post("/acme/admin/inbound/settings/token").status_code == 303
    with app.app_context():
        token = inbound_token(session.get(Tenant, world.acme_id))
    assert token in client.get("/acme/admin/inbound/settings").get_data(as_text=True)
    run(app, eml("carla@acme.test"))
    assert ticket(app)["department"] == "Support"


def test_a_foreign_department_cannot_be_the_default(client, auth, world):
    auth.login("ada@acme.test")
    response = client.post(
        "/acme/admin/inbound/settings",
        data={"default_department": str(world.globex_support_id), "imap_port": "993", "imap_folder": "INBOX"},
    )
    assert response.status_code == 422
