"""The queue: filters, search, sorts, status counts and cursor paging against a known set of tickets."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, Ticket, TicketCounter, User, utcnow
from xobito_tickets.tickets.services import assign_ticket, close_ticket, open_ticket, post_reply

from .conftest import login, text_of

#: key: (number, department, priority, outcome, requester, assignee, subject, activity hours ago, created days ago)
TICKETS = {
    "A": (1, "support", "LOW", "open", "customer", None, "Printer on fire", 8, 10),
    "B": (2, "billing", "URGENT", "answered", "other_customer", "billing_staff", "Invoice 2026-114 twice", 1, 2),
    "C": (3, "support", "HIGH", "closed", "customer", "staff", "Password reset mail missing", 3, 9),
    "D": (4, "support", "URGENT", "open", "other_customer", "staff", "Export 100% slow", 5, 1),
    "E": (5, "billing", "MEDIUM", "open", "customer", None, "Refund for March", 2, 5),
    "F": (42, "support", "MEDIUM", "answered", "other_customer", "admin", "Cannot print_labels", 4, 3),
    "G": (43, "billing", "HIGH", "closed", "customer", "billing_staff", "printer paper jam", 6, 7),
}


def number(key):
    return f"TKT-{TICKETS[key][0]:06d}"


def keys(*letters):
    return [number(letter) for letter in letters]


@pytest.fixture
def tickets(app, world):
    """Make the seven tickets through the services, then pin their times."""
    now = utcnow()
    with app.test_request_context():
        acme = session.get(Tenant, world.acme_id)
        admin = session.get(User, world.admin_id)
        for num, dept, prio, outcome, requester, assignee, subject, hours, days in TICKETS.values():
            session.get(TicketCounter, acme.id).last_number = num - 1
            session.commit()
            department = session.get(Department, getattr(world, dept + "_id"))
            ticket = open_ticket(
                acme, session.get(User, getattr(world, requester + "_id")), department, subject, "Body.", Priority[prio]
            )
            assert ticket.number == num
            if assignee:
                assign_ticket(ticket, admin, department, session.get(User, getattr(world, assignee + "_id")))
            if outcome in ("answered", "closed"):
                post_reply(ticket, admin, "An answer.")
            if outcome == "closed":
                close_ticket(ticket, admin)
            session.execute(
                sa.update(Ticket)
                .where(Ticket.id == ticket.id)
                .values(last_reply_at=now - timedelta(hours=hours), created_at=now - timedelta(days=days))
            )
            session.commit()
    return TICKETS


def listed(response):
    """Return the ticket numbers of the queue's rows, in order."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.findall(r'<tr class="xt-queue-row[^"]*">\s*<td class="xt-nowrap"><a href="[^"]+">(TKT-\d+)</a>', html)


def tab_counts(response):
    """Return the numbers on the view tabs: {"Needs reply": 3, "Mine": 0, …, "All": 7}."""
    html = response.get_data(as_text=True)
    nav = html[html.index('<nav class="xt-tabs"') : html.index("</nav>", html.index('<nav class="xt-tabs"'))]
    counts = {label: int(count) for label, count in re.findall(r'>([\w ]+?) <span class="xt-count">(\d+)</span>', nav)}
    # The Overdue tab counts due times, not statuses (tests/sla/test_queue_due.py).
    counts.pop("Overdue", None)
    return counts


@pytest.fixture
def admin(client, tickets):
    return login(client, "ada@acme.test")


def test_default_order_is_last_activity(admin):
    assert listed(admin.get("/acme/admin/tickets?tab=all")) == keys("B", "E", "C", "F", "D", "G", "A")


def test_the_default_view_is_needs_reply_and_any_filter_searches_everything(admin):
    # Open tickets, and Answered ones whose last message is the customer's: none here
    # (every Answered ticket's last message is the admin's answer).
    assert listed(admin.get("/acme/admin/tickets")) == keys("E", "D", "A")
    assert listed(admin.get("/acme/admin/tickets?priority=urgent")) == keys("B", "D")


def test_sort_by_priority_puts_urgent_first_then_activity(admin):
    assert listed(admin.get("/acme/admin/tickets?tab=all&sort=priority")) == keys("B", "D", "C", "G", "E", "F", "A")


def test_sort_by_created(admin):
    assert listed(admin.get("/acme/admin/tickets?tab=all&sort=created")) == keys("D", "B", "F", "E", "G", "C", "A")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=open", "EDA"),
        ("status=open&status=answered", "BEFDA"),
        ("status=closed", "CG"),
        ("priority=urgent&priority=high", "BCDG"),
        ("priority=low", "A"),
        ("department={billing_id}", "BEG"),
        ("assignee=none", "EA"),
        ("assignee={billing_staff_id}", "BG"),
        ("status=open&department={support_id}&assignee=none", "A"),
        ("priority=urgent&status=open", "D"),
        ("status=open&status=answered&sort=priority", "BDEFA"),
    ],
)
def test_filters_combine(admin, world, query, expected):
    url = "/acme/admin/tickets?" + query.format(**vars(world))
    assert listed(admin.get(url)) == keys(*expected)


