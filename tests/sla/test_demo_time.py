"""The demo workspace shows service levels: targets set, due chips, overdue tickets."""

import re

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.demo import PASSWORD
from xobito_tickets.models import Tenant, Ticket, TicketStatus, utcnow
from xobito_tickets.sla.settings import sla_targets


def test_demo_has_targets_due_chips_and_overdue_tickets(app, runner, client):
    assert runner.invoke(args=["tickets", "demo"]).exit_code == 0
    with app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == "demo"))
        assert all(first and resolution for first, resolution in sla_targets(tenant.id).values())
        tickets = session.scalars(sa.select(Ticket).where(Ticket.tenant_id == tenant.id)).all()
        now = utcnow()
        overdue = [t for t in tickets if t.due_at is not None and t.due_at <= now]
        assert overdue
        assert all(t.status != TicketStatus.CLOSED.value for t in overdue)
        assert all(t.due_at is None for t in tickets if t.status == TicketStatus.CLOSED.value)
        # Clocks follow the backdated history, not the moment the demo was built.
        assert all(t.sla_clock_started_at is None or t.sla_clock_started_at <= t.last_reply_at for t in tickets)
    client.post("/demo/login", data={"email": "admin@demo.test", "password": PASSWORD})
    queue = client.get("/demo/admin/tickets?tab=overdue&sort=due").get_data(as_text=True)
    count = int(re.search(r'data-tab="overdue"[^>]*>Overdue <span class="xt-count">(\d+)</span>', queue).group(1))
    assert count == len(overdue)
    assert "xt-due-overdue" in queue
    settings = client.get("/demo/admin/settings/sla").get_data(as_text=True)
    assert 'value="480"' in settings and 'value="09:00-17:00"' in settings
