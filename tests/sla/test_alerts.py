"""Warning and breach emails, through the outbox and a real SMTP server: once each."""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Tenant, Ticket, User
from xobito_tickets.sla.alerts import send_sla_alerts
from xobito_tickets.sla.models import TimeAlert
from xobito_tickets.tickets.services import assign_ticket, open_ticket, post_reply

from ..conftest import count_rows
from ..mail.conftest import deliver, emails_to, mail_config, smtp_server  # noqa: F401 - fixtures
from .conftest import age_ticket, set_targets


@pytest.fixture
def app_config(app_config, mail_config):  # noqa: F811 - extends the suite's fixture
    app_config.update(mail_config)
    return app_config


def _open(world, subject="Printer on fire"):
    acme = session.get(Tenant, world.acme_id)
    carla = session.get(User, world.customer_id)
    support = session.get(Department, world.support_id)
    return open_ticket(acme, carla, support, subject, "It jams.").id


def test_warning_then_breach_once_each_to_the_department(app, world, smtp_server):  # noqa: F811
    with app.app_context():
        set_targets(world.acme_id, medium=(60, 480))
        ticket_id = _open(world)
        deliver(app)
        smtp_server.mailbox.received.clear()

        # Nothing is due yet: 60 minutes to go, the warning comes 60 minutes before.
        age_ticket(ticket_id, 1)
        assert send_sla_alerts(app) == 1  # 59 minutes left: inside the lead time
        assert send_sla_alerts(app) == 0
        deliver(app)
        warnings = emails_to(smtp_server, "sam@acme.test")
        assert [m.subject for m in warnings] == ["[TKT-000001] First response due soon: Printer on fire"]
        assert (
            "due soon" in warnings[0].text and "http://helpdesk.test/acme/admin/tickets/TKT-000001" in warnings[0].text
        )
        # The customer hears nothing about the clock.
        assert emails_to(smtp_server, "carla@acme.test") == []

        age_ticket(ticket_id, 60)
        assert send_sla_alerts(app) == 1
        assert send_sla_alerts(app) == 0
        deliver(app)
        breaches = [m.subject for m in emails_to(smtp_server, "sam@acme.test")][1:]
        assert breaches == ["[TKT-000001] Overdue (first response): Printer on fire"]
        assert count_rows(app, TimeAlert) == 2


def test_assignee_is_warned_and_resolution_clock_gets_its_own_alerts(app, world, smtp_server):  # noqa: F811
    with app.app_context():
        set_targets(world.acme_id, medium=(60, 120))
        ticket_id = _open(world)
        admin = session.get(User, world.admin_id)
        bea = session.get(User, world.billing_staff_id)
        ticket = session.get(Ticket, ticket_id)
        assign_ticket(ticket, admin, ticket.department, bea)
        post_reply(session.get(Ticket, ticket_id), bea, "Looking into it.")  # first response in time
        post_reply(session.get(Ticket, ticket_id), session.get(User, world.customer_id), "Still broken.")
        age_ticket(ticket_id, 150)  # resolution due 120 minutes in: overdue now
        deliver(app)
        smtp_server.mailbox.received.clear()
        assert send_sla_alerts(app) == 1
        assert send_sla_alerts(app) == 0
        deliver(app)
        assert [m.subject for m in emails_to(smtp_server, "bea@acme.test")] == [
            "[TKT-000001] Overdue (resolution): Printer on fire"
        ]
        assert emails_to(smtp_server, "sam@acme.test") == []
        # The late warning is marked sent, never emailed after the breach.
        kinds = sorted(session.scalars(sa.select(TimeAlert.kind).where(TimeAlert.ticket_id == ticket_id)))
        assert kinds == ["resolution_breach", "resolution_warning"]


def test_paused_and_closed_tickets_are_not_alerted(app, world, smtp_server):  # noqa: F811
    with app.app_context():
        set_targets(world.acme_id, medium=(60, 120))
        ticket_id = _open(world)
        post_reply(session.get(Ticket, ticket_id), session.get(User, world.staff_id), "Answered at once.")
        age_ticket(ticket_id, 500)
        assert send_sla_alerts(app) == 0
        assert count_rows(app, TimeAlert) == 0