def test_assignee_me_is_the_logged_in_person(client, tickets):
    login(client, "sam@acme.test")
    assert listed(client.get("/acme/admin/tickets?assignee=me")) == keys("C", "D")


@pytest.mark.parametrize(
    "q, expected",
    [
        ("TKT-000042", "F"),
        ("000042", "F"),
        ("42", "F"),
        ("#42", "F"),
        ("tkt-000042", "F"),
        ("printer", "GA"),
        ("PRINTER fire", "A"),
        ("oscar", "BFD"),
        ("oscar@acme", "BFD"),
        ("Carla Customer", "ECGA"),
        ("100%", "D"),
        ("print_", "F"),
        ("2026", "B"),
        ("no-such-thing", ""),
        ("TKT-000999", ""),
    ],
)
def test_search_over_number_subject_and_customer(admin, q, expected):
    # A search with words is ranked by relevance (tests/search checks the order).
    assert sorted(listed(admin.get("/acme/admin/tickets", query_string={"q": q}))) == sorted(keys(*expected))


def test_number_search_points_at_the_ticket(admin):
    page = admin.get("/acme/admin/tickets?q=42").get_data(as_text=True)
    assert '<p class="xt-exact" role="status">Ticket <a href="/acme/admin/tickets/TKT-000042">' in page


def test_search_combines_with_filters_and_shows_an_empty_state(admin):
    assert listed(admin.get("/acme/admin/tickets?q=printer&status=closed")) == keys("G")
    response = admin.get("/acme/admin/tickets?q=printer&status=answered")
    assert listed(response) == []
    assert "No tickets match these filters" in text_of(response)


def test_rows_show_customer_and_assignee(admin):
    page = text_of(admin.get("/acme/admin/tickets?q=TKT-000002"))
    assert "TKT-000002 Invoice 2026-114 twice Oscar Other Billing Urgent Answered Bea Billing" in page
    # The last column says who wrote last: the admin answered.
    assert "Bea Billing 1 hour ago Staff" in page


def test_staff_see_only_their_departments_and_their_assignments(client, tickets, world, app):
    login(client, "sam@acme.test")
    assert listed(client.get("/acme/admin/tickets?tab=all")) == keys("C", "F", "D", "A")
    assert listed(client.get("/acme/admin/tickets?q=invoice")) == []
    page = client.get("/acme/admin/tickets?q=TKT-000002").get_data(as_text=True)
    assert "xt-exact" not in page and "Invoice" not in page
    login(client, "bea@acme.test")
    assert listed(client.get("/acme/admin/tickets?tab=all")) == keys("B", "E", "G")
    # Assigned outside her department: she sees it, and only it from Support.
    with app.test_request_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == 1))
        assign_ticket(
            ticket,
            session.get(User, world.admin_id),
            session.get(Department, world.support_id),
            session.get(User, world.billing_staff_id),
        )
    assert listed(client.get("/acme/admin/tickets?tab=all")) == keys("B", "E", "G", "A")
    assert tab_counts(client.get("/acme/admin/tickets")) == {
        "Needs reply": 2,
        "Mine": 2,
        "Unassigned": 1,
        "All open": 3,
        "Closed": 1,
        "All": 4,
    }


