"""Cross-tenant access (SPEC §2, §13): every workspace shares one origin and one database,
so each lookup must be scoped by tenant. A guessed number or id of another workspace
answers 404, exactly like a missing one, and nothing changes: no row, no file, no email."""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import OutboxEmail, Tenant

from .conftest import PNG, page_body, snapshot


@pytest.fixture
def tickets(make, world):
    """TKT-000001 exists in both workspaces; TKT-000002 only in globex."""
    acme = make.ticket(subject="Acme printer", files=[("acme.png", "image/png", PNG)])
    globex_one = make.ticket(
        requester_id=world.globex_customer_id,
        department_id=world.globex_support_id,
        subject="Globex secret plans",
        tenant="globex",
        files=[("globex.png", "image/png", PNG)],
    )
    globex_two = make.ticket(
        requester_id=world.globex_customer_id,
        department_id=world.globex_support_id,
        subject="Globex second secret",
        tenant="globex",
    )
    return {"acme": acme, "globex_one": globex_one, "globex_two": globex_two}


def staff_posts(number, world):
    """Every staff action on a ticket, with a valid form for it."""
    return [
        (f"/acme/admin/tickets/{number}/reply", {"body": "Cross-tenant reply attempt"}),
        (f"/acme/admin/tickets/{number}/close", {}),
        (f"/acme/admin/tickets/{number}/reopen", {}),
        (f"/acme/admin/tickets/{number}/assign", {"department": world.support_id, "assignee": world.staff_id}),
        (f"/acme/admin/tickets/{number}/priority", {"priority": "urgent"}),
    ]


def test_same_number_shows_each_workspace_its_own_ticket(login_as, tickets):
    """Cross-tenant read: TKT-000001 of globex is never shown to acme's customer, and the reverse."""
    carla = login_as("carla@acme.test")
    gina = login_as("gina@globex.test", tenant="globex")
    acme_page = carla.get("/acme/tickets/TKT-000001").get_data(as_text=True)
    globex_page = gina.get("/globex/tickets/TKT-000001").get_data(as_text=True)
    assert "Acme printer" in acme_page and "Globex" not in acme_page
    assert "Globex secret plans" in globex_page and "Acme printer" not in globex_page
    assert "Globex" not in carla.get("/acme/tickets").get_data(as_text=True)


def test_number_of_another_workspace_is_a_404(login_as, tickets):
    """Cross-tenant read by number: a number that exists only in globex is a plain 404 in acme."""
    carla = login_as("carla@acme.test")
    missing = carla.get("/acme/tickets/TKT-000099")
    other = carla.get("/acme/tickets/TKT-000002")
    assert other.status_code == missing.status_code == 404
    assert page_body(other) == page_body(missing)


def test_login_of_one_workspace_is_a_404_in_another(login_as, tickets):
    """Cross-tenant session: acme's cookie opens nothing in globex; every page is a 404, the same
    for a ticket that exists and one that does not, and offers globex's own login."""
    carla = login_as("carla@acme.test")
    missing = carla.get("/globex/tickets/TKT-000999")
    assert missing.status_code == 404
    for url in ("/globex/tickets", "/globex/tickets/TKT-000001", "/globex/admin/tickets"):
        response = carla.get(url)
        assert response.status_code == 404, url
        assert "/globex/login" in response.get_data(as_text=True)
    assert page_body(carla.get("/globex/tickets/TKT-000001")) == page_body(missing)
    # globex's login page stays open: a person with accounts in both can switch.
    assert carla.get("/globex/login").status_code == 200


def test_admin_cannot_use_their_role_in_another_workspace(app, login_as, tickets):
    """Cross-tenant privilege: acme's admin is nobody in globex."""
    ada = login_as("ada@acme.test")
    before = snapshot(app)
    for url in ("/globex/admin/tickets", "/globex/admin/tickets/TKT-000001", "/globex/admin/departments"):
        response = ada.get(url)
        assert response.status_code == 404, url
    response = ada.post("/globex/admin/tickets/TKT-000001/close")
    assert response.status_code == 404
    assert snapshot(app) == before


def test_admin_actions_on_another_workspaces_number_are_404(app, login_as, tickets, world):
    """Cross-tenant write: every staff action on a number that only globex has is a 404, nothing changes."""
    ada = login_as("ada@acme.test")
    assert ada.get("/acme/admin/tickets/TKT-000002").status_code == 404
    before = snapshot(app)
    for url, data in staff_posts("TKT-000002", world):
        assert ada.post(url, data=data).status_code == 404, url
    assert snapshot(app) == before


