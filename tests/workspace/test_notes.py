"""Internal notes: staff-only by construction, on every channel a customer or a CC can reach."""

import io
import re

import pytest
import sqlalchemy as sa
from flask import render_template_string, template_rendered

from xobito_tickets.db import session
from xobito_tickets.models import Attachment, OutboxEmail, Reply, TicketEvent

from .conftest import login, snapshot, text_of, ticket_row

SECRET = "Refund approved internally, do not tell the customer yet"


def post_note(client, number, body=SECRET, files=(), **extra):
    data = {"body": body, "attachments": [(io.BytesIO(content), name) for name, content in files], **extra}
    return client.post(f"/acme/admin/tickets/{number}/note", data=data, content_type="multipart/form-data")


def note_attachment_id(app):
    with app.app_context():
        return session.scalar(
            sa.select(Attachment.id).join(Reply, Reply.id == Attachment.reply_id).where(Reply.kind == "note")
        )


def test_a_note_is_shown_to_staff_apart_and_changes_nothing_customer_facing(app, client, desk):
    login(client, "sam@acme.test")
    before = ticket_row(app, desk.open_number)
    response = post_note(client, desk.open_number, files=[("plan.txt", b"internal plan\n")])
    assert response.status_code == 303
    page = client.get(f"/acme/admin/tickets/{desk.open_number}")
    html = page.get_data(as_text=True)
    assert SECRET in html
    note = re.search(r'<li class="xt-message xt-note" id="reply-\d+">(.*?)</li>\s*(?:</ol>|<li)', html, re.S)
    assert note and "Internal note" in note.group(1) and SECRET in note.group(1) and "plan.txt" in note.group(1)
    assert "Sam Support added an internal note" in text_of(page)

    after = ticket_row(app, desk.open_number)
    assert (after.status, after.last_reply_at, after.last_message_by) == (
        before.status,
        before.last_reply_at,
        before.last_message_by,
    )
    with app.app_context():
        kinds = session.scalars(sa.select(TicketEvent.kind).where(TicketEvent.ticket_id == after.id)).all()
        assert kinds.count("note") == 1 and "replied" not in kinds and kinds.count("status") == 0
        # No email to the customer about a note.
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(OutboxEmail)
                .where(OutboxEmail.ticket_id == after.id, OutboxEmail.recipient_email == "carla@acme.test")
            )
            == 1
        )  # the receipt of the ticket itself


def test_the_portal_page_never_shows_a_note(app, client, desk):
    login(client, "sam@acme.test")
    post_note(client, desk.open_number, files=[("plan.txt", b"internal plan\n")])
    client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "We are looking into it."})
    login(client, "carla@acme.test")
    page = client.get(f"/acme/tickets/{desk.open_number}")
    assert page.status_code == 200
    text = text_of(page)
    assert "We are looking into it." in text
    assert SECRET not in text and "Internal note" not in text and "plan.txt" not in text


@pytest.mark.parametrize("who", ["carla@acme.test", "sam@acme.test", "ada@acme.test"])
def test_a_notes_attachment_is_404_through_the_portal_download(app, client, desk, who):
    login(client, "sam@acme.test")
    post_note(client, desk.open_number, files=[("plan.txt", b"internal plan\n")])
    attachment = note_attachment_id(app)
    login(client, who)
    portal = client.get(f"/acme/tickets/{desk.open_number}/download?attachment={attachment}")
    assert portal.status_code == 404
    # The ticket's own file is still served through the portal.
    own = client.get(f"/acme/tickets/{desk.open_number}/download?attachment={desk.attachment_id}")
    own.close()
    assert own.status_code == 200
    if who != "carla@acme.test":
        staff = client.get(f"/acme/admin/tickets/{desk.open_number}/download?attachment={attachment}")
        data = staff.get_data()
        staff.close()
        assert staff.status_code == 200 and data == b"internal plan\n"


def test_a_note_body_of_one_character_is_enough_and_an_empty_one_is_refused(app, client, desk):
    login(client, "sam@acme.test")
    before = snapshot(app)
    response = post_note(client, desk.open_number, body="   ")
    assert response.status_code == 422
    assert "The note is required." in text_of(response)
    assert snapshot(app) == before
    response = post_note(client, desk.open_number, body="x" * 2001)
    assert response.status_code == 422 and "at most 2000 characters (it has 2001)" in text_of(response)
    assert snapshot(app) == before
    assert post_note(client, desk.open_number, body="✓").status_code == 303


