"""The demo workspace of ``flask tickets demo``."""

import io
import random
from datetime import timedelta

import sqlalchemy as sa

from . import services
from .db import session
from .models import Priority, Role, Tenant, Ticket, User, utcnow
from .services import UploadedFile

PASSWORD = "demo-password"

PEOPLE = [
    (Role.ADMIN, "admin@demo.test", "Ada Admin"),
    (Role.STAFF, "sam@demo.test", "Sam Support"),
    (Role.STAFF, "bea@demo.test", "Bea Billing"),
    (Role.CUSTOMER, "customer@demo.test", "Carla Customer"),
    (Role.CUSTOMER, "dan@demo.test", "Dan Doe"),
    (Role.CUSTOMER, "erin@demo.test", "Erin Example"),
]

DEPARTMENTS = [
    ("Support", "Product usage and troubleshooting", ["sam@demo.test"]),
    ("Billing", "Invoices, refunds and subscription changes", ["bea@demo.test"]),
    ("Sales", "Pre-purchase questions, pricing and demos", ["sam@demo.test", "bea@demo.test"]),
]

SUBJECTS = [
    ("Support", "Cannot log in after password change"),
    ("Billing", "Invoice 2026-114 charged twice"),
    ("Support", "Export to CSV times out"),
    ("Sales", "Pricing for 50 seats"),
    ("Billing", "Refund for unused months"),
    ("Support", "Webhook signature does not verify"),
    ("Sales", "Can we get a demo next week?"),
    ("Support", "Dark mode makes tables unreadable"),
    ("Billing", "Change card on file"),
    ("Support", "App crashes when uploading a photo"),
    ("Support", "Email notifications arrive late"),
    ("Sales", "Do you offer a non-profit discount?"),
]

# A 1x1 transparent PNG, attached to the first ticket.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def build_demo(slug="demo"):
    """Create the demo workspace unless it exists; return (created, logins)."""
    logins = [(role.value, email, PASSWORD) for role, email, _ in PEOPLE]
    tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if tenant is not None:
        return False, logins
    tenant = services.create_tenant(slug, "Demo Workspace")
    people = {}
    for role, email, name in PEOPLE:
        people[email] = services.create_user(tenant, email, name, role, PASSWORD)
    departments = {}
    for name, description, members in DEPARTMENTS:
        departments[name] = services.create_department(tenant, name, description, members=[people[m] for m in members])
    services.create_department(tenant, "Legacy", "No longer used; kept for its old tickets", active=False)

    rng = random.Random(42)
    customers = [u for u in people.values() if u.role == Role.CUSTOMER.value]
    staff = [u for u in people.values() if u.is_staff]
    for index, (dept, subject) in enumerate(SUBJECTS):
        customer = customers[index % len(customers)]
        files = []
        if index == 0:
            files = [UploadedFile("screenshot.png", "image/png", io.BytesIO(PNG), len(PNG))]
        ticket = services.open_ticket(
            tenant,
            customer,
            departments[dept],
            subject,
            f"Hello,\n\n{subject}. It started this week and happens every time.\n\nThanks!",
            priority=list(Priority)[index % 4],
            files=files,
        )
        outcome = index % 4
        if outcome >= 1:
            agent = rng.choice(staff)
            services.post_reply(ticket, agent, "Thanks for the report. Could you tell us which browser you use?")
        if outcome >= 2:
            services.post_reply(ticket, customer, "Firefox 140 on Windows 11.")
        if outcome == 3:
            services.close_ticket(ticket, customer)
    # Spread activity over the last days so the list reads like a real queue.
    now = utcnow()
    for i, ticket in enumerate(session.scalars(sa.select(Ticket).where(Ticket.tenant_id == tenant.id)).all()):
        delta = timedelta(hours=5 * (len(SUBJECTS) - i), minutes=rng.randint(0, 59))
        ticket.created_at = now - delta - timedelta(hours=3)
        ticket.last_reply_at = now - delta
    session.commit()
    return True, logins


def demo_users(tenant):
    """Return the demo tenant's users by email."""
    return {u.email: u for u in session.scalars(sa.select(User).where(User.tenant_id == tenant.id))}
