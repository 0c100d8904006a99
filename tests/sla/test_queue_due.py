"""Staff see due times: chips on the queue and the ticket page, the Overdue tab, sort by due."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from xobito_tickets.db import session
from xobito_tickets.models import Department, Tenant, Ticket, User
from xobito_tickets.sla import queue as sla_queue
from xobito_tickets.tickets.services import open_ticket, post_reply

from .conftest import age_ticket, set_targets

QUEUE = "/acme/admin/tickets"


@pytest.fixture
def app_config(app_config):
    app_config["TICKETS_PAGE_SIZE"] = 2
    return app_config


@pytest.fixture
def desk(app, world):
    """Support: A overdue by 30 min, B due in 30 min, C due in 90 min, D answered (paused);
    Billing: E overdue (Sam cannot see it)."""
    with app.app_context():
        set_targets(world.acme_id, medium=(60, 480))
        acme = session.get(Tenant, world.acme_id)
        carla = session.get(User, world.customer_id)
        support = session.get(Department, world.support_id)
        billing = session.get(Department, world.billing_id)
        numbers = {}
        for key, department, age in (("A", support, 90), ("B", support, 30), ("C", support, -30), ("E", billing, 120)):
            ticket = open_ticket(acme, carla, department, f"Ticket {key}", "Help.")
            numbers[key] = ticket.display_number
            if age > 0:
                age_ticket(ticket.id, age)
            elif age < 0:
                # A later start: due in 90 minutes.
                ticket = session.get(Ticket, ticket.id)
                ticket.sla_clock_started_at += timedelta(minutes=30)
                session.commit()
                age_ticket(ticket.id, 0)
        answered = open_ticket(acme, carla, support, "Ticket D", "Help.")
        numbers["D"] = answered.display_number
        post_reply(session.get(Ticket, answered.id), session.get(User, world.staff_id), "Try this.")
        return numbers


def rows(response):
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.findall(r'<tr class="xt-queue-row[^"]*">\s*<td class="xt-nowrap"><a href="[^"]+">(TKT-\d+)</a>', html)


def overdue_tab(response):
    match = re.search(
        r'data-tab="overdue"[^>]*>Overdue <span class="xt-count">(\d+)</span>', response.get_data(as_text=True)
    )
    return int(match.group(1))


def test_overdue_tab_lists_what_is_late_and_visible(client, auth, desk):
    auth.login("sam@acme.test")
    response = client.get(QUEUE + "?tab=overdue")
    assert rows(response) == [desk["A"]]
    assert overdue_tab(response) == 1
    assert 'aria-current="page" data-tab="overdue"' in response.get_data(as_text=True)
    auth.login("ada@acme.test")
    everything = client.get(QUEUE + "?tab=overdue&sort=due")
    assert rows(everything) == [desk["E"], desk["A"]]
    assert overdue_tab(client.get(QUEUE)) == 2


def test_sort_by_due_is_soonest_first_then_nothing_due_across_pages(client, auth, desk):
    auth.login("sam@acme.test")
    # The default tab, Needs reply, leaves out D (answered): the All tab shows every ticket.
    first = client.get(QUEUE + "?tab=all&sort=due")
    assert rows(first) == [desk["A"], desk["B"]]
    after = re.search(r'rel="next" href="([^"]+)"', first.get_data(as_text=True)).group(1).replace("&amp;", "&")
    second = client.get(after)
    assert rows(second) == [desk["C"], desk["D"]]
    before = re.search(r'rel="prev" href="([^"]+)"', second.get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert rows(client.get(before)) == [desk["A"], desk["B"]]
    # A cursor that is not ours is ignored, never a 500.
    assert rows(client.get(QUEUE + "?tab=all&sort=due&after=bm9wZQ")) == [desk["A"], desk["B"]]
    # The sort keeps to the tab: Needs reply is A, B, then C.
    needs_reply = client.get(QUEUE + "?sort=due")
    assert rows(needs_reply) == [desk["A"], desk["B"]]
    after = re.search(r'rel="next" href="([^"]+)"', needs_reply.get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert rows(client.get(after)) == [desk["C"]]


def test_chips_on_the_queue_and_the_ticket_page(client, auth, desk):
    auth.login("sam@acme.test")
    html = client.get(QUEUE + "?sort=due").get_data(as_text=True)
    assert re.search(r'class="xt-due xt-due-overdue"[^>]*>Overdue 30m<', html)
    assert re.search(r'class="xt-due xt-due-soon"[^>]*>Due in (29|30)m<', html)
    page = client.get(f"{QUEUE}/{desk['A']}").get_data(as_text=True)
    assert "Overdue 30m" in page and "First response due" in page and "Resolution due" in page
    paused = client.get(f"{QUEUE}/{desk['D']}").get_data(as_text=True)
    assert "Paused" in paused and "waiting on the customer" in paused


def test_customers_see_no_due_times(client, auth, desk):
    auth.login("carla@acme.test")
    html = client.get(f"/acme/tickets/{desk['A']}").get_data(as_text=True)
    assert "xt-due" not in html and "Overdue" not in html
    assert "Overdue" not in client.get("/acme/tickets").get_data(as_text=True)


def test_overdue_count_follows_the_clock_between_two_pages(client, auth, desk, monkeypatch):
    """The tab counts' statement is built once per person; its "now" is read on every page."""
    auth.login("sam@acme.test")
    assert overdue_tab(client.get(QUEUE)) == 1
    later = datetime.now(UTC) + timedelta(minutes=45)  # B (due in 30 min) is late by then
    monkeypatch.setattr(sla_queue, "utcnow", lambda: later)
    assert overdue_tab(client.get(QUEUE)) == 2
    assert rows(client.get(QUEUE + "?tab=overdue&sort=due")) == [desk["A"], desk["B"]]
