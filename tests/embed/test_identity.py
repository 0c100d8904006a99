"""The host adapter: who the user is, their directory row kept in sync, staff sync, login redirects."""

import pytest
import sqlalchemy as sa
from flask import g

from xobito_tickets import Identity, Tickets
from xobito_tickets.models import User as Person
from xobito_tickets.tenancy.identity import IdentityError, MissingHookError

from .conftest import describe_host_user


def test_first_visit_creates_a_directory_row_without_password(single_host):
    carla = single_host.add_user("Carla@Host.test", "Carla Customer")
    response = single_host.client(carla).get("/support/tickets")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Host site header" in page and "<h1>My tickets</h1>" in page
    assert single_host.people() == [
        {
            "external_id": str(carla),
            "email": "carla@host.test",
            "name": "Carla Customer",
            "role": "customer",
            "active": True,
        }
    ]
    with single_host.app.app_context():
        from xobito_tickets.db import session

        assert session.scalar(sa.select(Person.password_hash)) is None


def _count_writes(app):
    """Return a list that collects the INSERT/UPDATE/DELETE statements run on ``app``'s engine."""
    writes = []
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    return writes


def test_an_unchanged_identity_writes_nothing(single_host):
    carla = single_host.add_user("carla@host.test", "Carla Customer")
    client = single_host.client(carla)
    client.get("/support/tickets")
    writes = _count_writes(single_host.app)
    for _ in range(3):
        assert client.get("/support/tickets").status_code == 200
    assert [w for w in writes if "tickets_users" in w] == []


def test_changes_on_the_host_reach_the_directory_on_the_next_visit(single_host):
    sam = single_host.add_user("sam@host.test", "Sam", role="member")
    client = single_host.client(sam)
    client.get("/support/tickets")
    single_host.update_user(sam, email="samuel@host.test", full_name="Samuel Support", role="support")
    writes = _count_writes(single_host.app)
    response = client.get("/support/tickets")
    assert response.status_code == 302 and response.location.endswith("/support/admin/tickets")
    assert single_host.people() == [
        {
            "external_id": str(sam),
            "email": "samuel@host.test",
            "name": "Samuel Support",
            "role": "staff",
            "active": True,
        }
    ]
    assert len([w for w in writes if w.startswith("UPDATE tickets_users")]) == 1


def test_a_user_the_host_disables_is_sent_to_its_login(single_host):
    """Flask-Login treats an inactive UserMixin user as anonymous; the helpdesk follows the host."""
    carla = single_host.add_user("carla@host.test", "Carla")
    client = single_host.client(carla)
    assert client.get("/support/tickets").status_code == 200
    single_host.update_user(carla, disabled=True)
    response = client.get("/support/tickets")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_an_inactive_identity_is_refused_and_its_row_marked_inactive(make_host):
    tickets = Tickets()

    @tickets.identity_loader
    def banned_from_helpdesk(user):
        identity = describe_host_user(user)
        return Identity(**{**identity.__dict__, "active": "banned" not in user.full_name})

    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, tickets=tickets)
    carla = host.add_user("carla@host.test", "Carla")
    client = host.client(carla)
    assert client.get("/tickets").status_code == 200
    host.update_user(carla, full_name="Carla (banned)")
    response = client.get("/tickets")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)
    assert host.people()[0]["active"] is False
    assert host.people()[0]["name"] == "Carla (banned)"


def test_identity_loader_returning_none_keeps_the_user_out(make_host):
    tickets = Tickets()

    @tickets.identity_loader
    def only_staff(user):
        return describe_host_user(user) if user.role != "member" else None

    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, tickets=tickets)
    member = host.add_user("m@host.test", "Member")
    assert host.client(member).get("/tickets").status_code == 403
    assert host.people() == []


def test_anonymous_visitors_go_to_the_hosts_login_view_with_a_relative_next(single_host):
    response = single_host.client().get("/support/tickets?status=open")
    assert response.status_code == 302
    assert response.location == "/login?next=%2Fsupport%2Ftickets%3Fstatus%3Dopen"


