"""SPEC §16, service levels through the public surface: the settings page, the API's ``due``, the queue, the worker."""

import re

from xobito_tickets.db import session

from ..sla.conftest import _sla_receivers, age_ticket  # noqa: F401 - fixtures and the clock helper
from .conftest import body, emails, last_email_id, login, text_of

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _targets(**minutes):
    data = {"timezone": "UTC", "holidays": "", "warn_before_minutes": "10"}
    data.update({f"hours_{day}": "00:00-24:00" for day in WEEK})
    data.update(minutes)
    return data


def test_targets_give_due_times_that_a_priority_change_recomputes_and_alert_once(
    app, client, runner, world, desk, api, tokens, make
):
    login(client, "ada@acme.test")
    response = client.post(
        "/acme/admin/settings/sla",
        data=_targets(first_response_urgent="60", resolution_urgent="600", first_response_high="120"),
    )
    assert response.status_code == 303
    ticket = make.ticket(subject="Server down", priority=4)
    due = body(api.get(f"/tickets/{ticket.number}", tokens.admin))["due"]
    assert due is not None
    assert "due" not in body(api.get(f"/tickets/{ticket.number}", tokens.customer))
    # A priority change recomputes from the business time already used: later targets, later due.
    client.post(f"/acme/admin/tickets/{ticket.number}/priority", data={"priority": "high"})
    later = body(api.get(f"/tickets/{ticket.number}", tokens.admin))["due"]
    assert later != due
    # Past the target: in the Overdue tab, a breach email once to the department (no assignee).
    with app.app_context():
        age_ticket(ticket.id, 200)
        session.remove()
    overdue = client.get("/acme/admin/tickets?tab=overdue")
    assert ticket.number in set(re.findall(r'/acme/admin/tickets/(TKT-\d{6})"', overdue.get_data(as_text=True)))
    mark = last_email_id(app)
    assert runner.invoke(args=["tickets", "worker", "--once"]).exit_code == 0
    assert runner.invoke(args=["tickets", "worker", "--once"]).exit_code == 0
    alerts = [(to, m.subject) for _id, to, m in emails(app, mark) if "Overdue" in m.subject]
    assert alerts == [("sam@acme.test", f"[{ticket.number}] Overdue (first response): Server down")]
    assert "carla@acme.test" not in {to for _id, to, _m in emails(app, mark)}
    # Staff see the due chip on the queue; customers never do.
    assert "Overdue" in text_of(client.get("/acme/admin/tickets?tab=overdue"))
    login(client, "carla@acme.test")
    assert "Overdue" not in text_of(client.get(f"/acme/tickets/{ticket.number}"))
