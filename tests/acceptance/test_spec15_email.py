"""SPEC §15, two-way email, through its doors: the HTTP door, ``receive-mail`` and the CLI token."""

import re

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.inbound.models import InboundMessage
from xobito_tickets.models import OutboxEmail, Reply, Tenant, Ticket, User
from xobito_tickets.team.services import create_department
from xobito_tickets.tickets.services import post_reply

from ..inbound.test_ingest import eml as plain_email
from .conftest import INBOUND_DOMAIN, emails, last_email_id, login, ticket_row

CARLA = "carla@acme.test"


def eml(sender, to=f"acme@{INBOUND_DOMAIN}", **fields):
    """Return the bytes of a plain-text email to ``to`` (the inbound suite's builder)."""
    return plain_email(sender, to=to, **fields)


@pytest.fixture
def door(app, runner):
    """POST a raw message to the HTTP door with the token the CLI printed; return the JSON answer."""
    result = runner.invoke(args=["tickets", "inbound", "token", "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    client = app.test_client()

    def post(raw):
        response = client.post(
            "/_tickets/inbound/acme",
            data=raw,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"},
        )
        assert response.status_code == 202, response.data
        return response.get_json()

    post.token = token
    return post


def replies_of(app, number):
    with app.app_context():
        row = session.scalar(sa.select(Ticket).where(Ticket.tenant_id == 1, Ticket.number == int(number[4:])))
        return [
            (r.author.email, r.kind, r.body)
            for r in session.scalars(sa.select(Reply).where(Reply.ticket_id == row.id).order_by(Reply.id))
        ]


def inbound_outcomes(app):
    with app.app_context():
        return [(r.outcome, r.reason) for r in session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id))]


def test_the_inbound_token_command_prints_the_same_token_until_rotated(app, client, runner, world):
    first = runner.invoke(args=["tickets", "inbound", "token", "--tenant", "acme"])
    again = runner.invoke(args=["tickets", "inbound", "token", "--tenant", "acme"])
    rotated = runner.invoke(args=["tickets", "inbound", "token", "--tenant", "acme", "--rotate"])
    assert first.exit_code == again.exit_code == rotated.exit_code == 0
    old, same, new = (r.output.strip().splitlines()[-1] for r in (first, again, rotated))
    assert old == same != new and " " not in new
    raw = eml(CARLA)
    headers = {"Content-Type": "message/rfc822"}
    answer = client.post("/_tickets/inbound/acme", data=raw, headers={**headers, "Authorization": f"Bearer {old}"})
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/_tickets/inbound/acme", data=raw, headers=headers).status_code == 401
    assert (
        client.post(
            "/_tickets/inbound/globex", data=raw, headers={**headers, "Authorization": f"Bearer {new}"}
        ).status_code
        == 401
    )
    bad = client.post(
        "/_tickets/inbound/acme", data=b"\x00\x01not mail", headers={**headers, "Authorization": f"Bearer {new}"}
    )
    assert bad.status_code == 400
    assert (
        client.post(
            "/_tickets/inbound/acme", data=raw, headers={**headers, "Authorization": f"Bearer {new}"}
        ).status_code
        == 202
    )


def test_the_http_door_answers_413_past_the_limit(app, client, world, door):
    app.config["TICKETS_INBOUND_MAX_BYTES"] = 10_000
    response = client.post(
        "/_tickets/inbound/acme",
        data=eml(CARLA, body="x" * 20_000),
        headers={"Authorization": f"Bearer {door.token}", "Content-Type": "message/rfc822"},
    )
    assert response.status_code == 413


def test_receive_mail_exits_0_and_opens_a_ticket(app, runner, world):
    result = runner.invoke(args=["tickets", "receive-mail", "--tenant", "acme"], input=eml(CARLA))
    assert result.exit_code == 0, result.output
    assert inbound_outcomes(app)[0][0] == "new_ticket"


@pytest.mark.parametrize(
    "name, slug",
    [("Technical Support", "technical-support"), ("R&D / Lab 2", "r-d-lab-2"), ("Billing", "billing")],
)
def test_department_addresses_use_the_slug_of_the_name(app, world, door, name, slug):
    if name != "Billing":
        with app.app_context():
            create_department(session.get(Tenant, world.acme_id), name, "")
    answer = door(eml(CARLA, to=f"acme+{slug}@{INBOUND_DOMAIN}"))
    assert answer["outcome"] == "new_ticket"
    with app.app_context():
        row = session.scalar(sa.select(Ticket).where(Ticket.tenant_id == world.acme_id).order_by(Ticket.id.desc()))
        assert row.department.name == name


