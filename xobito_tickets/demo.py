"""The demo workspace of ``flask tickets demo``: a queue an admin and a staff member can work through.

Sixty tickets over the last three weeks, across departments, priorities, statuses
and assignees, with replies, reassignments, escalations, a reopened ticket, a
deactivated colleague who keeps their history, and an inactive department that
keeps its tickets. Everything is made through the services (so history, signals and
outbox rows are real); afterwards each step is moved back to the time it "happened".
"""

import io
import random
from datetime import timedelta

import sqlalchemy as sa

from .canned.demo import add_demo_canned_replies
from .db import session
from .inbound.demo import seed_inbound_demo
from .merge.demo import add_demo_merge_and_cc
from .models import Attachment, Priority, Reply, Role, Tenant, Ticket, TicketEvent, User, utcnow
from .profile.demo import add_demo_people, demo_people_logins
from .reports.demo import add_demo_ratings
from .sla.demo import seed_time_demo
from .team.services import create_department, create_user
from .tenancy.workspaces import create_tenant
from .tickets import services
from .tickets.uploads import UploadedFile
from .workspace.demo import add_notes_and_tags

PASSWORD = "demo-password"

PEOPLE = [
    (Role.ADMIN, "admin@demo.test", "Ada Admin"),
    (Role.STAFF, "sam@demo.test", "Sam Support"),
    (Role.STAFF, "bea@demo.test", "Bea Billing"),
    (Role.STAFF, "tom@demo.test", "Tom Tech"),
    (Role.STAFF, "olga@demo.test", "Olga Oldtimer"),
    (Role.CUSTOMER, "customer@demo.test", "Carla Customer"),
    (Role.CUSTOMER, "dan@demo.test", "Dan Doe"),
    (Role.CUSTOMER, "erin@demo.test", "Erin Example"),
    (Role.CUSTOMER, "femi@demo.test", "Femi Fashola"),
    (Role.CUSTOMER, "gus@demo.test", "Gus Gruber"),
    (Role.CUSTOMER, "hana@demo.test", "Hana Hoshino"),
    (Role.CUSTOMER, "ivan@demo.test", "Ivan Ivanov"),
    (Role.CUSTOMER, "jo@demo.test", "Jo Jones"),
]

#: Printed by the CLI: one login per role is enough to try everything.
LOGINS = ["admin@demo.test", "sam@demo.test", "bea@demo.test", "customer@demo.test"]

DEPARTMENTS = [
    ("Support", "Product usage and troubleshooting", ["sam@demo.test", "tom@demo.test", "olga@demo.test"]),
    ("Billing", "Invoices, refunds and subscription changes", ["bea@demo.test"]),
    ("Sales", "Pre-purchase questions, pricing and demos", ["sam@demo.test", "bea@demo.test"]),
    ("Legacy", "The old on-premise product; no longer offered", ["olga@demo.test"]),
]

SUBJECTS = {
    "Support": [
        "Cannot log in after password change",
        "Export to CSV times out",
        "Webhook signature does not verify",
        "Dark mode makes tables unreadable",
        "App crashes when uploading a photo",
        "Email notifications arrive late",
        "Two-factor codes are rejected",
        "Calendar sync duplicates events",
        "Search does not find archived projects",
        "API returns 429 far below our limit",
        "Mobile app logs me out every hour",
        "Import from spreadsheet skips rows",
        "Invited colleague never got the email",
        "Dashboard charts show yesterday's data",
        "Single sign-on redirect loops",
        "Attachments over 5 MB fail to upload",
        "Time zone wrong on scheduled reports",
        "Keyboard shortcuts stopped working",
        "Printing an invoice cuts off the last line",
        "Permissions: editors can delete projects",
        "Slow page loads since the last update",
        "Password reset link expired immediately",
        "Audit log missing entries for March",
        "Custom domain shows a certificate warning",
        "Comments disappear after editing",
        "Bulk delete is greyed out",
        "Integration with Slack stopped posting",
        "How do I transfer ownership of a workspace?",
    ],
    "Billing": [
        "Invoice 2026-114 charged twice",
        "Refund for unused months",
        "Change card on file",
        "VAT number missing on invoices",
        "Upgrade to annual plan mid-cycle",
        "Receipt shows the wrong company name",
        "Charged after cancelling the trial",
        "Need invoices sent to accounts@ instead",
        "Discount code not applied at checkout",
        "Downgrade seats from 40 to 25",
        "Payment failed but card is valid",
        "Pro-rata credit is missing",
        "Can we pay by bank transfer?",
        "Invoice currency should be EUR",
        "Purchase order number on invoices",
        "Double-check our renewal date",
    ],
    "Sales": [
        "Pricing for 50 seats",
        "Can we get a demo next week?",
        "Do you offer a non-profit discount?",
        "Security questionnaire for procurement",
        "Is there an on-premise option?",
        "Education pricing for a university",
        "Data residency in the EU",
        "Volume pricing for 500 users",
        "Partner programme for resellers",
        "Trial extension for our pilot",
        "Single sign-on on the Team plan?",
        "Quote for a three-year contract",
    ],
    "Legacy": [
        "License key for version 3.2",
        "Migrating from the on-premise edition",
        "Old installer no longer downloads",
        "Backup restore fails on 3.1",
    ],
}

