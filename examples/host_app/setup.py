"""Build the example site's database: its own migrations, the helpdesk's, and demo people."""

import flask_migrate

from xobito_tickets import migrate as schema
from xobito_tickets.models import Department
from xobito_tickets.models import User as Person
from xobito_tickets.team.directory import sync_staff
from xobito_tickets.team.services import create_department
from xobito_tickets.tenancy import single_tenant

from .models import User, db

PASSWORD = "example-password"

#: (email, name, site role) of the demo people.
PEOPLE = [
    ("casey@example.test", "Casey Customer", "member"),
    ("sam@example.test", "Sam Support", "support"),
    ("morgan@example.test", "Morgan Manager", "manager"),
]


def prepare_database():
    """Upgrade both schemas and add the demo people and a department; return the logins."""
    flask_migrate.upgrade()  # the site's tables (examples/host_app/migrations)
    schema.upgrade()  # the helpdesk's tables (flask tickets db upgrade)
    if db.session.scalar(db.select(db.func.count()).select_from(User)) == 0:
        for email, name, role in PEOPLE:
            user = User(email=email, full_name=name, role=role)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    tenant = single_tenant()
    sync_staff(tenant)  # flask tickets sync-users: staff exist before they ever log in
    if db.session.scalar(db.select(Department.id).where(Department.tenant_id == tenant.id)) is None:
        staff = db.session.scalars(
            db.select(Person).where(Person.tenant_id == tenant.id, Person.role.in_(["staff", "admin"]))
        ).all()
        create_department(tenant, "General", "Anything about Example Co", members=staff)
    return [(role, email, PASSWORD) for email, _, role in PEOPLE]