def test_view_counts_come_from_the_counts_table_and_follow_visibility(admin, client, tickets):
    everything = {"Needs reply": 3, "Mine": 1, "Unassigned": 2, "All open": 5, "Closed": 2, "All": 7}
    assert tab_counts(admin.get("/acme/admin/tickets")) == everything
    # Filters narrow the list, not the numbers on the views.
    assert tab_counts(admin.get("/acme/admin/tickets?status=closed&q=printer")) == everything
    login(client, "sam@acme.test")
    assert tab_counts(client.get("/acme/admin/tickets")) == {
        "Needs reply": 2,
        "Mine": 1,
        "Unassigned": 1,
        "All open": 3,
        "Closed": 1,
        "All": 4,
    }


@pytest.mark.parametrize("page_size", [2, 25])
def test_each_view_lists_as_many_tickets_as_its_count(app_config, client, world, tickets, page_size):
    app_config["TICKETS_PAGE_SIZE"] = page_size
    for email in ("ada@acme.test", "sam@acme.test", "bea@acme.test"):
        login(client, email)
        counts = tab_counts(client.get("/acme/admin/tickets"))
        tabs = {"Needs reply": "needs_reply", "Mine": "mine", "Unassigned": "unassigned", "All open": "open"}
        tabs.update({"Closed": "closed", "All": "all"})
        for label, key in tabs.items():
            response = client.get(f"/acme/admin/tickets?tab={key}")
            seen = listed(response)
            while (link := _next_link(response, "next")) is not None:
                response = client.get(link)
                seen += listed(response)
            assert len(seen) == counts[label], (email, label)
        client.post("/acme/logout")


def test_tabs_and_pager_keep_the_filters_in_the_url(admin, world):
    page = admin.get(f"/acme/admin/tickets?tab=open&priority=urgent&department={world.support_id}&sort=priority")
    html = page.get_data(as_text=True).replace("&amp;", "&")
    # A chip removes one filter and keeps the rest, the view and the sort.
    assert f'href="/acme/admin/tickets?department={world.support_id}&sort=priority&tab=open"' in html
    assert '<input type="hidden" name="tab" value="open">' in html


@pytest.fixture
def small_pages(app_config):
    app_config["TICKETS_PAGE_SIZE"] = 2


def _next_link(response, rel):
    match = re.search(rf'rel="{rel}" href="([^"]+)"', response.get_data(as_text=True))
    return match.group(1).replace("&amp;", "&") if match else None


def test_cursor_paging_walks_every_ticket_once_and_back(small_pages, admin):
    pages = []
    response = admin.get("/acme/admin/tickets?tab=all")
    while True:
        pages.append(listed(response))
        link = _next_link(response, "next")
        if link is None:
            break
        assert "offset" not in link and "page=" not in link
        response = admin.get(link)
    assert pages == [keys("B", "E"), keys("C", "F"), keys("D", "G"), keys("A")]
    back = admin.get(_next_link(response, "prev"))
    assert listed(back) == keys("D", "G")
    assert listed(admin.get(_next_link(back, "prev"))) == keys("C", "F")


def test_cursor_paging_keeps_filters_and_sort(small_pages, admin):
    response = admin.get("/acme/admin/tickets?status=open&status=answered&sort=priority")
    seen = listed(response)
    while (link := _next_link(response, "next")) is not None:
        assert "status=open&status=answered" in link and "sort=priority" in link
        response = admin.get(link)
        seen += listed(response)
    assert seen == keys("B", "D", "E", "F", "A")


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "priority=extreme",
        "department=abc",
        "department=99999999999999999999999999",
        "assignee=12x",
        "assignee=99999999999999999999999999",
        "sort=random",
        "after=!!!",
        "after=dDE3MDAwMDAwMDAwMDAwMDAwMA",
        "before=zzz",
        "after=" + "A" * 500,
        "status=open&status=open",
    ],
)
def test_parameters_not_understood_are_ignored(admin, query):
    # A filter named in the URL (even with a value not understood) searches everything;
    # sort and paging parameters are no filters, so they need the "All" view here.
    prefix = "" if query.split("=")[0] in ("status", "priority", "department", "assignee") else "tab=all&"
    response = admin.get("/acme/admin/tickets?" + prefix + query)
    assert response.status_code == 200
    expected = keys("E", "D", "A") if "status=open" in query else keys("B", "E", "C", "F", "D", "G", "A")
    assert listed(response) == expected


def test_very_long_search_is_cut_not_refused(admin):
    response = admin.get("/acme/admin/tickets", query_string={"q": "printer " + "x" * 5000})
    assert response.status_code == 200
    assert listed(response) == []
