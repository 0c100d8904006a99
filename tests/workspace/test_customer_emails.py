"""What customer-facing emails are given and say: to the requester and to a CC, for every customer email type.

The context handed to a customer's or a CC's template is checked itself (a host may override the
templates, so "the shipped template does not print it" proves nothing): only customer-facing fields,
never the assignee, the priority, notes or tags. Then the rendered text: a CC is greeted without an
empty name, gets no link into a portal they have no account for, and is told how to answer (by
replying to the email when inbound email is set up).
"""

from datetime import timedelta

import pytest
from flask import render_template_string, template_rendered

from xobito_tickets.db import session
from xobito_tickets.models import Ticket
from xobito_tickets.sla.autoclose import run_autoclose
from xobito_tickets.sla.settings import save_autoclose_settings

from .conftest import login
from .test_notes import CUSTOMER_FIELDS, CUSTOMER_TICKET_FIELDS, SECRET, post_note

BOSS = "boss@example.com"
INBOUND_DOMAIN = "in.helpdesk.test"
#: Staff-only data of the ticket, and where it would show.
STAFF_ONLY = [SECRET, "vip-secret", "Alex Assigned", "alex@acme.test", "sam@acme.test", "Urgent", "/admin/"]
CUSTOMER_KINDS = {"ticket_receipt", "reply_posted", "ticket_closed", "ticket_reopened", "autoclose_reminder"}


@pytest.fixture(params=[False, True], ids=["no inbound email", "inbound email"])
def app_config(request, app_config):
    """The suite's config; with inbound email set up, every ticket email gets a Reply-To."""
    if request.param:
        app_config["TICKETS_INBOUND_DOMAIN"] = INBOUND_DOMAIN
    return app_config


def _template_globals(app):
    seen = []
    with app.app_context(), template_rendered.connected_to(lambda s, template, context, **e: seen.append(context), app):
        render_template_string("")
    return set(seen[0])


