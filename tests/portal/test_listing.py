"""The ticket list: filters, newest activity first, cursor pagination, garbage ignored."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Ticket

NUMBER = re.compile(r">(TKT-\d{6,})</a></td>")


def _numbers(html):
    return NUMBER.findall(html)


def _set_activity(app, world, minutes_ago):
    """Give Carla's tickets the activity times ``minutes_ago`` (by ticket number order)."""
    now = datetime.now(UTC)
    with app.app_context():
        tickets = session.scalars(
            sa.select(Ticket).where(Ticket.requester_id == world.customer_id).order_by(Ticket.number)
        ).all()
        for ticket, minutes in zip(tickets, minutes_ago, strict=True):
            ticket.last_reply_at = now - timedelta(minutes=minutes)
        session.commit()


@pytest.fixture
def mixed(world, make, app):
    """Six tickets of Carla in every status, priority and department, and one of Oscar."""
    specs = [
        ("Open support low", world.support_id, 1, None),
        ("Answered billing high", world.billing_id, 3, "answer"),
        ("Closed support urgent", world.support_id, 4, "close"),
        ("Open billing medium", world.billing_id, 2, None),
        ("Answered support urgent", world.support_id, 4, "answer"),
        ("Closed billing low", world.billing_id, 1, "close"),
    ]
    for subject, department, priority, action in specs:
        number = make.ticket(subject=subject, department_id=department, priority=priority).number
        if action == "answer":
            make.reply(number, world.staff_id)
        elif action == "close":
            with app.test_request_context():
                from xobito_tickets.tickets.services import close_ticket

                close_ticket(make.get(number), session.get(type(make.get(number).requester), world.customer_id))
    make.ticket(requester_id=world.other_customer_id, subject="Oscar's")
    # Activity: TKT-000004 most recent, then 2, 6, 1, 5, 3.
    _set_activity(app, world, [40, 10, 60, 5, 50, 30])
    return specs


def test_newest_activity_first(customer, mixed):
    html = customer.get("/acme/tickets").get_data(as_text=True)
    assert _numbers(html) == ["TKT-000004", "TKT-000002", "TKT-000006", "TKT-000001", "TKT-000005", "TKT-000003"]


def test_a_reply_moves_a_ticket_to_the_top(customer, mixed):
    customer.post("/acme/tickets/TKT-000003/reply", data={"body": "Hello again"})  # closed: refused
    customer.post("/acme/tickets/TKT-000005/reply", data={"body": "Hello again"})
    html = customer.get("/acme/tickets").get_data(as_text=True)
    assert _numbers(html)[0] == "TKT-000005"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=open", {"TKT-000001", "TKT-000004"}),
        ("status=answered", {"TKT-000002", "TKT-000005"}),
        ("status=closed", {"TKT-000003", "TKT-000006"}),
        ("status=open&status=answered", {"TKT-000001", "TKT-000002", "TKT-000004", "TKT-000005"}),
        ("priority=urgent", {"TKT-000003", "TKT-000005"}),
        ("priority=low&priority=high", {"TKT-000001", "TKT-000002", "TKT-000006"}),
        ("department={billing}", {"TKT-000002", "TKT-000004", "TKT-000006"}),
        ("status=open&status=closed&department={support}", {"TKT-000001", "TKT-000003"}),
        ("status=answered&priority=urgent&department={support}", {"TKT-000005"}),
    ],
)
def test_filters(customer, world, mixed, query, expected):
    query = query.format(billing=world.billing_id, support=world.support_id)
    html = customer.get(f"/acme/tickets?{query}").get_data(as_text=True)
    assert set(_numbers(html)) == expected
    # The chosen filters stay selected in the form.
    for value in re.findall(r"(?:status|priority)=(\w+)", query):
        assert re.search(rf'value="{value}"\s+checked', html), value


def test_filter_form_has_readable_labels(customer, world, mixed):
    html = customer.get("/acme/tickets").get_data(as_text=True)
    for label in ("Open", "Answered", "Closed", "Low", "Medium", "High", "Urgent", "Support", "Billing"):
        assert f"> {label}</label>" in html or f">{label}</option>" in html, label


def test_no_match_says_so(customer, mixed):
    html = customer.get("/acme/tickets?status=closed&priority=high").get_data(as_text=True)
    assert _numbers(html) == []
    assert "No tickets match these filters" in html