@pytest.mark.parametrize(
    ("login_url", "expected"),
    [
        ("home", "/?next=%2Fsupport%2Ftickets"),
        ("/accounts/sign-in?from=help", "/accounts/sign-in?from=help&next=%2Fsupport%2Ftickets"),
        (
            "https://sso.example.test/login",
            "https://sso.example.test/login?next=http%3A%2F%2Flocalhost%2Fsupport%2Ftickets",
        ),
    ],
)
def test_tickets_login_url_wins_over_login_view(make_host, login_url, expected):
    host = make_host(
        {
            "TICKETS_TENANCY": "single",
            "TICKETS_TENANT": "support",
            "TICKETS_URL_PREFIX": "/support",
            "TICKETS_LOGIN_URL": login_url,
        }
    )
    response = host.client().get("/support/tickets")
    assert response.status_code == 302
    assert response.location == expected


def test_no_login_page_anywhere_is_a_clear_error(make_host):
    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, login_view=None)
    with pytest.raises(MissingHookError, match="login_view.*TICKETS_LOGIN_URL"):
        host.client().get("/tickets")


def test_missing_identity_loader_names_the_hook(make_host):
    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, identity=False)
    carla = host.add_user("carla@host.test", "Carla")
    with pytest.raises(MissingHookError, match=r"@tickets\.identity_loader"):
        host.client(carla).get("/tickets")


def test_a_host_without_flask_login_must_say_who_is_logged_in(make_host):
    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"})
    del host.app.login_manager
    with pytest.raises(MissingHookError, match=r"@tickets\.current_user_loader"):
        host.client().get("/tickets")


def test_current_user_loader_replaces_flask_login(make_host):
    tickets = Tickets()
    tickets.identity_loader(describe_host_user)

    @tickets.current_user_loader
    def from_header():
        from flask import request

        from examples.host_app.models import User, db

        user_id = request.headers.get("X-Test-User")
        return db.session.get(User, int(user_id)) if user_id else None

    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, tickets=tickets)
    carla = host.add_user("carla@host.test", "Carla")
    assert host.client().get("/tickets", headers={"X-Test-User": str(carla)}).status_code == 200
    assert host.client().get("/tickets").status_code == 302


def test_the_modules_own_login_and_signup_are_off(single_host):
    for path in ("/support/login", "/support/register"):
        assert single_host.client().get(path).status_code == 404


def test_an_unlinked_row_with_the_same_email_is_taken_over(single_host):
    """A person made with the CLI before they ever logged in keeps their row (and departments)."""
    with single_host.app.app_context():
        from xobito_tickets.team.services import create_department, create_user
        from xobito_tickets.tenancy import single_tenant

        tenant = single_tenant()
        person = create_user(tenant, "sam@host.test", "Sam (from CLI)", "staff")
        create_department(tenant, "Support", members=[person])
    sam = single_host.add_user("sam@host.test", "Sam Support", role="support")
    assert single_host.client(sam).get("/support/admin/tickets").status_code == 200
    assert single_host.people() == [
        {"external_id": str(sam), "email": "sam@host.test", "name": "Sam Support", "role": "staff", "active": True}
    ]


def test_an_email_taken_by_another_host_user_is_released_by_the_old_row(single_host):
    first = single_host.add_user("shared@host.test", "First")
    single_host.client(first).get("/support/tickets")
    # The host gives the address to someone else (the first user changed theirs, or left).
    single_host.update_user(first, email="first-new@host.test")
    second = single_host.add_user("shared@host.test", "Second")
    assert single_host.client(second).get("/support/tickets").status_code == 200
    rows = {row["external_id"]: row for row in single_host.people()}
    assert rows[str(second)]["email"] == "shared@host.test"
    assert rows[str(first)]["email"].endswith("@xobito.invalid") and rows[str(first)]["active"] is False
    # The first user's next visit puts their new address back.
    assert single_host.client(first).get("/support/tickets").status_code == 200
    rows = {row["external_id"]: row for row in single_host.people()}
    assert rows[str(first)] == {
        "external_id": str(first),
        "email": "first-new@host.test",
        "name": "First",
        "role": "customer",
        "active": True,
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"email": "a@b.test"}, "no 'id'"),
        ({"id": 1, "email": "not-an-email"}, "no usable 'email'"),
        ({"id": 1, "email": "a@b.test", "role": "owner"}, "role 'owner'"),
        ({"id": 1, "email": "a@b.test", "colour": "red"}, "unknown keys: colour"),
        ("carla", "not str"),
    ],
)
def test_a_wrong_identity_is_a_clear_error(value, message):
    with pytest.raises(IdentityError, match=message):
        Identity.coerce(value)


