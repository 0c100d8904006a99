"""Canned replies through real requests: who manages which, hostile templates refused, the composer filled."""

import html
import re

import pytest
import sqlalchemy as sa

from xobito_tickets.canned.models import CannedReply
from xobito_tickets.db import session

from ..staff.conftest import field_error, login, snapshot, text_of

SAM, BEA, ADA, ALEX, CARLA = "sam@acme.test", "bea@acme.test", "ada@acme.test", "alex@acme.test", "carla@acme.test"


def _create(client, **data):
    form = {"title": "Greeting", "body": "Hi {{ customer.first_name }}!", "department": "", "personal": "y"}
    form.update(data)
    if form.get("personal") is None:
        form.pop("personal")
    return client.post("/acme/admin/canned-replies/create", data=form)


def _rows(app):
    with app.app_context():
        return session.execute(
            sa.select(
                CannedReply.title, CannedReply.personal, CannedReply.department_id, CannedReply.owner_id
            ).order_by(CannedReply.id)
        ).all()


def _composer_text(response):
    """Return the text of the composer's body textarea on a staff ticket page."""
    page = response.get_data(as_text=True)
    match = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page, flags=re.S)
    assert match, "no composer on the page"
    return html.unescape(match.group(1)).strip()


def _canned_id(app, title):
    with app.app_context():
        return session.scalar(sa.select(CannedReply.id).where(CannedReply.title == title))


def test_staff_save_a_personal_reply_and_use_it_on_a_ticket(app, client, world, desk):
    login(client, SAM)
    response = _create(
        client,
        title="Printer steps",
        body='Hi {{ customer.first_name|default("there") }}, about {{ ticket.number }} ({{ ticket.subject }}): '
        "{{ department.name }} is on it. — {{ agent.name }}",
    )
    assert response.status_code == 303
    assert "Printer steps" in text_of(client.get("/acme/admin/canned-replies"))
    canned = _canned_id(app, "Printer steps")

    page = client.get(f"/acme/admin/tickets/{desk.open_number}?canned={canned}")
    assert page.status_code == 200
    assert _composer_text(page) == (
        f"Hi Carla, about {desk.open_number} (Printer on fire): Support is on it. — Sam Support"
    )


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% include 'xobito_tickets/layout.html' %}",
        "{% import 'xobito_tickets/_field.html' as f %}",
        "{% block x %}hi{% endblock %}",
        "{{ config }}",
        "{{ customer.email }}",
        "{{ customer.name|safe }}",
        "Hi {{ customer.first_name",
    ],
)
def test_hostile_or_unknown_templates_are_refused_at_save_time(app, client, world, desk, body):
    login(client, ADA)
    before = snapshot(app)
    response = _create(client, title="Trap", body=body, personal=None)
    assert response.status_code == 422
    assert field_error(response, "body")
    # What was typed comes back in the form.
    assert html.escape(body, quote=False) in response.get_data(as_text=True) or body in html.unescape(
        response.get_data(as_text=True)
    )
    assert snapshot(app) == before


def test_a_hostile_edit_is_refused_and_the_saved_text_stays(app, client, world, desk):
    login(client, ADA)
    assert _create(client, title="Safe", body="Thanks, {{ agent.name }}", personal=None).status_code == 303
    canned = _canned_id(app, "Safe")
    before = snapshot(app)
    response = client.post(
        f"/acme/admin/canned-replies/{canned}/edit",
        data={"title": "Safe", "body": "{{ ''.__class__ }}", "department": ""},
    )
    assert response.status_code == 422 and field_error(response, "body")
    assert snapshot(app) == before