GARBAGE = [
    "status=bogus",
    "status=",
    "status=OPEN",
    "priority=9",
    "priority=",
    "priority=__class__",
    "department=abc",
    "department=-1",
    "department=99999999999999999999999",
    "department=%C2%B2",
    "department=1.5",
    "department=%00",
    "after=garbage",
    "after=",
    "before=%%%",
    "after=" + "A" * 500,
    "after=dDEyMw",
    "before=aTE",
    "after=dDk5OTk5OTk5OTk5OTk5OTk5OTk5fmkx",
    "after=aTF-aTI",
    "before=aTF-aTI",
    "after=%C2%B2",
    "sort=drop+table",
    "q=%00",
    "page=-1",
    "status=open&status=open",
]


def test_garbage_filters_and_cursors_are_ignored(customer, mixed):
    everything = _numbers(customer.get("/acme/tickets").get_data(as_text=True))
    for query in GARBAGE:
        response = customer.get(f"/acme/tickets?{query}")
        assert response.status_code in (200, 400), query
        if response.status_code == 200 and not query.startswith("status=open"):
            assert _numbers(response.get_data(as_text=True)) == everything, query


def test_a_well_formed_cursor_before_every_ticket_gives_an_empty_page(customer, mixed):
    # "t-1~i1": a time in 1969, which no ticket is older than.
    response = customer.get("/acme/tickets?after=dC0xfmkx")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _numbers(html) == []
    assert "No more tickets" in html and "You have no tickets yet" not in html


def _many(app, world, make, count):
    """Create ``count`` tickets for Carla with distinct, decreasing activity times."""
    for i in range(count):
        make.ticket(subject=f"Ticket {i + 1}")
    base = datetime.now(UTC)
    with app.app_context():
        for ticket in session.scalars(sa.select(Ticket).where(Ticket.requester_id == world.customer_id)):
            ticket.last_reply_at = base - timedelta(minutes=1000 - ticket.number)
        session.commit()


def _walk(client, url, rel="next"):
    """Follow the pager from ``url``; return the list of pages (ticket numbers)."""
    pages = []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(_numbers(html))
        match = re.search(rf'rel="{rel}" href="([^"]+)"', html)
        url = match.group(1).replace("&amp;", "&") if match else None
        assert len(pages) < 20
    return pages


def test_pagination_walks_every_ticket_once(customer, app, world, make):
    _many(app, world, make, 53)
    pages = _walk(customer, "/acme/tickets")
    assert [len(p) for p in pages] == [25, 25, 3]
    flat = [n for p in pages for n in p]
    assert flat == [f"TKT-{n:06d}" for n in range(53, 0, -1)]
    # And back again with "Newer".
    last_html = customer.get("/acme/tickets").get_data(as_text=True)
    next_url = re.search(r'rel="next" href="([^"]+)"', last_html).group(1).replace("&amp;", "&")
    html = customer.get(next_url).get_data(as_text=True)
    newer = re.search(r'rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert _numbers(customer.get(newer).get_data(as_text=True)) == pages[0]
    assert 'rel="prev"' not in customer.get(newer).get_data(as_text=True)


def test_pagination_keeps_the_filters(customer, app, world, make):
    _many(app, world, make, 30)
    with app.app_context():
        for ticket in session.scalars(sa.select(Ticket).where(Ticket.number % 3 == 0)):
            ticket.priority = 4
        session.commit()
    pages = _walk(customer, "/acme/tickets?priority=urgent&priority=low")
    flat = [n for p in pages for n in p]
    assert flat == [f"TKT-{n:06d}" for n in range(30, 0, -1) if n % 3 == 0]
    pages = _walk(customer, "/acme/tickets?priority=medium")
    assert [len(p) for p in pages] == [20]


def test_pagination_with_equal_activity_times(customer, app, world, make):
    """Tickets touched in the same microsecond are neither skipped nor repeated."""
    _many(app, world, make, 30)
    same = datetime(2026, 3, 4, 12, 0, 0, 123457, tzinfo=UTC)
    with app.app_context():
        for ticket in session.scalars(sa.select(Ticket)):
            ticket.last_reply_at = same
        session.commit()
    flat = [n for p in _walk(customer, "/acme/tickets") for n in p]
    assert flat == [f"TKT-{n:06d}" for n in range(30, 0, -1)]


def test_pagination_with_sub_second_times(customer, app, world, make):
    """Cursor times keep every microsecond (no float rounding)."""
    _many(app, world, make, 30)
    base = datetime(2026, 3, 4, 12, 0, 0, tzinfo=UTC)
    with app.app_context():
        for ticket in session.scalars(sa.select(Ticket)):
            # Pairs share a time; microseconds that floats cannot hold exactly.
            ticket.last_reply_at = base + timedelta(microseconds=123457 + 7 * (ticket.number // 2))
        session.commit()
    flat = [n for p in _walk(customer, "/acme/tickets") for n in p]
    assert sorted(flat) == [f"TKT-{n:06d}" for n in range(1, 31)]
    assert len(flat) == len(set(flat)) == 30
