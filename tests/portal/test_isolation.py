"""Tenant isolation: nothing of another tenant or another customer is reachable; 404, nothing changed."""

import re

import pytest

from .conftest import post_multipart, snapshot, upload
from .samples import PDF, PNG


@pytest.fixture
def others(world, make):
    """Carla's own ticket TKT-000001 in acme, Oscar's TKT-000002 in acme, and Globex's tickets."""
    mine = make.ticket(subject="Carla's ticket", files=[("mine.png", "image/png", PNG)]).number
    oscars = make.ticket(
        requester_id=world.other_customer_id,
        subject="Oscar's secret",
        body="Oscar's private body",
        files=[("oscar.pdf", "application/pdf", PDF)],
    ).number
    make.reply(oscars, world.staff_id, "Staff answer to Oscar", files=[("oscar-reply.png", "image/png", PNG)])
    globex = [
        make.ticket(
            tenant="globex",
            subject=f"Globex secret {i}",
            body="Globex private body",
            files=[("globex.pdf", "application/pdf", PDF)],
        ).number
        for i in range(3)
    ]
    return {"mine": mine, "oscars": oscars, "globex": globex}


def _all_requests(number, attachment_ids, tenant="acme"):
    """Every route of the portal for one ticket, as (method, url, data)."""
    base = f"/{tenant}/tickets/{number}"
    requests = [
        ("GET", base, None),
        ("POST", f"{base}/reply", {"body": "Let me in please", "attachments": [upload(PNG, "x.png")]}),
        ("POST", f"{base}/close", {}),
        ("GET", f"{base}/download", None),
    ]
    requests += [("GET", f"{base}/download?attachment={i}", None) for i in attachment_ids]
    return requests


#: The footer's language switch sends the visitor back to the path they typed: not a difference.
_BACK_TO = re.compile(r'(name="next" value=")[^"]*(")')


def _send(client, method, url, data):
    if method == "GET":
        with client.get(url) as response:
            return response.status_code, _BACK_TO.sub(r"\1\2", response.get_data(as_text=True))
    response = post_multipart(client, url, data)
    return response.status_code, _BACK_TO.sub(r"\1\2", response.get_data(as_text=True))


def test_another_customers_ticket_is_404_everywhere(customer, app, make, others):
    oscar_attachments = make.attachment_ids(others["oscars"])
    assert len(oscar_attachments) == 2
    before = snapshot(app)
    for method, url, data in _all_requests(others["oscars"], oscar_attachments):
        status, html = _send(customer, method, url, data)
        assert status == 404, (method, url)
        assert "Oscar" not in html and "oscar" not in html
    assert snapshot(app) == before


def test_another_customers_attachment_via_my_ticket_is_404(customer, app, make, others):
    before = snapshot(app)
    for attachment_id in make.attachment_ids(others["oscars"]) + make.attachment_ids("TKT-000001", tenant="globex"):
        with customer.get(f"/acme/tickets/{others['mine']}/download?attachment={attachment_id}") as response:
            assert response.status_code == 404
    assert snapshot(app) == before


def test_another_tenants_tickets_are_404_from_my_tenant(customer, app, make, others):
    # Globex has TKT-000003; acme has only two tickets: the number leads nowhere.
    globex_attachments = [i for n in others["globex"] for i in make.attachment_ids(n, tenant="globex")]
    before = snapshot(app)
    for method, url, data in _all_requests("TKT-000003", globex_attachments):
        status, html = _send(customer, method, url, data)
        assert status == 404, (method, url)
        assert "Globex" not in html
    assert snapshot(app) == before


def test_another_tenants_urls_treat_me_as_a_stranger(customer, app, make, others):
    """A login in acme is no login in globex: every globex URL is a 404, the same for any number."""
    globex_attachments = make.attachment_ids("TKT-000001", tenant="globex")
    before = snapshot(app)
    answers = set()
    for number in ("TKT-000001", "TKT-000099"):  # an existing and a missing ticket answer the same
        for method, url, data in _all_requests(number, globex_attachments, tenant="globex"):
            status, html = _send(customer, method, url, data)
            assert status == 404 and "Globex secret" not in html, (method, url)
            answers.add((method, status, html))
    assert {(method, status) for method, status, _ in answers} == {("GET", 404), ("POST", 404)}
    assert len({html for _, _, html in answers}) == 1
    assert customer.get("/globex/login").status_code == 200
    assert snapshot(app) == before


def test_list_shows_only_my_own_tickets(customer, others):
    html = customer.get("/acme/tickets").get_data(as_text=True)
    assert "Carla&#39;s ticket" in html
    assert "Oscar" not in html and "Globex" not in html
    # Filters cannot widen the list.
    for query in ("?status=open&status=answered&status=closed", "?department=1", "?requester=2", "?q=Oscar"):
        html = customer.get("/acme/tickets" + query).get_data(as_text=True)
        # The search box shows what was typed; nothing else may name Oscar or Globex.
        html = html.replace('value="Oscar"', "")
        assert "Oscar" not in html and "Globex" not in html
    for query in ("?q=secret", "?q=private", "?q=TKT-000002", "?q=globex"):
        html = customer.get("/acme/tickets" + query).get_data(as_text=True)
        assert "TKT-000002" not in html.replace('value="TKT-000002"', "") and "secret" not in html.split("</form>")[-1]


def test_store_refuses_another_tenants_department(customer, world, app):
    before = snapshot(app)
    response = customer.post(
        "/acme/tickets/store", data={"subject": "S", "department": world.globex_support_id, "body": "B"}
    )
    assert response.status_code == 422
    assert snapshot(app) == before


def test_customer_of_one_tenant_cannot_log_in_to_another(client, world, app):
    response = client.post("/globex/login", data={"email": "carla@acme.test", "password": "correct horse battery"})
    assert response.status_code == 422
    assert "Wrong email or password." in response.get_data(as_text=True)
