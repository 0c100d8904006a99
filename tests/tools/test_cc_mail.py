"""CC emails through a real SMTP server: the customer's view of public events, never staff-only data."""

import pytest

from xobito_tickets.db import session
from xobito_tickets.models import Tenant, User
from xobito_tickets.team.services import create_user, update_person

from ..mail.conftest import deliver, emails_to, extract_emails, sending_config
from ..staff.conftest import login
from .conftest import outbox

SAM, ADA, CARLA, ALEX = "sam@acme.test", "ada@acme.test", "carla@acme.test", "alex@acme.test"
BOSS = "boss@example.com"


@pytest.fixture
def app_config(app_config, smtp_server):
    app_config.update(sending_config(smtp_server))
    return app_config


@pytest.fixture
def copied(app, world, desk, smtp_server):
    """Sam's client, with boss@example.com copied on the open ticket and the outbox emptied."""
    client = app.test_client()
    login(client, SAM)
    assert client.post(f"/acme/admin/tickets/{desk.open_number}/cc", data={"email": BOSS}).status_code == 303
    deliver(app)
    assert emails_to(smtp_server, BOSS) == []  # being copied is not itself announced
    return client


def _staff_only_words(world):
    return ["Alex Assigned", "Priority", "Assignee", "sam@acme.test", "/admin/"]


def test_a_cc_gets_staff_replies_in_the_customers_view(app, world, desk, smtp_server, copied):
    before = len(extract_emails(smtp_server))
    response = copied.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "We replaced the fuser."})
    assert response.status_code == 303
    deliver(app)
    mails = emails_to(smtp_server, BOSS)
    assert len(mails) == 1
    mail = mails[0]
    assert desk.open_number in mail.subject
    assert "We replaced the fuser." in mail.text
    for word in _staff_only_words(world):
        assert word not in mail.text and word not in mail.html, word
    # The customer still gets exactly one email for the same reply.
    assert len([m for m in extract_emails(smtp_server)[before:] if m.to_address == CARLA]) == 1


def test_a_copied_address_that_became_the_customers_gets_one_email_per_reply(app, world, desk, smtp_server, copied):
    # The admin gives Carla the address copied on her ticket: customer and CC are one mailbox now.
    with app.test_request_context():
        carla = session.get(User, world.customer_id)
        update_person(session.get(User, world.admin_id), carla, carla.name, BOSS, carla.role)
    response = copied.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "We replaced the fuser."})
    assert response.status_code == 303
    deliver(app)
    assert len(emails_to(smtp_server, BOSS)) == 1


def test_a_copy_is_in_the_language_of_the_copied_persons_own_account_in_this_workspace(
    app, world, desk, smtp_server, copied
):
    def copy_subject(body):
        assert copied.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": body}).status_code == 303
        deliver(app)
        return emails_to(smtp_server, BOSS)[-1].subject

    # The address is a Spanish-speaking person's in another workspace: nothing of theirs is
    # read here, the copy is in the requester's language (Carla's: English).
    with app.test_request_context():
        gina = create_user(session.get(Tenant, world.globex_id), "Boss@Example.com", "Boss at Globex", commit=False)
        gina.language = "es"
        session.commit()
    assert copy_subject("First answer.").startswith(f"[{desk.open_number}] New reply")
    # The same address becomes a German-speaking customer of this workspace: the copy is German.
    with app.test_request_context():
        boss = create_user(session.get(Tenant, world.acme_id), "BOSS@example.com", "Boss", commit=False)
        boss.language = "de"
        session.commit()
    assert copy_subject("Second answer.").startswith(f"[{desk.open_number}] Neue Antwort")


def test_a_cc_hears_of_a_close_and_reopen_by_staff(app, world, desk, smtp_server, copied):
    copied.post(f"/acme/admin/tickets/{desk.open_number}/close")
    copied.post(f"/acme/admin/tickets/{desk.open_number}/reopen")
    deliver(app)
    subjects = [m.subject for m in emails_to(smtp_server, BOSS)]
    assert any("Closed" in s for s in subjects) and any("Reopened" in s for s in subjects)


def test_a_cc_gets_nothing_staff_only(app, world, desk, smtp_server, copied):
    # Assignment and priority are staff business: no email to the CC.
    copied.post(
        f"/acme/admin/tickets/{desk.open_number}/assign",
        data={"department": world.support_id, "assignee": world.staff_id},
    )
    copied.post(f"/acme/admin/tickets/{desk.open_number}/priority", data={"priority": "urgent"})
    deliver(app)
    assert emails_to(smtp_server, BOSS) == []
    payloads = [payload for kind, to, payload in outbox(app) if to == BOSS]
    for payload in payloads:
        assert set(payload["ticket"]) == {"number", "subject", "status", "department", "url"}


def test_a_customers_own_reply_is_not_copied_as_a_customer_facing_email(app, world, desk, smtp_server, copied):
    carla = app.test_client()
    login(carla, CARLA)
    carla.post(f"/acme/tickets/{desk.open_number}/reply", data={"body": "Still smoking a bit."})
    deliver(app)
    assert emails_to(smtp_server, BOSS) == []


def test_a_copied_staff_member_is_not_told_of_their_own_reply(app, world, desk, smtp_server, copied):
    assert copied.post(f"/acme/admin/tickets/{desk.open_number}/cc", data={"email": ALEX}).status_code == 303
    earlier = len(emails_to(smtp_server, ALEX))  # the desk's assignment notices
    alex = app.test_client()
    login(alex, ALEX)
    assert (
        alex.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Alex here, on my way."}).status_code
        == 303
    )
    deliver(app)
    assert len(emails_to(smtp_server, ALEX)) == earlier
    admin = app.test_client()
    login(admin, ADA)
    admin.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Admin here, fixed."})
    deliver(app)
    assert len(emails_to(smtp_server, ALEX)) == earlier + 1
    assert len(emails_to(smtp_server, BOSS)) == 2


def test_a_note_never_reaches_a_cc_and_send_and_close_is_one_copy(app, world, desk, smtp_server, copied):
    response = copied.post(
        f"/acme/admin/tickets/{desk.open_number}/note", data={"body": "Internal: customer is on the old plan. @Ada"}
    )
    assert response.status_code == 303
    deliver(app)
    assert emails_to(smtp_server, BOSS) == []
    assert all("old plan" not in (payload.get("body") or "") for _, to, payload in outbox(app) if to == BOSS)
    # "Send and close": one reply, one email to the CC that says both.
    response = copied.post(
        f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Fixed, closing now.", "then": "close"}
    )
    assert response.status_code == 303
    deliver(app)
    mails = emails_to(smtp_server, BOSS)
    assert len(mails) == 1 and "Fixed, closing now." in mails[0].text
    assert "old plan" not in mails[0].text and "old plan" not in mails[0].html
