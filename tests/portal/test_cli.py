"""The ``flask tickets`` commands: workspaces, users, departments, the demo, and clear errors."""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Attachment, Department, Reply, Tenant, Ticket, User


def _run(runner, *args, input=None):
    return runner.invoke(args=["tickets", *args], input=input)


def _scalar(app, stmt):
    with app.app_context():
        return session.scalar(stmt)


def test_tenant_create(runner, app, client):
    result = _run(runner, "tenant", "create", "initech", "--name", "Initech")
    assert result.exit_code == 0, result.output
    assert "Created workspace 'initech' (Initech)." in result.output
    tenant = _scalar(app, sa.select(Tenant).where(Tenant.slug == "initech"))
    assert tenant.name == "Initech" and tenant.active and tenant.allow_signup
    assert client.get("/initech/login").status_code == 200
    assert client.get("/initech/register").status_code == 200


def test_tenant_create_without_signup(runner, app, client):
    result = _run(runner, "tenant", "create", "closed-shop", "--name", "Closed", "--no-signup")
    assert result.exit_code == 0, result.output
    assert client.get("/closed-shop/register").status_code == 404


@pytest.mark.parametrize("slug", ["Bad_Slug", "a", "-start", "end-", "x" * 64, "has space", "ünï"])
def test_tenant_create_refuses_a_bad_slug(runner, app, slug):
    result = _run(runner, "tenant", "create", "--name", "X", "--", slug)
    assert result.exit_code != 0
    assert "2–63 lower-case letters, digits and hyphens" in result.output
    assert _scalar(app, sa.select(sa.func.count()).select_from(Tenant)) == 0


def test_tenant_create_refuses_a_duplicate(runner, app, world):
    result = _run(runner, "tenant", "create", "acme", "--name", "Again")
    assert result.exit_code == 1
    assert "A workspace with the slug 'acme' exists already." in result.output


def test_tenant_create_needs_a_name(runner, app):
    result = _run(runner, "tenant", "create", "nameless")
    assert result.exit_code == 2 and "--name" in result.output


@pytest.mark.parametrize("role", ["customer", "staff", "admin"])
def test_user_create(runner, app, world, auth, client, role):
    result = _run(
        runner,
        "user",
        "create",
        "--tenant",
        "acme",
        "--email",
        f"New.{role}@Example.com",
        "--name",
        f"New {role}",
        "--role",
        role,
        "--password",
        "a good password",
    )
    assert result.exit_code == 0, result.output
    assert f"Created {role} new.{role}@example.com in 'acme'." in result.output
    user = _scalar(app, sa.select(User).where(User.email == f"new.{role}@example.com"))
    assert user.role == role and user.tenant_id == world.acme_id and user.password_hash
    assert "a good password" not in user.password_hash
    assert auth.login(f"new.{role}@example.com", "a good password").status_code == 302


def test_user_create_prompts_for_the_password(runner, app, world, auth):
    result = _run(
        runner,
        "user",
        "create",
        "--tenant",
        "acme",
        "--email",
        "p@example.com",
        "--name",
        "P",
        input="prompted password\nprompted password\n",
    )
    assert result.exit_code == 0, result.output
    assert "prompted password" not in result.output  # hidden input
    assert auth.login("p@example.com", "prompted password").status_code == 302


def test_user_create_unknown_tenant(runner, app, world):
    result = _run(
        runner,
        "user",
        "create",
        "--tenant",
        "nowhere",
        "--email",
        "a@example.com",
        "--name",
        "A",
        "--password",
        "a good password",
    )
    assert result.exit_code == 2
    assert "No workspace with the slug 'nowhere'" in result.output