def test_notifications_carry_a_per_recipient_reply_to_and_a_reply_by_it_is_posted(app, client, world, desk, door):
    login(client, "sam@acme.test")
    client.post(f"/acme/admin/tickets/{desk.open_number}/cc", data={"email": "friend@example.com"})
    mark = last_email_id(app)
    client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Please try again now."})
    sent = {to: message for _id, to, message in emails(app, mark)}
    pattern = re.compile(r"^acme\+t\.([^@]+)@" + re.escape(INBOUND_DOMAIN) + "$")
    assert set(sent) >= {CARLA, "friend@example.com"}
    tokens = {to: pattern.match(message.reply_to).group(1) for to, message in sent.items()}
    assert tokens[CARLA] != tokens["friend@example.com"] and "." not in tokens[CARLA][:1]
    # The customer answers the email: a reply on the ticket, quoted history cut.
    body = "It works now, thanks!\n\nOn Mon, 7 Dec 2026, Helpdesk wrote:\n> Please try again now.\n"
    answer = door(eml(CARLA, to=sent[CARLA].reply_to, subject="Re: whatever", body=body))
    assert answer["outcome"] == "reply" and answer["ticket"] == desk.open_number
    assert replies_of(app, desk.open_number)[-1] == (CARLA, "reply", "It works now, thanks!")
    # The CC's token is the CC's: a mail from Carla with the CC's token is not posted as a reply.
    answer = door(eml(CARLA, to=sent["friend@example.com"].reply_to, subject="Re: x", body="Sneaky"))
    assert answer["outcome"] == "quarantined"
    # The CC answers with their own token.
    answer = door(eml("friend@example.com", to=sent["friend@example.com"].reply_to, subject="Re: x", body="Me too."))
    assert answer["outcome"] == "reply"


def test_the_reply_token_wins_over_the_subject_tag(app, world, desk, door, make):
    other = make.ticket(subject="Another one")
    with app.test_request_context():
        mark = last_email_id(app)
    make.reply(desk.open_number, world.staff_id, "A staff answer.")
    to_carla = [m for _i, to, m in emails(app, mark) if to == CARLA][-1]
    answer = door(eml(CARLA, to=to_carla.reply_to, subject=f"Re: [{other.number}] hm", body="Token wins."))
    assert answer["ticket"] == desk.open_number


def test_in_reply_to_and_subject_tag_match_for_the_requester(app, world, desk, door):
    with app.app_context():
        mark = last_email_id(app)
    make_reply_as_staff(app, desk.open_number, world.staff_id)
    with app.app_context():
        sent = session.scalar(
            sa.select(OutboxEmail.message_id).where(OutboxEmail.id > mark, OutboxEmail.recipient_email == CARLA)
        )
    answer = door(eml(CARLA, subject="Re: no tag here", body="Via the thread.", In_Reply_To=sent))
    assert answer["outcome"] == "reply" and answer["ticket"] == desk.open_number
    answer = door(eml(CARLA, subject="Re: no tag", body="Via references.", References=f"<a@b.example> {sent}"))
    assert answer["outcome"] == "reply" and answer["ticket"] == desk.open_number
    answer = door(eml(CARLA, subject=f"Re: [{desk.open_number}] Printer on fire", body="Via the subject tag."))
    assert answer["outcome"] == "reply" and answer["ticket"] == desk.open_number


def make_reply_as_staff(app, number, staff_id):
    with app.test_request_context():
        row = session.scalar(sa.select(Ticket).where(Ticket.tenant_id == 1, Ticket.number == int(number[4:])))
        post_reply(row, session.get(User, staff_id), "A staff answer by the services.")


@pytest.mark.parametrize(
    "sender, headers",
    [
        (CARLA, {"Auto_Submitted": "auto-replied"}),
        (CARLA, {"Precedence": "bulk"}),
        (CARLA, {"Precedence": "list"}),
        (CARLA, {"X_Autoreply": "yes"}),
        (CARLA, {"X_Autorespond": "yes"}),
        (CARLA, {"Return_Path": "<>"}),
        ("MAILER-DAEMON@mx.example.com", {}),
        ("postmaster@example.com", {}),
    ],
)
def test_automatic_mail_is_ignored_and_nothing_is_sent_back(app, world, door, sender, headers):
    mark = last_email_id(app)
    answer = door(eml(sender, **headers))
    assert answer["outcome"] == "ignored"
    assert emails(app, mark) == []
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_auto_submitted_no_is_a_person(app, world, door):
    assert door(eml(CARLA, Auto_Submitted="no"))["outcome"] == "new_ticket"


def test_the_same_message_id_is_handled_once_per_sender_and_tenant(app, world, door):
    raw = eml(CARLA, message_id="<same@client.example>")
    assert door(raw)["outcome"] == "new_ticket"
    assert door(raw)["outcome"] != "new_ticket"
    # Another sender with the same Message-ID is another message.
    assert door(eml("oscar@acme.test", message_id="<same@client.example>"))["outcome"] == "new_ticket"
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2