def test_a_note_on_a_closed_ticket_is_allowed_and_keeps_it_closed(app, client, desk):
    login(client, "sam@acme.test")
    assert post_note(client, desk.closed_number, body="Post-mortem: printer firmware.").status_code == 303
    assert ticket_row(app, desk.closed_number).status == "closed"


#: What the app itself puts into every template's context (config, request, …): not ticket data.
def _app_globals(app):
    seen = []

    def record(sender, template, context, **extra):
        seen.append(set(context))

    with app.app_context(), template_rendered.connected_to(record, app):
        render_template_string("")
    return seen[0]


#: Everything a customer's email template may be given (SPEC §8, §13, §14).
CUSTOMER_FIELDS = {
    "audience",
    "tenant_name",
    "recipient_name",
    "ticket",
    "subject",
    "actor_name",
    "actor_is_staff",
    "actor_is_customer",
    "body",
    "attachments",
    "status_changed",
    "old_status",
    "new_status",
    # The recipient's own language and time zone (the email is written in them).
    "locale",
    "timezone",
    # The requester's own "How did we do?" links in the closed email (signed for their ticket).
    "rating_links",
}
CUSTOMER_TICKET_FIELDS = {"number", "subject", "status", "department", "url"}


def test_customer_email_contexts_hold_customer_fields_only(inbox, app, client, desk):
    globals_ = _app_globals(app)
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append((template.name, dict(context)))

    login(client, "sam@acme.test")
    # A new ticket (receipt), a note, a reply, send-and-close, a reopen, a close.
    login(client, "carla@acme.test")
    client.post("/acme/tickets/store", data={"subject": "Second", "department": desk.world.support_id, "body": "Hi."})
    login(client, "sam@acme.test")
    post_note(client, desk.open_number, body=SECRET + " @Ada Admin")
    client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "We are on it."})
    client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Fixed, closing.", "then": "close"})
    client.post(f"/acme/admin/tickets/{desk.open_number}/reopen")
    client.post(f"/acme/admin/tickets/{desk.open_number}/close")
    with template_rendered.connected_to(record, app):
        emails = inbox.new()

    to_carla = [e for e in emails if e.envelope_to == ["carla@acme.test"]]
    kinds = sorted({name.split("/")[-1].split(".")[0] for name, ctx in rendered if ctx.get("audience") == "customer"})
    assert kinds == ["reply_posted", "ticket_closed", "ticket_receipt", "ticket_reopened"]
    customer_contexts = [ctx for name, ctx in rendered if ctx.get("audience") == "customer"]
    assert customer_contexts
    for ctx in customer_contexts:
        assert set(ctx) - globals_ <= CUSTOMER_FIELDS, set(ctx) - globals_ - CUSTOMER_FIELDS
        assert set(ctx["ticket"]) == CUSTOMER_TICKET_FIELDS
        assert SECRET not in repr({key: ctx[key] for key in set(ctx) - globals_})
    for email in to_carla:
        assert SECRET not in email.text and SECRET not in email.html and "Internal note" not in email.text
    # The mentioned admin got the note; the customer got one email per action (5: receipt,
    # reply, reply-and-close saying both, reopen, close).
    assert len(to_carla) == 5, [(e.envelope_to, e.subject) for e in emails]
    (mention,) = [e for e in emails if e.envelope_to == ["ada@acme.test"] and "mentioned you" in e.subject]
    assert SECRET in mention.text and "internal note" in mention.text


def test_mentions_reach_only_staff_who_may_see_the_ticket(inbox, app, client, desk):
    login(client, "sam@acme.test")
    body = "Ping @Ada Admin, @bea@acme.test, @Carla Customer and @Sam Support."
    assert post_note(client, desk.open_number, body=body).status_code == 303
    emails = inbox.new()
    # Ada (admin) may see it; Bea (Billing) may not; Carla is the customer; Sam wrote it.
    assert [e.envelope_to for e in emails] == [["ada@acme.test"]]
    assert emails[0].subject == f"[{desk.open_number}] Sam Support mentioned you: Printer on fire"
