"""Times in emails are the recipient's: their zone and language, right on both sides of a clock change."""

from datetime import UTC, datetime, timedelta

from xobito_tickets.db import session
from xobito_tickets.models import Department, Tenant, User
from xobito_tickets.sla.alerts import send_alert
from xobito_tickets.tickets.services import assign_ticket, open_ticket

from .conftest import deliver, emails_to

#: Europe/Berlin moves from CET (UTC+1) to CEST (UTC+2) at 01:00 UTC on 29 March 2026.
BEFORE = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
AFTER = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST


def due_ticket(world, subject, due_at, assignee_id=None):
    """Open a ticket whose first response is due at ``due_at``; queue its warning email; return its number."""
    acme = session.get(Tenant, world.acme_id)
    ticket = open_ticket(
        acme, session.get(User, world.customer_id), session.get(Department, world.support_id), subject, "Help"
    )
    if assignee_id is not None:
        ticket = assign_ticket(
            ticket, session.get(User, world.admin_id), ticket.department, session.get(User, assignee_id)
        )
    ticket.first_response_due_at = ticket.due_at = due_at
    ticket.sla_warn_at = due_at - timedelta(hours=1)
    session.commit()
    assert send_alert(ticket.id, due_at - timedelta(minutes=30))
    return ticket.display_number


def test_due_times_in_alert_emails_follow_each_recipient_across_the_dst_change(app, world, smtp_server):
    with app.app_context():
        session.get(User, world.staff_id).timezone = "Europe/Berlin"
        bea = session.get(User, world.billing_staff_id)
        bea.timezone, bea.language = "Europe/Berlin", "de"
        session.commit()
        due_ticket(world, "Before the change", BEFORE)
        due_ticket(world, "After the change", AFTER)
        due_ticket(world, "Für Bea", AFTER, assignee_id=world.billing_staff_id)
    deliver(app)
    texts = {e.subject: e.text for e in emails_to(smtp_server, "sam@acme.test") if "due soon" in e.subject}
    before = next(text for subject, text in texts.items() if "Before the change" in subject)
    after = next(text for subject, text in texts.items() if "After the change" in subject)
    # One hour apart in UTC, two on Sam's wall clock: the clocks went forward in between.
    assert "Mar 29, 2026, 1:30:00\u202fAM CET" in before
    assert "Mar 29, 2026, 3:30:00\u202fAM CEST" in after
    # Bea reads German: the subject too.
    (german,) = [e for e in emails_to(smtp_server, "bea@acme.test") if "bald fällig: Für Bea" in e.subject]
    assert "29.03.2026, 03:30:00 CEST" in german.text


def test_without_a_zone_of_their_own_staff_read_the_business_hours_zone(app, world, smtp_server):
    with app.app_context():
        due_ticket(world, "Zone of the workspace", AFTER)
    deliver(app)
    (email,) = [e for e in emails_to(smtp_server, "sam@acme.test") if "due soon: Zone" in e.subject]
    assert "Mar 29, 2026, 1:30:00\u202fAM UTC" in email.text