def test_user_create_duplicate_email(runner, app, world):
    result = _run(
        runner,
        "user",
        "create",
        "--tenant",
        "acme",
        "--email",
        "CARLA@acme.test",
        "--name",
        "Dup",
        "--password",
        "a good password",
    )
    assert result.exit_code == 1
    assert "An account with this email exists already." in result.output
    assert _scalar(app, sa.select(sa.func.count()).select_from(User).where(User.email == "carla@acme.test")) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--email", "not-an-email"], "is not a valid email address"),
        (["--email", "two@@example.com"], "is not a valid email address"),
        (["--email", "a b@example.com"], "is not a valid email address"),
        (["--password", "short"], "at least 8 characters"),
        (["--password", ""], "at least 8 characters"),
        (["--name", "  "], "Give a name"),
        (["--role", "superuser"], "'superuser' is not one of"),
    ],
)
def test_user_create_bad_input(runner, app, world, args, message):
    values = {"--email": "ok@example.com", "--name": "Okay", "--password": "a good password"}
    options = []
    for key, value in values.items():
        if key not in args:
            options += [key, value]
    before = _scalar(app, sa.select(sa.func.count()).select_from(User))
    result = _run(runner, "user", "create", "--tenant", "acme", *options, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert _scalar(app, sa.select(sa.func.count()).select_from(User)) == before


def test_department_create_with_members(runner, app, world, client, auth):
    result = _run(
        runner,
        "department",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Returns",
        "--description",
        "Send things back",
        "--member",
        "sam@acme.test",
        "--member",
        "ADA@acme.test",
    )
    assert result.exit_code == 0, result.output
    assert "Created department 'Returns' in 'acme'." in result.output
    with app.app_context():
        department = session.scalar(sa.select(Department).where(Department.name == "Returns"))
        assert department.active and department.description == "Send things back"
        assert sorted(m.email for m in department.members) == ["ada@acme.test", "sam@acme.test"]
    auth.login("carla@acme.test")
    assert ">Returns</option>" in client.get("/acme/tickets/create").get_data(as_text=True)


def test_department_create_inactive_is_hidden_from_customers(runner, app, world, client, auth):
    result = _run(runner, "department", "create", "--tenant", "acme", "--name", "Archive", "--inactive")
    assert result.exit_code == 0, result.output
    assert _scalar(app, sa.select(Department.active).where(Department.name == "Archive")) is False
    auth.login("carla@acme.test")
    assert "Archive" not in client.get("/acme/tickets/create").get_data(as_text=True)


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--tenant", "nowhere", "--name", "X"], 2, "No workspace with the slug 'nowhere'"),
        (["--tenant", "acme", "--name", "Support"], 1, "A department with this name exists already."),
        (["--tenant", "acme", "--name", "X", "--member", "ghost@acme.test"], 2, "No user 'ghost@acme.test'"),
        (["--tenant", "acme", "--name", "X", "--member", "carla@acme.test"], 1, "Members must be staff or admins"),
        (["--tenant", "acme", "--name", "X", "--member", "gary@globex.test"], 2, "No user 'gary@globex.test'"),
        (["--tenant", "acme", "--name", "  "], 2, "Give a name"),
    ],
)
def test_department_create_bad_input(runner, app, world, args, code, message):
    before = _scalar(app, sa.select(sa.func.count()).select_from(Department))
    result = _run(runner, "department", "create", *args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert _scalar(app, sa.select(sa.func.count()).select_from(Department)) == before


def test_commands_have_help(runner, app):
    for args in (
        ["--help"],
        ["tenant", "create", "--help"],
        ["user", "create", "--help"],
        ["department", "create", "--help"],
        ["demo", "--help"],
    ):
        result = _run(runner, *args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_demo_builds_a_ready_workspace(runner, app, client):
    result = _run(runner, "demo")
    assert result.exit_code == 0, result.output
    assert "http://helpdesk.test/demo/tickets" in result.output
    assert "customer@demo.test" in result.output and "demo-password" in result.output
    with app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == "demo"))
        users = session.scalars(sa.select(User).where(User.tenant_id == tenant.id, User.active.is_(True))).all()
        roles = [u.role for u in users]
        assert roles.count("customer") >= 1 and roles.count("staff") >= 2 and roles.count("admin") >= 1
        active_departments = session.scalars(
            sa.select(Department).where(Department.tenant_id == tenant.id, Department.active.is_(True))
        ).all()
        assert len(active_departments) >= 3
        statuses = set(session.scalars(sa.select(Ticket.status).where(Ticket.tenant_id == tenant.id)))
        assert statuses == {"open", "answered", "closed"}
        assert session.scalar(sa.select(sa.func.count()).select_from(Reply).where(Reply.tenant_id == tenant.id)) > 0
        attachments = session.scalars(sa.select(Attachment).where(Attachment.tenant_id == tenant.id)).all()
        assert attachments
    # Every printed login works, and the customer sees tickets with an attachment that downloads.
    for line in result.output.splitlines():
        if "@demo.test /" in line:
            email, password = line.split()[1], line.split()[3]
            login = client.post("/demo/login", data={"email": email, "password": password})
            # The demo's two-factor staff member (tom) is asked for the code after the password.
            assert login.status_code == 302 or login.headers["Location"] == "/demo/login/code", email
            client.post("/demo/logout")
    client.post("/demo/login", data={"email": "customer@demo.test", "password": "demo-password"})
    html = client.get("/demo/tickets").get_data(as_text=True)
    assert "TKT-" in html
    with app.app_context():
        customer = session.scalar(sa.select(User).where(User.email == "customer@demo.test"))
        own = session.execute(
            sa.select(Ticket.number, Attachment.id)
            .join(Attachment, Attachment.ticket_id == Ticket.id)
            .where(Ticket.requester_id == customer.id)
        ).first()
    if own is not None:
        number, attachment_id = own
        with client.get(f"/demo/tickets/TKT-{number:06d}/download?attachment={attachment_id}") as response:
            assert response.status_code == 200
    # Running it again shows the logins and changes nothing.
    count = _scalar(app, sa.select(sa.func.count()).select_from(Ticket))
    again = _run(runner, "demo")
    assert again.exit_code == 0 and "Already there" in again.output and "customer@demo.test" in again.output
    assert _scalar(app, sa.select(sa.func.count()).select_from(Ticket)) == count