def test_only_admins_share_and_only_owners_see_personal_ones(app, client, world, desk):
    login(client, SAM)
    before = snapshot(app)
    refused = _create(client, title="For everyone", personal=None)
    assert refused.status_code == 422 and field_error(refused, "personal")
    assert snapshot(app) == before
    assert _create(client, title="Sam's own").status_code == 303
    own = _canned_id(app, "Sam's own")

    admin = app.test_client()
    login(admin, ADA)
    assert _create(admin, title="Shared hello", personal=None).status_code == 303
    shared = _canned_id(app, "Shared hello")
    # The admin does not see Sam's personal reply anywhere, and cannot open it.
    assert "Sam's own" not in text_of(admin.get("/acme/admin/canned-replies"))
    assert admin.get(f"/acme/admin/canned-replies/{own}/edit").status_code == 404
    assert _composer_text(admin.get(f"/acme/admin/tickets/{desk.open_number}?canned={own}")) == ""

    # Sam sees the shared one, may use it, but not change or delete it.
    assert "Shared hello" in text_of(client.get("/acme/admin/canned-replies"))
    assert client.get(f"/acme/admin/canned-replies/{shared}/edit").status_code == 404
    before = snapshot(app)
    assert client.post(f"/acme/admin/canned-replies/{shared}/delete").status_code == 404
    assert snapshot(app) == before
    assert _composer_text(client.get(f"/acme/admin/tickets/{desk.open_number}?canned={shared}")) == "Hi Carla!"

    # Sam deletes his own.
    assert client.post(f"/acme/admin/canned-replies/{own}/delete").status_code == 303
    assert "Sam's own" not in [row.title for row in _rows(app)]
    assert "Shared hello" in [row.title for row in _rows(app)]


def test_department_replies_are_offered_on_that_departments_tickets_only(app, client, world, desk):
    login(client, ADA)
    assert (
        _create(
            client, title="Billing only", body="Invoice help", personal=None, department=world.billing_id
        ).status_code
        == 303
    )
    assert (
        _create(
            client, title="Support only", body="Printer help", personal=None, department=world.support_id
        ).status_code
        == 303
    )
    billing, support = _canned_id(app, "Billing only"), _canned_id(app, "Support only")
    page = client.get(f"/acme/admin/tickets/{desk.open_number}")
    assert "Support only" in text_of(page) and "Billing only" not in text_of(page)
    assert _composer_text(client.get(f"/acme/admin/tickets/{desk.open_number}?canned={billing}")) == ""
    assert _composer_text(client.get(f"/acme/admin/tickets/{desk.open_number}?canned={support}")) == "Printer help"

    # Bea (Billing) sees the Billing reply in her list; Sam (Support) does not.
    bea = app.test_client()
    login(bea, BEA)
    assert "Billing only" in text_of(bea.get("/acme/admin/canned-replies"))
    sam = app.test_client()
    login(sam, SAM)
    listing = text_of(sam.get("/acme/admin/canned-replies"))
    assert "Support only" in listing and "Billing only" not in listing


def test_the_picker_searches_without_javascript(app, client, world, desk):
    login(client, ADA)
    _create(client, title="Password reset", body="Use the link.", personal=None)
    _create(client, title="Refund policy", body="Thirty days.", personal=None)
    page = text_of(client.get(f"/acme/admin/tickets/{desk.open_number}?canned_q=refund"))
    assert "Refund policy" in page and "Password reset" not in page
    listing = text_of(client.get("/acme/admin/canned-replies?q=link"))
    assert "Password reset" in listing and "Refund policy" not in listing


def test_other_tenants_and_nonsense_ids_fill_nothing(app, client, world, desk):
    login(client, ADA)
    for value in ("abc", "-1", "0", "99999999999999999999", "1e3"):
        page = client.get(f"/acme/admin/tickets/{desk.open_number}?canned={value}")
        assert page.status_code == 200 and _composer_text(page) == ""
    for value in ("abc", "99999999999999999999"):
        assert client.get(f"/acme/admin/canned-replies/{value}/edit").status_code == 404


def test_save_this_reply_as_canned_fills_the_form_and_stores_nothing(app, client, world, desk):
    login(client, SAM)
    before = snapshot(app)
    response = client.post("/acme/admin/canned-replies/create", data={"prefill": "1", "body": "Try turning it off."})
    assert response.status_code == 200
    assert "Try turning it off." in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_customers_and_other_tenants_get_404(app, client, world, desk):
    login(client, CARLA)
    assert client.get("/acme/admin/canned-replies").status_code == 404
    assert _create(client).status_code == 404
