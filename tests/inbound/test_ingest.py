"""The one ingest function: matching order, sender rules, loops, once, content limits, attack cases."""

import io
import zipfile
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

import pytest
import sqlalchemy as sa

from xobito_tickets.cc.services import add_cc
from xobito_tickets.db import session
from xobito_tickets.inbound.ingest import ingest
from xobito_tickets.inbound.models import InboundMessage, SentMessageId
from xobito_tickets.inbound.tokens import make_reply_token
from xobito_tickets.merge.services import merge_ticket
from xobito_tickets.models import Attachment, OutboxEmail, Reply, Tenant, Ticket, User
from xobito_tickets.tickets.services import close_ticket

from ..conftest import count_rows

CORPUS = Path(__file__).parent / "corpus"
DOMAIN = "inbound.test"


@pytest.fixture
def app_config(app_config):
    app_config.update(TICKETS_INBOUND_DOMAIN=DOMAIN, MAIL_DEFAULT_SENDER="Helpdesk <helpdesk@helpdesk.test>")
    return app_config


_counter = iter(range(1, 10**9))


def eml(sender, to=f"acme@{DOMAIN}", subject="Printer broken", body="The printer on floor 2 is offline.", **headers):
    """Return the bytes of a plain-text email."""
    message = EmailMessage()
    message["From"] = sender if "<" in sender else formataddr(("", sender))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", f"<m{next(_counter)}@client.example>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def run(app, raw, slug="acme", source="stdin"):
    with app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        result = ingest(tenant, raw, source)
        session.remove()
        return result


def ticket(app, number=1, slug="acme"):
    with app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
        row = session.scalar(sa.select(Ticket).where(Ticket.tenant_id == tenant.id, Ticket.number == number))
        if row is None:
            return None
        replies = session.scalars(sa.select(Reply).where(Reply.ticket_id == row.id).order_by(Reply.id)).all()
        files = session.scalars(sa.select(Attachment).where(Attachment.ticket_id == row.id)).all()
        return dict(
            row=row,
            status=row.status,
            body=row.body,
            subject=row.subject,
            requester=row.requester.email,
            department=row.department.name,
            replies=[(r.author.email, r.body) for r in replies],
            files=[(f.filename, f.content_type) for f in files],
        )


def token_for(app, number, email, tenant_slug="acme"):
    with app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == tenant_slug))
        row = session.scalar(sa.select(Ticket).where(Ticket.tenant_id == tenant.id, Ticket.number == number))
        token = make_reply_token(app.config["SECRET_KEY"], tenant.id, row.id, email)
        return f"{tenant_slug}+t.{token}@{DOMAIN}"


@pytest.fixture
def opened(app, world):
    """Ticket TKT-000001 of Carla in Support, opened by email."""
    result = run(app, eml("carla@acme.test", to=f"acme+support@{DOMAIN}"))
    assert result.outcome == "new_ticket", result
    return result


def log_rows(app):
    with app.app_context():
        return [
            (r.outcome, r.reason, r.sender)
            for r in session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)).all()
        ]


def test_a_known_customer_opens_a_ticket_in_the_addressed_department(app, opened):
    found = ticket(app)
    assert found["requester"] == "carla@acme.test" and found["department"] == "Support"
    assert found["subject"] == "Printer broken" and found["body"] == "The printer on floor 2 is offline."
    assert log_rows(app) == [("new_ticket", "", "carla@acme.test")]
    with app.app_context():
        kinds = sorted(session.scalars(sa.select(OutboxEmail.kind)).all())
    assert "ticket_receipt" in kinds and "ticket_created" in kinds


def test_without_an_addressed_department_the_first_active_by_name_is_used(app, world):
    run(app, eml("carla@acme.test"))
    assert ticket(app)["department"] == "Billing"