#: The conversation, in order: a first answer, the customer's follow-up, the fix, a last word.
FIRST_ANSWERS = [
    "Thanks for the details. Could you send a screenshot and the time it happened? That helps us find it in the logs.",
    "Thanks for reaching out. Which browser and version are you using, and does it happen in a private window too?",
    "Good question. Before I check your account: is this about the workspace you signed up with, or a second one?",
    "Thanks, I can see the problem on our side and have passed it to the team. I'll update you here.",
]
FOLLOW_UPS = [
    "It happens every time, on Firefox and Chrome. Screenshot attached.",
    "It started on Monday; nothing changed on our side as far as I know.",
    "The main workspace. It is urgent for us, our month-end is on Friday.",
    "Thanks, please keep me posted.",
]
FIXES = [
    "I've fixed this on our side. Could you try again and let us know if it works now?",
    "I've checked your account and corrected it. You'll see the change within the hour.",
    "The fix is live since this morning. The setting is under Workspace > Preferences if you need it again.",
]
LAST_WORDS = [
    "That worked, thank you!",
    "Still the same here, unfortunately. Anything else I can try?",
    "Perfect, thanks for the quick help.",
]

# A 1x1 transparent PNG, attached to some tickets.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)

#: How the sixty stories end, in this proportion.
OUTCOMES = ["new"] * 12 + ["answered"] * 14 + ["waiting"] * 10 + ["discussed"] * 8 + ["closed"] * 13 + ["reopened"] * 3


class _Workspace:
    """Replays each ticket's life through the services, then backdates every step."""

    def __init__(self, tenant, people, departments):
        self.tenant = tenant
        self.people = people
        self.departments = departments
        self.customers = [u for u in people.values() if u.role == Role.CUSTOMER.value]
        self.rng = random.Random(42)
        self.now = utcnow()

    def play(self):
        """Create the sixty tickets, oldest first; the untouched ones are the newest."""
        subjects = [(dept, subject) for dept, items in SUBJECTS.items() for subject in items]
        outcomes = list(OUTCOMES)
        self.rng.shuffle(subjects)
        self.rng.shuffle(outcomes)
        plan = sorted(zip(subjects, outcomes, strict=True), key=lambda item: item[1] == "new")
        for index, ((department, subject), outcome) in enumerate(plan):
            age_days = 21 * (1 - index / len(plan)) + self.rng.random()
            if outcome == "new":
                age_days = self.rng.uniform(0.05, 1.5)
            _Ticket(self, self.departments[department], subject, self.now - timedelta(days=age_days)).play(outcome)