@pytest.fixture
def worked(inbox, app, client, desk):
    """Work the open ticket as a day would, with staff-only data around it; return (emails, rendered contexts)."""
    world = desk.world
    login(client, "sam@acme.test")
    number = desk.open_number
    # Staff-only: the assignee (Alex, from the desk), a tag, a priority change, a note.
    assert client.post(f"/acme/admin/tickets/{number}/tags", data={"tags": "vip-secret"}).status_code == 303
    assert client.post(f"/acme/admin/tickets/{number}/priority", data={"priority": "urgent"}).status_code == 303
    assert post_note(client, number).status_code == 303
    assert client.post(f"/acme/admin/tickets/{number}/cc", data={"email": BOSS}).status_code == 303
    # Every customer email type: a receipt (on behalf of a new customer), replies, send-and-close,
    # reopen, close, and the auto-close reminder.
    response = client.post(
        "/acme/admin/tickets/create",
        data={
            "customer": "newbie@example.com",
            "subject": "Phoned in",
            "department": world.support_id,
            "priority": "urgent",
            "body": "Called about the printer.",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert client.post(f"/acme/admin/tickets/{number}/reply", data={"body": "We are on it."}).status_code == 303
    response = client.post(f"/acme/admin/tickets/{number}/reply", data={"body": "Fixed, closing.", "then": "close"})
    assert response.status_code == 303
    assert client.post(f"/acme/admin/tickets/{number}/reopen").status_code == 303
    assert client.post(f"/acme/admin/tickets/{number}/close").status_code == 303
    with app.app_context():
        save_autoclose_settings(world.acme_id, True, 2, 5)
        phoned = session.query(Ticket).filter_by(subject="Phoned in").one()
        phoned_number = phoned.display_number
    assert client.post(f"/acme/admin/tickets/{phoned_number}/reply", data={"body": "Does it work now?"}).status_code
    with app.app_context():
        phoned = session.query(Ticket).filter_by(subject="Phoned in").one()
        phoned.last_reply_at -= timedelta(days=3)
        session.commit()
        assert run_autoclose(app) == 1

    rendered = []

    def record(sender, template, context, **extra):
        rendered.append((template.name.rsplit("/", 1)[-1].split(".")[0], dict(context)))

    with template_rendered.connected_to(record, app):
        emails = inbox.new()
    return emails, rendered


def test_customer_and_cc_contexts_hold_customer_fields_only(worked, app):
    emails, rendered = worked
    globals_ = _template_globals(app)
    inbound = bool(app.config.get("TICKETS_INBOUND_DOMAIN"))
    customer = [(kind, ctx) for kind, ctx in rendered if ctx.get("audience") == "customer"]
    requester = [(kind, ctx) for kind, ctx in customer if not ctx.get("copied")]
    copied = [(kind, ctx) for kind, ctx in customer if ctx.get("copied")]
    assert {kind for kind, _ in requester} == CUSTOMER_KINDS
    assert {kind for kind, _ in copied} == {"reply_posted", "ticket_closed", "ticket_reopened"}
    allowed = CUSTOMER_FIELDS | {"close_on", "days"} | ({"reply_to"} if inbound else set())
    for kind, ctx in requester:
        own = set(ctx) - globals_
        assert own <= allowed, (kind, own - allowed)
        assert set(ctx["ticket"]) == CUSTOMER_TICKET_FIELDS, kind
        shown = repr({key: ctx[key] for key in own})
        for word in STAFF_ONLY:
            assert word not in shown, (kind, word)
    for kind, ctx in copied:
        own = set(ctx) - globals_
        # A CC does not rate the ticket and has no page: no rating links, no URL.
        assert own <= (allowed - {"rating_links"}) | {"copied"}, (kind, own - allowed)
        assert set(ctx["ticket"]) == CUSTOMER_TICKET_FIELDS - {"url"}, kind
        assert ctx["recipient_name"] == ""
        assert ("reply_to" in ctx) is inbound
        shown = repr({key: ctx[key] for key in own})
        for word in STAFF_ONLY + ["http"]:
            assert word not in shown, (kind, word)


def test_a_cc_is_greeted_plainly_gets_no_portal_link_and_is_told_how_to_answer(worked, app):
    emails, _ = worked
    inbound = bool(app.config.get("TICKETS_INBOUND_DOMAIN"))
    to_boss = [e for e in emails if e.envelope_to == [BOSS]]
    # One per customer-facing action: reply, reply-and-close (one email saying both), reopen, close.
    assert [e.subject.split("] ")[1].split(":")[0] for e in to_boss] == [
        "New reply, now Answered",
        "New reply, now Closed",
        "Reopened",
        "Closed",
    ]
    for email in to_boss:
        for part in (email.text, email.html):
            assert "Hello ," not in part and "Hello  ," not in part
            assert "your ticket" not in part  # it is the requester's ticket, not theirs
            for word in STAFF_ONLY + ["/tickets/", "http://", "https://", "How did we do"]:
                assert word not in part, (email.subject, word)
            assert "You get this email because you are copied on this ticket." in part
            assert "answer on the ticket's page" not in part
        assert email.text.startswith("Hello,\n")
        assert '<p style="margin:0 0 12px;">Hello,</p>' in email.html
        assert "href=" not in email.html
        if inbound:
            assert email.header("Reply-To").endswith("@" + INBOUND_DOMAIN)
            assert "Reply to this email to answer: your answer is added to the ticket." in email.text
            assert "You can answer by replying to this email." in email.text
        else:
            assert email.header("Reply-To") is None
            assert "To answer, write to the person who copied you." in email.text
            assert "Replies to this email are not read." in email.text


def test_the_requester_keeps_the_portal_link_and_their_name(worked, app, desk):
    emails, _ = worked
    inbound = bool(app.config.get("TICKETS_INBOUND_DOMAIN"))
    to_carla = [e for e in emails if e.envelope_to == ["carla@acme.test"]]
    assert len(to_carla) == 4
    for email in to_carla:
        assert email.text.startswith("Hello Carla Customer,\n")
        assert f"http://helpdesk.test/acme/tickets/{desk.open_number}" in email.text
        assert "copied" not in email.text
        for word in STAFF_ONLY:
            assert word not in email.text and word not in email.html, (email.subject, word)
        footer = "You can answer by replying to this email." if inbound else "answer on the ticket's page"
        assert footer in email.text
    (closed,) = [e for e in to_carla if e.subject.endswith("] Closed: Printer on fire")]
    assert "How did we do?" in closed.text
    newbie = [e for e in emails if e.envelope_to == ["newbie@example.com"]]
    assert [e.subject.split("] ")[1] for e in newbie] == [
        "We received your ticket: Phoned in",
        "New reply, now Answered: Phoned in",
        "Waiting for your reply: Phoned in",
    ]
    for email in newbie:
        # The account made on their behalf is named after the address.
        assert email.text.startswith("Hello newbie,\n")
        for word in STAFF_ONLY:
            assert word not in email.text and word not in email.html, (email.subject, word)
