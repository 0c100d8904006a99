"""The queue's CSV export: the queue's filters and visibility, every ticket in batches, no formula cells."""

import csv
import io
import re

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Role, Tenant, Ticket, User
from xobito_tickets.reports.export import safe_cell
from xobito_tickets.team.services import create_user
from xobito_tickets.tickets.services import assign_ticket, close_ticket, open_ticket

from ..conftest import PASSWORD


@pytest.fixture
def app_config(app_config):
    # Small batches, so a handful of tickets takes several keyset queries.
    app_config["TICKETS_EXPORT_BATCH"] = 3
    return app_config


SUBJECTS = ["=cmd|' /C calc'!A0", "+SUM(A1:A2)", "-2+3", "@import", "Plain subject", 'Printer, "quoted"']


@pytest.fixture
def tickets(app, world):
    """Eight Support tickets (two closed) and two Billing ones; a customer whose name is a formula."""
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        evil = create_user(acme, "eve@acme.test", '=HYPERLINK("http://evil.test")', Role.CUSTOMER, PASSWORD)
        carla = session.get(User, world.customer_id)
        support = session.get(Department, world.support_id)
        billing = session.get(Department, world.billing_id)
        staff = session.get(User, world.staff_id)
        numbers = []
        for i in range(8):
            subject = SUBJECTS[i] if i < len(SUBJECTS) else f"Support ticket {i}"
            ticket = open_ticket(acme, evil if i == 0 else carla, support, subject, "Body.")
            if i in (1, 5):
                close_ticket(ticket, staff)
            numbers.append(ticket.display_number)
        for i in range(2):
            numbers.append(open_ticket(acme, carla, billing, f"Billing ticket {i}", "Body.").display_number)
        return numbers


def _rows(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_an_admin_exports_every_ticket_newest_activity_first(app, world, client, auth, tickets):
    auth.login("ada@acme.test")
    # A filter, even an empty search, means every ticket (no tab), as on the queue.
    response = client.get("/acme/admin/tickets.csv?q=")
    assert response.is_streamed
    rows = _rows(response)
    assert rows[0][:5] == ["Ticket ID", "Subject", "Department", "Priority", "Status"]
    assert [r[0] for r in rows[1:]] == list(reversed(tickets))


def test_formula_cells_are_made_text(app, world, client, auth, tickets):
    auth.login("ada@acme.test")
    rows = {r[0]: r for r in _rows(client.get("/acme/admin/tickets.csv?q="))[1:]}
    assert rows[tickets[0]][1] == "'=cmd|' /C calc'!A0"
    assert rows[tickets[0]][5] == '\'=HYPERLINK("http://evil.test")'
    assert rows[tickets[1]][1] == "'+SUM(A1:A2)"
    assert rows[tickets[2]][1] == "'-2+3"
    assert rows[tickets[3]][1] == "'@import"
    assert rows[tickets[4]][1] == "Plain subject"
    assert rows[tickets[5]][1] == 'Printer, "quoted"'


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(1)", "\t=1", "\r=1"])
def test_every_formula_start_is_prefixed(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("a" + value) == "a" + value


def test_the_queue_filters_apply(app, world, client, auth, tickets):
    auth.login("ada@acme.test")
    rows = _rows(client.get("/acme/admin/tickets.csv?status=closed"))
    assert sorted(r[0] for r in rows[1:]) == sorted([tickets[1], tickets[5]])
    assert {r[4] for r in rows[1:]} == {"Closed"}
    rows = _rows(client.get(f"/acme/admin/tickets.csv?department={world.billing_id}&sort=created"))
    assert [r[0] for r in rows[1:]] == [tickets[9], tickets[8]]
    rows = _rows(client.get("/acme/admin/tickets.csv?q=printer"))
    assert [r[0] for r in rows[1:]] == [tickets[5]]
    # Filters it does not understand are ignored, as on the queue.
    rows = _rows(client.get("/acme/admin/tickets.csv?status=bogus&sort=nope&department=x&after=zzz"))
    assert len(rows) == 11


def test_staff_export_only_what_they_see(app, world, client, auth, tickets):
    auth.login("bea@acme.test")  # Billing only
    rows = _rows(client.get("/acme/admin/tickets.csv?q="))
    assert [r[0] for r in rows[1:]] == [tickets[9], tickets[8]]
    # Naming another department's id changes nothing: still only visible tickets.
    rows = _rows(client.get(f"/acme/admin/tickets.csv?department={world.support_id}"))
    assert rows[1:] == []


def test_customers_get_404_and_visitors_the_login(app, world, client, auth, tickets):
    assert client.get("/acme/admin/tickets.csv").status_code in (302, 303)
    auth.login("carla@acme.test")
    assert client.get("/acme/admin/tickets.csv").status_code == 404


def test_another_workspaces_admin_exports_only_their_own(app, world, client, auth, tickets):
    auth.login("gary@globex.test", tenant="globex")
    rows = _rows(client.get("/globex/admin/tickets.csv?q="))
    assert rows[1:] == []


def test_without_filters_the_export_is_the_queues_default_tab(app, world, client, auth, tickets):
    auth.login("ada@acme.test")
    # Needs reply: open tickets and answered ones whose last message is the customer's.
    rows = _rows(client.get("/acme/admin/tickets.csv"))
    assert sorted(r[0] for r in rows[1:]) == sorted(n for i, n in enumerate(tickets) if i not in (1, 5))


def test_the_queue_links_to_its_export_with_its_filters(app, world, client, auth, tickets):
    auth.login("ada@acme.test")
    html = client.get("/acme/admin/tickets?status=closed&q=printer").get_data(as_text=True)
    assert 'href="/acme/admin/tickets.csv?status=closed&amp;q=printer"' in html


def test_names_the_staff_give_are_made_text_too(app, world, client, auth, tickets):
    # A department's name and a staff member's name are typed by people as well.
    with app.app_context():
        session.get(Department, world.billing_id).name = "=Billing"
        bea = session.get(User, world.billing_staff_id)
        bea.name = "-Bea"
        ticket = session.scalar(sa.select(Ticket).where(Ticket.subject == "Billing ticket 0"))
        assign_ticket(ticket, session.get(User, world.admin_id), session.get(Department, world.billing_id), bea)
        session.commit()
    auth.login("ada@acme.test")
    rows = {r[0]: r for r in _rows(client.get("/acme/admin/tickets.csv?q="))[1:]}
    assert rows[tickets[8]][2:4] == ["'=Billing", "Medium"] and rows[tickets[8]][7] == "'-Bea"
    assert rows[tickets[9]][2] == "'=Billing" and rows[tickets[9]][7] == ""
    assert rows[tickets[4]][2] == "Support"


def test_every_ticket_once_in_order_across_batches(app, world, client, auth, tickets):
    # Batches of 3: the file is written batch by batch; lines never split or repeat between them.
    auth.login("ada@acme.test")
    response = client.get("/acme/admin/tickets.csv?q=")
    chunks = [chunk.decode() if isinstance(chunk, bytes) else chunk for chunk in response.response]
    assert all(chunk.endswith("\r\n") for chunk in chunks)
    rows = list(csv.reader(io.StringIO("".join(chunks))))
    assert [r[0] for r in rows[1:]] == list(reversed(tickets))
    assert all(len(r) == 10 for r in rows)
    assert {r[3] for r in rows[1:]} == {"Medium"} and {r[4] for r in rows[1:]} == {"Open", "Closed"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r[8]) for r in rows[1:])