def test_an_identity_is_cleaned():
    identity = Identity.coerce(
        {"id": 7, "email": " Carla@Host.TEST ", "name": "  Carla \n Customer ", "role": "ADMIN".lower()}
    )
    assert identity == Identity(id="7", email="carla@host.test", name="Carla Customer", role="admin", active=True)
    assert Identity.coerce({"id": 8, "email": "bo@host.test"}).name == "bo"


def test_hooks_may_be_registered_after_init_app(make_host):
    tickets = Tickets()
    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, tickets=tickets, identity=False)
    tickets.identity_loader(describe_host_user)
    carla = host.add_user("carla@host.test", "Carla")
    assert host.client(carla).get("/tickets").status_code == 200


def test_identity_loader_sees_the_current_tenant(make_host):
    tickets = Tickets()
    seen = []

    @tickets.identity_loader
    def per_tenant(user):
        from xobito_tickets import current_tenant

        seen.append(current_tenant.slug)
        role = "admin" if current_tenant.slug == "acme" else "customer"
        return {"id": user.id, "email": user.email, "name": user.full_name, "role": role}

    host = make_host(tickets=tickets)
    with host.app.app_context():
        from xobito_tickets.tenancy.workspaces import create_tenant

        create_tenant("acme", "Acme")
        create_tenant("globex", "Globex")
    ada = host.add_user("ada@host.test", "Ada")
    client = host.client(ada)
    assert client.get("/acme/tickets").location.endswith("/acme/admin/tickets")
    assert client.get("/globex/tickets").status_code == 200
    assert seen == ["acme", "globex"]
    assert sorted(row["role"] for row in host.people()) == ["admin", "customer"]


def test_sync_users_puts_staff_in_the_directory_before_they_log_in(make_host):
    tickets = Tickets()

    @tickets.staff_loader
    def staff():
        from examples.host_app.models import User, db

        return db.session.scalars(sa.select(User).where(User.role.in_(["support", "manager"]))).all()

    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, tickets=tickets)
    host.add_user("carla@host.test", "Carla")
    sam = host.add_user("sam@host.test", "Sam", role="support")
    mo = host.add_user("mo@host.test", "Mo", role="manager")
    result = host.app.test_cli_runner().invoke(args=["tickets", "sync-users"])
    assert result.exit_code == 0, result.output
    assert "support: 2 staff and admins synced, 0 no longer staff." in result.output
    assert [(r["external_id"], r["role"]) for r in host.people()] == [(str(sam), "staff"), (str(mo), "admin")]

    # Sam leaves the support team on the host: the next sync demotes the row.
    host.update_user(sam, role="member")
    result = host.app.test_cli_runner().invoke(args=["tickets", "sync-users"])
    assert "1 staff and admins synced, 1 no longer staff." in result.output
    assert [(r["external_id"], r["role"]) for r in host.people()] == [(str(sam), "customer"), (str(mo), "admin")]