def test_a_stranger_gets_a_passwordless_account_where_sign_up_is_allowed(app, world):
    result = run(app, eml("Nina New <nina@example.com>"))
    assert result.outcome == "new_ticket"
    with app.app_context():
        nina = session.scalar(sa.select(User).where(User.email == "nina@example.com"))
        assert nina.password_hash is None and nina.role == "customer" and nina.name == "Nina New"


def test_a_stranger_is_quarantined_where_sign_up_is_off(app, world):
    with app.app_context():
        session.get(Tenant, world.acme_id).allow_signup = False
        session.commit()
    result = run(app, eml("nina@example.com"))
    assert result.outcome == "quarantined" and "sign-up" in result.reason
    assert count_rows(app, Ticket) == 0


def test_a_reply_by_token_is_posted_and_staff_are_notified(app, opened):
    address = token_for(app, 1, "carla@acme.test")
    result = run(app, eml("carla@acme.test", to=address, subject="Re: whatever", body="Still broken today."))
    assert result.outcome == "reply" and result.ticket_number == "TKT-000001"
    assert ticket(app)["replies"] == [("carla@acme.test", "Still broken today.")]
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).where(OutboxEmail.kind == "reply_posted")) >= 1


def test_another_recipients_token_is_quarantined(app, opened):
    address = token_for(app, 1, "carla@acme.test")
    result = run(app, eml("oscar@acme.test", to=address, body="I can write here too?"))
    assert result.outcome == "quarantined" and result.reason == "reply token of another recipient"
    assert ticket(app)["replies"] == []


def test_a_forged_from_with_the_right_token_is_refused_when_the_account_cannot_post(app, opened, world):
    # The token names Carla; a mail claiming to be from Carla is her (SPF/DKIM is the MTA's job),
    # but a token edited by hand or minted for another tenant never verifies.
    address = token_for(app, 1, "carla@acme.test")
    local, _, domain = address.partition("@")
    edited = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain
    result = run(app, eml("carla@acme.test", to=edited, body="edited token"))
    assert result.outcome == "quarantined" and result.reason == "reply token not valid for this workspace"


def test_a_token_of_another_tenant_is_not_valid_here(app, world):
    run(app, eml("gina@globex.test", to=f"globex@{DOMAIN}"), slug="globex")
    globex_token = token_for(app, 1, "gina@globex.test", tenant_slug="globex")
    moved = globex_token.replace("globex+", "acme+")
    result = run(app, eml("gina@globex.test", to=moved, body="cross-tenant"))
    assert result.outcome == "quarantined" and result.reason == "reply token not valid for this workspace"


def test_a_subject_tag_alone_never_lets_a_stranger_or_another_customer_post(app, opened):
    for sender in ("mallory@evil.example", "oscar@acme.test"):
        result = run(app, eml(sender, subject="Re: [TKT-000001] Printer broken", body="Let me in please"))
        assert result.outcome == "quarantined" and result.reason == "the sender may not post to TKT-000001"
    assert ticket(app)["replies"] == []


def test_staff_email_is_a_staff_reply_and_staff_who_cannot_see_are_quarantined(app, opened):
    result = run(app, eml("sam@acme.test", subject="RE: [TKT-000001] Printer broken", body="Restart the spooler."))
    assert result.outcome == "reply"
    assert ticket(app)["status"] == "answered"
    result = run(app, eml("bea@acme.test", subject="[TKT-000001]", body="Billing staff cannot see this"))
    assert result.outcome == "quarantined"


def test_in_reply_to_a_recorded_message_id_matches_the_ticket(app, opened):
    with app.app_context():
        row = session.scalar(sa.select(Ticket))
        session.add(
            SentMessageId(message_id="<sent-1@helpdesk.test>", tenant_id=row.tenant_id, ticket_id=row.id,
                          recipient_email="carla@acme.test")
        )  # fmt: skip
        session.commit()
    result = run(
        app, eml("carla@acme.test", subject="no tag", body="Answer by thread.", In_Reply_To="<sent-1@helpdesk.test>")
    )
    assert result.outcome == "reply" and ticket(app)["replies"][-1][1] == "Answer by thread."


