"""Auto-close: a reminder first, then "closed automatically" with the usual closed email; each once."""

from datetime import timedelta
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.inbound.ingest import ingest
from xobito_tickets.models import Department, Tenant, Ticket, TicketEvent, TicketStatus, User
from xobito_tickets.sla.autoclose import run_autoclose
from xobito_tickets.sla.models import TimeAlert
from xobito_tickets.sla.settings import save_autoclose_settings
from xobito_tickets.tickets.services import open_ticket, post_reply

from ..mail.conftest import deliver, emails_to, mail_config, smtp_server  # noqa: F401 - fixtures


@pytest.fixture
def app_config(app_config, mail_config):  # noqa: F811 - extends the suite's fixture
    app_config.update(mail_config)
    return app_config


def _answered(world, subject, days_ago):
    """A ticket staff answered ``days_ago`` days ago, waiting on Carla since."""
    acme = session.get(Tenant, world.acme_id)
    carla = session.get(User, world.customer_id)
    support = session.get(Department, world.support_id)
    ticket = open_ticket(acme, carla, support, subject, "Help, please.")
    post_reply(ticket, session.get(User, world.staff_id), "Does this fix it?")
    ticket = session.get(Ticket, ticket.id)
    ticket.last_reply_at -= timedelta(days=days_ago)
    session.commit()
    return ticket.id


def _age_reminder(ticket_id, days):
    for alert in session.scalars(sa.select(TimeAlert).where(TimeAlert.ticket_id == ticket_id)):
        alert.created_at -= timedelta(days=days)
    session.commit()


def test_off_by_default(app, world, smtp_server):  # noqa: F811
    with app.app_context():
        _answered(world, "Forgotten", 30)
        assert run_autoclose(app) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(TimeAlert)) == 0


def test_reminder_then_close_once_each(app, world, smtp_server):  # noqa: F811
    with app.app_context():
        save_autoclose_settings(world.acme_id, True, 2, 5)
        quiet = _answered(world, "Printer", 6)
        fresh = _answered(world, "Scanner", 1)
        deliver(app)
        smtp_server.mailbox.received.clear()

        # Six days quiet: the reminder comes first, even though closing is already due.
        assert run_autoclose(app) == 1
        assert run_autoclose(app) == 0
        deliver(app)
        reminders = emails_to(smtp_server, "carla@acme.test")
        assert [m.subject for m in reminders] == ["[TKT-000001] Waiting for your reply: Printer"]
        assert "we will close it on" in reminders[0].text
        assert session.get(Ticket, quiet).status == TicketStatus.ANSWERED.value

        # Three days after the reminder (5 - 2), the ticket is closed by nobody.
        _age_reminder(quiet, 3)
        assert run_autoclose(app) == 1
        assert run_autoclose(app) == 0
        session.expire_all()
        ticket = session.get(Ticket, quiet)
        assert ticket.status == TicketStatus.CLOSED.value
        event = session.scalars(
            sa.select(TicketEvent).where(TicketEvent.ticket_id == quiet).order_by(TicketEvent.id.desc())
        ).first()
        assert (event.kind, event.actor_id, event.new_value) == ("auto_closed", None, TicketStatus.CLOSED.value)
        deliver(app)
        closed = [m.subject for m in emails_to(smtp_server, "carla@acme.test")][1:]
        assert closed == ["[TKT-000001] Closed: Printer"]
        assert session.get(Ticket, fresh).status == TicketStatus.ANSWERED.value


def test_history_says_closed_automatically(app, world, client, auth, smtp_server):  # noqa: F811
    with app.app_context():
        save_autoclose_settings(world.acme_id, True, 2, 5)
        quiet = _answered(world, "Printer", 6)
        run_autoclose(app)
        _age_reminder(quiet, 3)
        run_autoclose(app)
        number = session.get(Ticket, quiet).display_number
    auth.login("ada@acme.test")
    page = client.get(f"/acme/admin/tickets/{number}").get_data(as_text=True)
    assert "<strong>The system</strong> closed the ticket automatically (no reply from the customer)" in page


def test_a_customer_reply_stops_it(app, world, smtp_server):  # noqa: F811
    with app.app_context():
        save_autoclose_settings(world.acme_id, True, 2, 5)
        ticket_id = _answered(world, "Printer", 6)
        assert run_autoclose(app) == 1
        post_reply(session.get(Ticket, ticket_id), session.get(User, world.customer_id), "Still broken, sorry.")
        ticket = session.get(Ticket, ticket_id)
        ticket.last_reply_at -= timedelta(days=10)
        session.commit()
        _age_reminder(ticket_id, 10)
        # Answered, but the customer spoke last: it is staff's turn, nothing to remind or close.
        assert run_autoclose(app) == 0
        assert session.get(Ticket, ticket_id).status == TicketStatus.ANSWERED.value


def test_the_closed_email_of_an_automatic_close_can_be_answered_by_email(app, world, smtp_server):  # noqa: F811
    """Closed by nobody (actor None): inbound still gives the email its Reply-To, and an answer reaches the desk."""
    app.config["TICKETS_INBOUND_DOMAIN"] = "inbound.test"
    with app.app_context():
        save_autoclose_settings(world.acme_id, True, 2, 5)
        quiet = _answered(world, "Printer", 6)
        run_autoclose(app)
        _age_reminder(quiet, 3)
        assert run_autoclose(app) == 1
        deliver(app)
        closed = emails_to(smtp_server, "carla@acme.test")[-1]
        assert closed.subject == "[TKT-000001] Closed: Printer"
        reply_to = closed.header("Reply-To")
        assert reply_to.startswith("acme+t.") and reply_to.endswith("@inbound.test")

        answer = EmailMessage()
        answer["From"] = "carla@acme.test"
        answer["To"] = reply_to
        answer["Subject"] = "Re: " + closed.subject
        answer["Message-ID"] = "<answer-after-autoclose@client.example>"
        answer["In-Reply-To"] = closed.header("Message-ID")
        answer.set_content("It is broken again.")
        result = ingest(session.get(Tenant, world.acme_id), answer.as_bytes(), "stdin")
        # A reply to a closed ticket opens a follow-up linked to it.
        assert result.outcome == "new_ticket", result
        follow_up = session.scalar(sa.select(Ticket).where(Ticket.id != quiet))
        assert follow_up.body == "Follow-up to TKT-000001\n\nIt is broken again."
        assert follow_up.status == TicketStatus.OPEN.value