def test_signatures_and_outlook_blocks_are_cut(app, world, desk, door):
    body = "Here is the serial number: 1234.\n\n-- \nCarla\nAcme Corp\n"
    door(eml(CARLA, subject=f"[{desk.open_number}]", body=body))
    body = (
        "Second answer.\n\n________________________________\nFrom: Helpdesk <helpdesk@helpdesk.test>\n"
        "Sent: Monday, December 7, 2026 10:00 AM\nTo: Carla\nSubject: RE: Printer\n\nOld text\n"
    )
    door(eml(CARLA, subject=f"[{desk.open_number}]", body=body))
    body = "Third.\n\n-----Original Message-----\nFrom: x\nOld\n"
    door(eml(CARLA, subject=f"[{desk.open_number}]", body=body))
    assert [b for _a, _k, b in replies_of(app, desk.open_number)[-3:]] == [
        "Here is the serial number: 1234.",
        "Second answer.",
        "Third.",
    ]


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(app, world, desk, door):
    answer = door(eml(CARLA, subject=f"Re: [{desk.closed_number}] Old question", body="It is back."))
    assert answer["outcome"] == "new_ticket" and answer["ticket"] != desk.closed_number
    assert ticket_row(app, desk.closed_number).status == "closed"


def test_the_inbound_log_is_for_admins(app, client, world, door):
    door(eml("stranger@nowhere.example", subject="[TKT-000001] let me in"))
    login(client, "sam@acme.test")
    assert client.get("/acme/admin/inbound").status_code == 404
    login(client, "ada@acme.test")
    page = client.get("/acme/admin/inbound")
    assert page.status_code == 200 and "stranger@nowhere.example" in page.get_data(as_text=True)


def test_every_notification_email_carries_a_reply_to_of_its_recipient(app, client, world, make):
    mark = last_email_id(app)
    ticket = make.ticket(subject="New one")
    login(client, CARLA)
    client.post(f"/acme/tickets/{ticket.number}/reply", data={"body": "Customer adds info."})
    client.post(f"/acme/tickets/{ticket.number}/cc", data={"email": "pal@example.com"})
    login(client, "ada@acme.test")
    client.post(f"/acme/admin/tickets/{ticket.number}/note", data={"body": "@Sam Support have a look"})
    client.post(
        f"/acme/admin/tickets/{ticket.number}/assign",
        data={"department": str(world.support_id), "assignee": str(world.staff_id)},
    )
    client.post(f"/acme/admin/tickets/{ticket.number}/reply", data={"body": "Admin answers."})
    client.post(f"/acme/admin/tickets/{ticket.number}/close")
    client.post(f"/acme/admin/tickets/{ticket.number}/reopen")
    sent = emails(app, mark)
    recipients = {to for _id, to, _m in sent}
    assert {CARLA, "pal@example.com", "sam@acme.test", "ada@acme.test"} <= recipients
    token_of = {}
    for _id, to, message in sent:
        match = re.fullmatch(r"acme\+t\.([A-Za-z0-9_-]+)@" + re.escape(INBOUND_DOMAIN), message.reply_to or "")
        assert match, (to, message.subject, message.reply_to)
        assert message.subject.startswith(f"[{ticket.number}]")
        token_of.setdefault(to, set()).add(match.group(1))
    # One token per recipient, and no two recipients share one.
    tokens = [next(iter(t)) for t in token_of.values()]
    assert len(tokens) == len(set(tokens))


@pytest.mark.parametrize("header", ["To", "Cc", "Delivered_To", "X_Original_To"])
def test_a_reply_token_is_read_from_every_recipient_header(app, world, desk, door, header):
    mark = last_email_id(app)
    make_reply_as_staff(app, desk.open_number, world.staff_id)
    reply_to = [m for _i, to, m in emails(app, mark) if to == CARLA][-1].reply_to
    headers = {"to": "someone@else.example", header: reply_to} if header != "To" else {"to": reply_to.upper()}
    answer = door(eml(CARLA, subject="Re: something", body=f"Answer through {header}.", **headers))
    assert answer["outcome"] == "reply" and answer["ticket"] == desk.open_number


def test_a_staff_members_email_is_a_staff_reply(app, world, desk, door):
    answer = door(eml("Sam Support <Sam@Acme.Test>", subject=f"Re: [{desk.open_number}] x", body="Staff by email."))
    assert answer["outcome"] == "reply"
    assert replies_of(app, desk.open_number)[-1] == ("sam@acme.test", "reply", "Staff by email.")
    assert ticket_row(app, desk.open_number).status == "answered"


def test_a_reply_too_short_to_post_is_quarantined_and_says_why(app, client, world, desk, door):
    answer = door(eml(CARLA, subject=f"Re: [{desk.open_number}]", body="Ok"))
    assert answer == {"outcome": "quarantined", "reason": "the text is shorter than 5 characters", "ticket": None}
    answer = door(eml(CARLA, subject=f"Re: [{desk.open_number}]", body=""))
    assert answer["outcome"] == "quarantined" and answer["reason"] == "the message has no text"
    login(client, "ada@acme.test")
    assert "the text is shorter than 5 characters" in client.get("/acme/admin/inbound").get_data(as_text=True)