def test_the_same_message_id_is_handled_once(app, opened):
    raw = eml("carla@acme.test", subject="[TKT-000001]", body="Only once please.", message_id="<once@client.example>")
    assert run(app, raw).outcome == "reply"
    again = run(app, raw)
    assert again.duplicate
    assert len(ticket(app)["replies"]) == 1


@pytest.mark.parametrize("name", ["vacation_autoreply.eml", "bounce_report.eml", "mailing_list.eml", "x_autoreply.eml"])
def test_automatic_mail_is_ignored_without_any_email_back(app, world, name):
    with app.app_context():
        before = session.scalar(sa.select(sa.func.count(OutboxEmail.id)))
    result = run(app, (CORPUS / name).read_bytes())
    assert result.outcome == "ignored"
    assert count_rows(app, Ticket) == 0
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == before


def test_an_echo_of_our_own_message_id_is_ignored(app, opened):
    with app.app_context():
        row = session.scalar(sa.select(Ticket))
        session.add(SentMessageId(message_id="<ours@helpdesk.test>", tenant_id=row.tenant_id, ticket_id=row.id,
                                  recipient_email="carla@acme.test"))  # fmt: skip
        session.commit()
    result = run(app, eml("carla@acme.test", message_id="<ours@helpdesk.test>", subject="[TKT-000001]"))
    assert result.outcome == "ignored" and result.reason == "our own notification came back"
    result = run(app, eml("helpdesk@helpdesk.test", subject="[TKT-000001] loop"))
    assert result.outcome == "ignored" and result.reason == "sent by the helpdesk itself"


def test_a_reply_to_a_closed_ticket_opens_a_linked_follow_up(app, opened, world):
    with app.app_context():
        close_ticket(session.scalar(sa.select(Ticket)), session.get(User, world.staff_id))
    result = run(app, eml("carla@acme.test", subject="Re: [TKT-000001] Printer broken", body="It broke again."))
    assert result.outcome == "new_ticket" and result.ticket_number == "TKT-000002"
    follow_up = ticket(app, 2)
    assert follow_up["body"].startswith("Follow-up to TKT-000001\n\nIt broke again.")
    assert follow_up["subject"] == "Printer broken"
    assert ticket(app, 1)["replies"] == []
    assert log_rows(app)[-1][:2] == ("new_ticket", "follow-up to TKT-000001")


def test_a_long_reply_keeps_2000_characters_and_attaches_the_whole_text(app, opened):
    text = ("All of this matters. " * 200).strip()
    result = run(app, eml("carla@acme.test", subject="[TKT-000001]", body=text))
    assert result.outcome == "reply"
    found = ticket(app)
    assert len(found["replies"][0][1]) <= 2000 and text.startswith(found["replies"][0][1])
    assert ("message.txt", "text/plain; charset=utf-8") in found["files"]


def test_attachments_follow_the_upload_rules_and_refused_ones_are_named(app, world):
    result = run(app, (CORPUS / "winmail_dat.eml").read_bytes().replace(b"lars@oldcorp.example", b"carla@acme.test"))
    assert result.outcome == "new_ticket"
    found = ticket(app)
    assert "Not attached: winmail.dat — type not allowed" in found["body"]
    assert found["files"] == []
    result = run(app, (CORPUS / "inline_image.eml").read_bytes().replace(b"kim@example.org", b"carla@acme.test"))
    assert ticket(app, 2)["files"] == [("error.png", "image/png")]


def test_a_zip_bomb_is_stored_as_a_zip_and_never_unpacked(app, opened):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"\0" * (200 * 1024 * 1024))
    message = EmailMessage()
    message["From"] = "carla@acme.test"
    message["To"] = f"acme@{DOMAIN}"
    message["Subject"] = "[TKT-000001] logs"
    message["Message-ID"] = "<zip@client.example>"
    message.set_content("Here are the logs.")
    message.add_attachment(buffer.getvalue(), maintype="application", subtype="zip", filename="logs.zip")
    result = run(app, message.as_bytes())
    assert result.outcome == "reply"
    assert ("logs.zip", "application/zip") in ticket(app)["files"]