class _Ticket:
    """One ticket's story; ``when`` advances with every step."""

    def __init__(self, workspace, department, subject, when):
        self.ws = workspace
        self.rng = workspace.rng
        self.department = department
        self.subject = subject
        self.when = when
        self.ticket = None

    def _marks(self):
        return tuple(
            session.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0)))
            for model in (TicketEvent, Reply, Attachment)
        )

    def _backdate(self, marks, **ticket_values):
        """Move the rows written since ``marks`` (highest ids before the step) to ``self.when``."""
        event_id, reply_id, attachment_id = marks
        ticket_id = self.ticket.id
        for model, last_id in ((TicketEvent, event_id), (Reply, reply_id), (Attachment, attachment_id)):
            session.execute(
                sa.update(model).where(model.ticket_id == ticket_id, model.id > last_id).values(created_at=self.when)
            )
        if ticket_values:
            session.execute(sa.update(Ticket).where(Ticket.id == ticket_id).values(**ticket_values))
        session.commit()

    def act(self, action, *args, gap=6, files=(), **ticket_values):
        """Run ``action(ticket, *args)`` about ``gap`` hours after the previous step."""
        later = self.when + timedelta(minutes=self.rng.randint(10, max(11, int(gap * 60))))
        self.when = min(later, self.ws.now - timedelta(minutes=self.rng.randint(1, 20)))
        marks = self._marks()
        kwargs = {"files": files} if files else {}
        action(self.ticket, *args, **kwargs)
        self._backdate(marks, **{key: self.when for key in ticket_values})

    def reply(self, author, text, files=()):
        self.act(services.post_reply, author, text, files=files, last_reply_at=True)

    def play(self, outcome):
        """Open the ticket and take it as far as ``outcome`` says."""
        ws, rng = self.ws, self.rng
        customer = rng.choice(ws.customers)
        # Olga left two weeks ago: she handled only the older tickets.
        retired = self.when > ws.now - timedelta(days=14)
        agents = [m for m in self.department.members if not (retired and m.email == "olga@demo.test")]
        agent = rng.choice(agents or [ws.people["admin@demo.test"]])
        priority = rng.choices(list(Priority), weights=[3, 6, 3, 1])[0]
        files = [_png("screenshot.png")] if rng.random() < 0.15 else []
        body = f"Hello,\n\n{self.subject}. It started this week and happens every time.\n\nThanks,\n{customer.name}"
        marks = self._marks()
        self.ticket = services.open_ticket(
            ws.tenant, customer, self.department, self.subject, body, priority=priority, files=files
        )
        self._backdate(marks, created_at=self.when, last_reply_at=self.when)
        if outcome == "new":
            return
        if rng.random() < 0.6:
            self.act(services.assign_ticket, ws.people["admin@demo.test"], self.department, agent, gap=2)
        if rng.random() < 0.12 and self.department.name == "Support":
            # Routed to Billing after a look: it was about money after all.
            bea = ws.people["bea@demo.test"]
            self.act(services.assign_ticket, agent, ws.departments["Billing"], bea, gap=3)
            agent = bea
        if rng.random() < 0.15 and priority < Priority.URGENT:
            self.act(services.change_priority, agent, Priority.URGENT, gap=1)
        self.reply(agent, rng.choice(FIRST_ANSWERS))
        if outcome == "answered":
            return
        self.reply(customer, rng.choice(FOLLOW_UPS), files=[_png("screenshot-2.png")] if files else ())
        if outcome == "waiting":
            return
        self.reply(agent, rng.choice(FIXES))
        if outcome == "discussed":
            self.reply(customer, rng.choice(LAST_WORDS))
            return
        if rng.random() < 0.5:
            self.reply(customer, LAST_WORDS[0])
        self.act(services.close_ticket, customer if rng.random() < 0.5 else agent, gap=30, closed_at=True)
        if outcome == "reopened":
            self.act(services.reopen_ticket, agent, gap=20)


def build_demo(slug="demo"):
    """Create the demo workspace unless it exists; return (created, logins)."""
    logins = [(role.value, email, PASSWORD) for role, email, _ in PEOPLE if email in LOGINS]
    tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if tenant is not None:
        return False, logins + demo_people_logins(PASSWORD)
    tenant = create_tenant(slug, "Demo Workspace")
    people = {email: create_user(tenant, email, name, role, PASSWORD) for role, email, name in PEOPLE}
    departments = {
        name: create_department(tenant, name, description, members=[people[m] for m in members])
        for name, description, members in DEPARTMENTS
    }
    _Workspace(tenant, people, departments).play()
    seed_time_demo(tenant)
    add_notes_and_tags(tenant, people)
    add_demo_canned_replies(people, departments)
    add_demo_merge_and_cc(tenant, people, departments)
    add_demo_ratings(tenant)
    # Retired after their tickets were written: both keep their history.
    departments["Legacy"].active = False
    people["olga@demo.test"].active = False
    session.commit()
    seed_inbound_demo(tenant, "customer@demo.test")
    logins += add_demo_people(tenant, people, departments, PASSWORD)
    return True, logins


def _png(name):
    return UploadedFile(name, "image/png", io.BytesIO(PNG), len(PNG))


def demo_users(tenant):
    """Return the demo tenant's users by email."""
    return {u.email: u for u in session.scalars(sa.select(User).where(User.tenant_id == tenant.id))}
