"""Every portal and auth route answers as a customer would expect."""

import re

import pytest

from xobito_tickets.db import session
from xobito_tickets.models import Attachment, Department, Reply, Ticket

from ..conftest import PASSWORD, count_rows
from .conftest import snapshot
from .samples import PNG

PORTAL_GETS = [
    "/acme/tickets",
    "/acme/tickets/create",
    "/acme/tickets/TKT-000001",
    "/acme/tickets/TKT-000001/download?attachment=1",
]
PORTAL_POSTS = [
    "/acme/tickets/store",
    "/acme/tickets/TKT-000001/reply",
    "/acme/tickets/TKT-000001/close",
]


@pytest.mark.parametrize("url", PORTAL_GETS)
def test_anonymous_get_is_sent_to_login_with_next(client, world, make, url):
    make.ticket(files=[("a.png", "image/png", PNG)])
    response = client.get(url)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/acme/login?next=")
    # After logging in, the visitor lands where they were going.
    login = client.post(location, data={"email": "carla@acme.test", "password": "correct horse battery"})
    assert login.status_code == 302
    assert login.headers["Location"] == url


@pytest.mark.parametrize("url", PORTAL_POSTS)
def test_anonymous_post_changes_nothing(client, world, make, app, url):
    make.ticket()
    before = snapshot(app)
    response = client.post(url, data={"subject": "x", "body": "hello there", "department": world.support_id})
    assert response.status_code == 302
    assert "/acme/login" in response.headers["Location"]
    assert snapshot(app) == before
    # After logging in, the person lands on the page the form was on, not on a 405.
    login = client.post(response.headers["Location"], data={"email": "carla@acme.test", "password": PASSWORD})
    expected = "/acme/tickets" if url.endswith("/store") else "/acme/tickets/TKT-000001"
    assert login.headers["Location"] == expected
    assert client.get(expected).status_code == 200


def test_list_shows_the_six_columns(customer, make):
    make.ticket(subject="Printer on fire", priority=4)
    html = customer.get("/acme/tickets").get_data(as_text=True)
    for column in ("Ticket ID", "Subject", "Department", "Priority", "Status", "Last activity"):
        assert f">{column}</th>" in html
    assert "TKT-000001" in html and "Printer on fire" in html and "Support" in html
    assert "Urgent" in html and "Open" in html
    # Relative time, with the exact time on hover (in the reader's language and zone; UTC by default).
    assert "just now" in html and re.search(r'title="[A-Z][a-z]{2} \d{1,2}, 20\d\d, [^"]+ UTC"', html)


def test_empty_list_tells_what_to_do(customer):
    html = customer.get("/acme/tickets").get_data(as_text=True)
    assert "You have no tickets yet" in html
    assert 'href="/acme/tickets/create"' in html


def test_create_form_offers_active_departments_and_priorities(customer):
    response = customer.get("/acme/tickets/create")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ">Support</option>" in html and ">Billing</option>" in html
    assert "Legacy" not in html
    for value, label in (("low", "Low"), ("medium", "Medium"), ("high", "High"), ("urgent", "Urgent")):
        assert f'value="{value}"' in html and f">{label}</option>" in html
    assert '<option selected value="medium">' in html
    assert 'name="attachments"' in html and "multiple" in html
    assert 'enctype="multipart/form-data"' in html


def test_store_creates_the_ticket_and_redirects(customer, world, app, make):
    response = customer.post(
        "/acme/tickets/store",
        data={
            "subject": "Cannot log in",
            "department": str(world.billing_id),
            "priority": "urgent",
            "body": "Since Monday.",
            "attachments": [(__import__("io").BytesIO(PNG), "shot.png")],
        },
    )
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/acme/tickets/TKT-000001"
    with app.app_context():
        ticket = make.get("TKT-000001")
        assert (ticket.subject, ticket.body, ticket.department_id, ticket.priority, ticket.status) == (
            "Cannot log in",
            "Since Monday.",
            world.billing_id,
            4,
            "open",
        )
        assert ticket.requester_id == world.customer_id and ticket.assignee_id is None
    assert count_rows(app, Attachment) == 1
    page = customer.get(response.headers["Location"]).get_data(as_text=True)
    assert "TKT-000001 was created" in page
    assert "shot.png" in page


def test_store_without_priority_uses_medium(customer, world, make, app):
    response = customer.post(
        "/acme/tickets/store", data={"subject": "S", "department": world.support_id, "body": "Body"}
    )
    assert response.status_code in (302, 303)
    with app.app_context():
        assert make.get("TKT-000001").priority == 2