def test_html_only_phishing_is_stored_as_text_only(app, world):
    raw = (CORPUS / "html_phishing.eml").read_bytes()
    result = run(app, raw)
    assert result.outcome == "new_ticket"
    body = ticket(app)["body"]
    assert "<" not in body and "script" not in body and "document.location" not in body
    assert body.startswith("Your account is locked.")


def test_ten_thousand_recipients_and_header_injection(app, world):
    many = ", ".join(f"u{i}@example.com" for i in range(10_000))
    raw = eml("carla@acme.test", subject="Hi\r\nBcc: x@example.com".replace("\r\n", " "), Cc=many)
    result = run(app, raw)
    assert result.outcome == "new_ticket"
    assert "\n" not in ticket(app)["subject"]


def test_a_50_mb_message_is_quarantined_without_keeping_it(app, world):
    raw = eml("carla@acme.test", body="x") + b"A" * (50 * 1024 * 1024)
    result = run(app, raw)
    assert result.outcome == "quarantined" and result.reason.startswith("larger than")
    with app.app_context():
        assert session.scalar(sa.select(InboundMessage.raw_key)) is None


def test_malformed_mime_is_quarantined_with_its_reason_and_kept(app, world):
    result = run(app, (CORPUS / "malformed_mime.eml").read_bytes())
    assert (result.outcome, result.reason) == ("quarantined", "malformed MIME structure")
    with app.app_context():
        assert session.scalar(sa.select(InboundMessage.raw_key)) is not None


def test_new_tickets_per_hour_are_limited(app, world):
    app.config["TICKETS_INBOUND_MAX_NEW_PER_HOUR"] = 2
    outcomes = [run(app, eml("carla@acme.test", subject=f"Issue {i}")).outcome for i in range(3)]
    assert outcomes == ["new_ticket", "new_ticket", "quarantined"]


def test_a_cc_may_answer_by_email_and_a_stranger_still_may_not(app, opened, world):
    with app.app_context():
        carla = session.get(User, world.customer_id)
        add_cc(session.scalar(sa.select(Ticket).where(Ticket.number == 1)), carla, "dana@partner.example")
    result = run(
        app, eml("Dana Partner <dana@partner.example>", subject="Re: [TKT-000001] Printer broken", body="Same here.")
    )
    assert result.outcome == "reply" and result.ticket_number == "TKT-000001"
    assert ticket(app)["replies"] == [("dana@partner.example", "Same here.")]
    with app.app_context():
        dana = session.scalar(sa.select(User).where(User.email == "dana@partner.example"))
        assert dana.password_hash is None and dana.role == "customer"
    result = run(app, eml("mallory@evil.example", subject="Re: [TKT-000001] Printer broken", body="Let me in"))
    assert result.outcome == "quarantined"


def test_a_reply_to_a_merged_ticket_lands_in_its_target(app, opened, world):
    second = run(app, eml("carla@acme.test", to=f"acme+support@{DOMAIN}", subject="Printer again"))
    assert second.ticket_number == "TKT-000002"
    with app.app_context():
        sam = session.scalar(sa.select(User).where(User.email == "sam@acme.test"))
        source, target = (session.scalar(sa.select(Ticket).where(Ticket.number == n)) for n in (1, 2))
        merge_ticket(source, target, sam)
    result = run(app, eml("carla@acme.test", subject="Re: [TKT-000001] Printer broken", body="Any news?"))
    assert result.outcome == "reply" and result.ticket_number == "TKT-000002"
    assert ("carla@acme.test", "Any news?") in ticket(app, 2)["replies"]