def test_sync_that_demotes_an_assignee_unassigns_their_tickets_as_the_team_page_does(make_host):
    """The host's directory and the team page change roles through one service: a demoted
    assignee's tickets go back to their department, with the queue counts and a history line,
    although nobody in the helpdesk acted."""
    from xobito_tickets.db import session
    from xobito_tickets.models import OutboxEmail, Ticket, TicketEvent
    from xobito_tickets.team.services import create_department, create_user
    from xobito_tickets.tenancy.resolve import load_active_tenant
    from xobito_tickets.tickets.services import assign_ticket, open_ticket

    from ..prod.conftest import queue_counts_drift

    tickets = Tickets()

    @tickets.staff_loader
    def staff():
        from examples.host_app.models import User, db

        return db.session.scalars(sa.select(User).where(User.role.in_(["support", "manager"]))).all()

    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, tickets=tickets)
    sam = host.add_user("sam@host.test", "Sam", role="support")
    host.add_user("mo@host.test", "Mo", role="manager")
    assert host.app.test_cli_runner().invoke(args=["tickets", "sync-users"]).exit_code == 0
    with host.app.test_request_context():
        tenant = load_active_tenant("support")
        person = {p.email: p for p in session.scalars(sa.select(Person).where(Person.tenant_id == tenant.id))}
        desk = create_department(
            tenant, "Desk", "Everything", members=[person["sam@host.test"], person["mo@host.test"]]
        )
        carla = create_user(tenant, "carla@host.test", "Carla", password="x" * 12)
        ticket = open_ticket(tenant, carla, desk, "Printer", "Jammed.")
        assign_ticket(ticket, person["mo@host.test"], desk, person["sam@host.test"])
        number, queued = ticket.number, session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))

    host.update_user(sam, role="member")
    result = host.app.test_cli_runner().invoke(args=["tickets", "sync-users"])
    assert "1 staff and admins synced, 1 no longer staff." in result.output, result.output

    with host.app.app_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == number))
        assert ticket.assignee_id is None
        events = session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
        assert [(e.kind, e.old_value, e.new_value, e.actor_id) for e in events][-1] == ("assigned", "Sam", None, None)
        mails = session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id).offset(queued)).all()
        # As on the team page, an unassignment is announced to nobody: the ticket is back in
        # its department's queue, where it shows as unassigned.
        assert mails == []
    assert queue_counts_drift(host.app) == {}


def test_sync_users_without_staff_loader_names_the_hook(single_host):
    result = single_host.app.test_cli_runner().invoke(args=["tickets", "sync-users"])
    assert result.exit_code == 1
    assert "@tickets.staff_loader" in result.output


def test_sync_users_in_path_mode_needs_a_tenant(make_host):
    host = make_host()
    result = host.app.test_cli_runner().invoke(args=["tickets", "sync-users"])
    assert result.exit_code == 2 and "--tenant SLUG" in result.output


def test_a_staff_visit_refreshes_the_staff_directory_once_per_interval(make_host):
    tickets = Tickets()
    calls = []

    @tickets.staff_loader
    def staff():
        from examples.host_app.models import User, db

        calls.append(1)
        return db.session.scalars(sa.select(User).where(User.role != "member")).all()

    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, tickets=tickets)
    mo = host.add_user("mo@host.test", "Mo", role="manager")
    client = host.client(mo)
    client.get("/admin/tickets")
    host.add_user("sam@host.test", "Sam", role="support")
    client.get("/admin/tickets")
    assert len(calls) == 1, "a second visit within the interval does not sync again"
    assert {r["email"] for r in host.people()} == {"mo@host.test"}

    host.app.extensions["xobito_tickets"].staff_synced_at.clear()  # the interval has passed
    client.get("/admin/tickets")
    assert len(calls) == 2
    assert {r["email"] for r in host.people()} == {"mo@host.test", "sam@host.test"}


def test_customers_never_trigger_a_staff_sync(make_host):
    tickets = Tickets()
    calls = []
    tickets.staff_loader(lambda: calls.append(1) or [])
    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support"}, tickets=tickets)
    carla = host.add_user("carla@host.test", "Carla")
    assert host.client(carla).get("/tickets").status_code == 200
    assert calls == []


def test_the_current_user_is_cached_for_the_request(single_host):
    carla = single_host.add_user("carla@host.test", "Carla")
    calls = []
    original = single_host.tickets._identity_loader
    single_host.tickets._identity_loader = lambda user: calls.append(1) or original(user)
    with single_host.app.test_request_context("/support/tickets"):
        from flask_login import login_user

        from examples.host_app.models import User, db
        from xobito_tickets.tenancy import pull_tenant
        from xobito_tickets.tenancy.current import get_current_user

        login_user(db.session.get(User, carla))
        pull_tenant("tickets.portal.ticket_list", {})
        first = get_current_user()
        assert get_current_user() is first and g.tickets_user is first
    assert calls == [1]