def test_detail_shows_header_thread_composer_and_close(customer, world, make):
    number = make.ticket(
        subject="Broken <b>bold</b>",
        body="Line one\nLine <script>two</script>",
        files=[("first.png", "image/png", PNG)],
    ).number
    make.reply(number, world.staff_id, "Staff says hi", files=[("staff.png", "image/png", PNG)])
    make.reply(number, world.customer_id, "Customer says thanks")
    response = customer.get(f"/acme/tickets/{number}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Broken &lt;b&gt;bold&lt;/b&gt;" in html
    assert "Line one<br>\nLine &lt;script&gt;two&lt;/script&gt;" in html
    assert "<script>two" not in html
    # Original body first, then replies oldest first, with authors and attachments.
    assert html.index("Line one") < html.index("Staff says hi") < html.index("Customer says thanks")
    assert "Sam Support" in html and "first.png" in html and "staff.png" in html
    assert html.index("first.png") < html.index("Staff says hi") < html.index("staff.png")
    assert 'action="/acme/tickets/TKT-000001/reply"' in html
    assert 'action="/acme/tickets/TKT-000001/close"' in html
    assert "Answered" in html


def test_reply_posts_and_redirects(customer, make, app):
    number = make.ticket().number
    response = customer.post(f"/acme/tickets/{number}/reply", data={"body": "Any news on this?"})
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == f"/acme/tickets/{number}"
    assert count_rows(app, Reply) == 1
    html = customer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Any news on this?" in html and "Your reply was sent." in html


def test_close_closes_and_hides_the_composer(customer, make, app):
    number = make.ticket().number
    response = customer.post(f"/acme/tickets/{number}/close")
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == f"/acme/tickets/{number}"
    html = customer.get(f"/acme/tickets/{number}").get_data(as_text=True)
    assert "This ticket is closed" in html
    assert f"/acme/tickets/{number}/reply" not in html
    assert f"/acme/tickets/{number}/close" not in html
    with app.app_context():
        ticket = make.get(number)
        assert ticket.status == "closed" and ticket.closed_at is not None


def test_download_sends_the_file(customer, make):
    number = make.ticket(files=[("shot.png", "image/png", PNG)]).number
    [attachment_id] = make.attachment_ids(number)
    with customer.get(f"/acme/tickets/{number}/download?attachment={attachment_id}") as response:
        assert response.status_code == 200
        assert response.data == PNG
        assert response.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?attachment=",
        "?attachment=abc",
        "?attachment=-1",
        "?attachment=99999",
        "?attachment=99999999999999999999999",
        "?attachment=1.5",
        "?attachment=%00",
    ],
)
def test_download_of_a_missing_attachment_is_404(customer, make, query):
    number = make.ticket(files=[("shot.png", "image/png", PNG)]).number
    expected = (400, 404) if "%00" in query else (404,)  # a NUL in a query may be refused outright
    assert customer.get(f"/acme/tickets/{number}/download{query}").status_code in expected


@pytest.mark.parametrize(
    "number", ["TKT-000002", "TKT-1", "tkt-000001", "TKT-0000001", "TKT-00000x", "1", "TKT-%C2%B2%C2%B2%C2%B2"]
)
def test_unknown_ticket_numbers_are_404(customer, make, number):
    make.ticket()
    assert customer.get(f"/acme/tickets/{number}").status_code == 404
    assert customer.post(f"/acme/tickets/{number}/reply", data={"body": "hello there"}).status_code == 404
    assert customer.post(f"/acme/tickets/{number}/close").status_code == 404
    assert customer.get(f"/acme/tickets/{number}/download?attachment=1").status_code == 404


@pytest.mark.parametrize("slug", ["nope", "ACME", "a", "-acme", "acme-", "ac_me"])
def test_unknown_tenant_is_a_readable_404(client, world, slug):
    for url in (f"/{slug}/tickets", f"/{slug}/login", f"/{slug}/tickets/TKT-000001"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)


def test_inactive_tenant_is_404_even_when_logged_in(customer, app, world):
    from xobito_tickets.db import session
    from xobito_tickets.models import Tenant

    with app.app_context():
        session.get(Tenant, world.acme_id).active = False
        session.commit()
    for url in ("/acme/tickets", "/acme/login", "/acme/register", "/acme/tickets/create"):
        assert customer.get(url).status_code == 404
    assert customer.post("/acme/login", data={"email": "carla@acme.test", "password": "x"}).status_code == 404


def test_get_never_changes_anything(customer, make, app):
    number = make.ticket(files=[("shot.png", "image/png", PNG)]).number
    before = snapshot(app)
    for url in (
        "/acme/tickets",
        "/acme/tickets/create",
        f"/acme/tickets/{number}",
        f"/acme/tickets/{number}/download?attachment=1",
        f"/acme/tickets/{number}/reply",
        f"/acme/tickets/{number}/close",
        "/acme/tickets/store",
    ):
        with customer.get(url) as response:
            assert response.status_code in (200, 404, 405)
    assert snapshot(app) == before


def test_wrong_methods_get_a_readable_405(customer, make):
    number = make.ticket().number
    response = customer.get(f"/acme/tickets/{number}/close")
    assert response.status_code == 405
    assert "cannot be used this way" in response.get_data(as_text=True)


def test_logged_in_pages_carry_security_headers(customer, make):
    number = make.ticket().number
    for url in ("/acme/tickets", "/acme/tickets/create", f"/acme/tickets/{number}"):
        response = customer.get(url)
        headers = response.headers
        assert "no-store" in headers["Cache-Control"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"]
        html = response.get_data(as_text=True)
        # CSP forbids inline code: no inline script, no style attribute, no on* handler.
        assert "<script>" not in html and " style=" not in html and " onclick=" not in html


def test_assets_are_served_by_the_app(client, world):
    for name, kind in (("tickets.css", "text/css"), ("tickets.js", "text/javascript")):
        with client.get(f"/_tickets/static/{name}") as response:
            assert response.status_code == 200
            assert response.headers["Content-Type"].startswith(kind)


def test_ticket_rows_are_created_once(customer, world, app):
    data = {"subject": "Once", "department": world.support_id, "body": "Only once"}
    customer.post("/acme/tickets/store", data=data)
    assert count_rows(app, Ticket) == 1


def test_create_form_makes_the_customer_choose_and_describes_each_department(customer, app, world):
    with app.app_context():
        session.get(Department, world.billing_id).description = "Invoices, refunds and payment cards."
        session.commit()
    html = customer.get("/acme/tickets/create").get_data(as_text=True)
    assert '<option selected value="">Choose a department…</option>' in html
    assert "<dt>Billing</dt><dd>Invoices, refunds and payment cards.</dd>" in html
    response = customer.post("/acme/tickets/store", data={"subject": "S", "department": "", "body": "Body text"})
    assert response.status_code == 422
    assert "Choose one of the listed departments." in response.get_data(as_text=True)