def test_attachment_of_another_workspace_is_a_404(app, login_as, tickets):
    """Cross-tenant file access: globex's attachment id through acme's own ticket is a 404."""
    carla = login_as("carla@acme.test")
    globex_file = tickets["globex_one"].attachment_ids[0]
    response = carla.get(f"/acme/tickets/TKT-000001/download?attachment={globex_file}")
    assert response.status_code == 404
    assert PNG not in response.get_data()
    if "tickets.admin.ticket_download" in app.view_functions:
        ada = login_as("ada@acme.test")
        assert ada.get(f"/acme/admin/tickets/TKT-000001/download?attachment={globex_file}").status_code == 404


def test_department_of_another_workspace_cannot_be_chosen(app, login_as, tickets, world):
    """Cross-tenant reference in a form: a globex department id on acme's create form is refused."""
    carla = login_as("carla@acme.test")
    before = snapshot(app)
    response = carla.post(
        "/acme/tickets/store",
        data={"subject": "Sneaky", "department": world.globex_support_id, "priority": "low", "body": "Route me"},
    )
    assert response.status_code == 422
    assert "Choose one of the listed departments." in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_assign_to_another_workspaces_people_is_refused(app, login_as, tickets, world):
    """Cross-tenant reference in the assign form: globex's department or admin is not a choice."""
    ada = login_as("ada@acme.test")
    before = snapshot(app)
    url = "/acme/admin/tickets/TKT-000001/assign"
    for data in (
        {"department": world.globex_support_id, "assignee": ""},
        {"department": world.support_id, "assignee": world.globex_admin_id},
    ):
        assert ada.post(url, data=data).status_code == 422
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/acme/admin/departments/{globex_support_id}/edit",
        "/acme/admin/departments/{globex_support_id}/activate",
        "/acme/admin/departments/{globex_support_id}/deactivate",
        "/acme/admin/departments/{globex_support_id}/delete",
        "/acme/admin/team/{globex_admin_id}/edit",
        "/acme/admin/team/{globex_admin_id}/deactivate",
        "/acme/admin/team/{globex_customer_id}/edit",
    ],
)
def test_admin_pages_refuse_ids_of_another_workspace(app, login_as, tickets, world, path):
    """Cross-tenant IDOR on departments and people: ids of globex are 404 in acme, by GET and by POST."""
    ada = login_as("ada@acme.test")
    url = path.format(**vars(world))
    before = snapshot(app)
    if url.endswith("/edit"):
        assert ada.get(url).status_code == 404
        data = {"name": "Taken over", "email": "owned@evil.test", "role": "admin", "active": "y"}
    else:
        data = {}
    assert ada.post(url, data=data).status_code == 404
    assert snapshot(app) == before


def test_queue_filters_cannot_reach_another_workspace(app, login_as, tickets, world):
    """Cross-tenant listing: a globex department or person in the queue's filters shows no globex ticket."""
    ada = login_as("ada@acme.test")
    for query in (
        f"department={world.globex_support_id}",
        f"assignee={world.globex_admin_id}",
        "q=Globex",
        "q=TKT-000002",
        "status=open&status=closed&status=answered",
    ):
        html = ada.get(f"/acme/admin/tickets?{query}").get_data(as_text=True)
        assert "Globex secret" not in html and "Globex second" not in html, query


def test_acme_activity_never_emails_globex(app, login_as, tickets, world):
    """Cross-tenant leak by email: a ticket in acme notifies only acme's people."""
    carla = login_as("carla@acme.test")
    response = carla.post(
        "/acme/tickets/store",
        data={"subject": "Who hears this", "department": world.support_id, "priority": "low", "body": "Hello"},
    )
    assert response.status_code == 303
    with app.app_context():
        acme_id = session.scalar(sa.select(Tenant.id).where(Tenant.slug == "acme"))
        recipients = session.scalars(sa.select(OutboxEmail.recipient_email).where(OutboxEmail.tenant_id == acme_id))
        recipients = set(recipients)
        session.remove()
    assert not {r for r in recipients if not r.endswith("@acme.test")}


@pytest.mark.parametrize("slug", ["nope", "ACME", "acme-", "a", "acme%00", "..", "globex.acme"])
def test_unknown_or_malformed_workspace_is_a_404(client, world, slug):
    """Tenant confusion: a slug that is not exactly an active workspace is a 404, never another tenant."""
    response = client.get(f"/{slug}/login")
    assert response.status_code == 404


def test_deactivated_workspace_is_a_404_even_with_a_session(app, login_as, tickets):
    """A workspace switched off stops answering at once, for people already logged in too."""
    carla = login_as("carla@acme.test")
    with app.app_context():
        session.execute(sa.update(Tenant).where(Tenant.slug == "acme").values(active=False))
        session.commit()
    assert carla.get("/acme/tickets").status_code == 404
    assert carla.get("/acme/tickets/TKT-000001").status_code == 404
