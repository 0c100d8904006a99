"""Bulk actions on the queue: each ticket checked and changed as if acted on alone."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from ..db import session
from ..errors import ServiceError
from ..i18n.labels import priority_label
from ..i18n.setup import lazy_gettext as _l
from ..models import Department, Priority, Ticket, TicketStatus, User, parse_ticket_number
from ..tickets.access import visible_tickets_clause
from ..tickets.services import assign_ticket, change_priority, close_ticket, reopen_ticket
from .services import change_tags
from .tagtext import TagError, parse_tags

#: The actions of ``POST …/admin/tickets/bulk`` and the words of the result.
ACTIONS = {
    "assign": _l("Assign"),
    "priority": _l("Set priority"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
    "tag": _l("Add tags"),
    "untag": _l("Remove tags"),
}
#: The most tickets one bulk request acts on.
MAX_BULK = 100
NOT_FOUND = _l("not found")


@dataclass
class BulkPlan:
    """A validated bulk request: the action, its values, and the ticket numbers as sent."""

    action: str
    numbers: list
    department: Department | None = None
    assignee: User | None = None
    keep_department: bool = True
    keep_assignee: bool = True
    priority: Priority | None = None
    tags: list = field(default_factory=list)


@dataclass
class BulkResult:
    """What a bulk action did: the numbers changed, and ``(number, reason)`` for each skipped one."""

    changed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def summary(self):
        """Return one sentence for the person who acted."""
        changed = len(self.changed)
        if not self.skipped:
            return ngettext("%(num)d ticket changed.", "%(num)d tickets changed.", changed)
        reasons = "; ".join(f"{number}: {reason}" for number, reason in self.skipped)
        return ngettext(
            "%(num)d ticket changed, %(skipped)d skipped (%(reasons)s).",
            "%(num)d tickets changed, %(skipped)d skipped (%(reasons)s).",
            changed,
            skipped=len(self.skipped),
            reasons=reasons,
        )


class BulkError(ValueError):
    """A bulk request whose action or fields are wrong: ``errors`` is ``{field: message}``."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _id(raw):
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdecimal() and 0 < int(raw) < 2**31 else None


def plan_bulk(user, form):
    """Check the action and its fields in ``form`` (a MultiDict); return a :class:`BulkPlan` or raise BulkError."""
    errors = {}
    numbers = []
    for raw in form.getlist("tickets"):
        raw = raw.strip()
        if raw and raw not in numbers:
            numbers.append(raw)
    if not numbers:
        errors["tickets"] = _("Select at least one ticket.")
    elif len(numbers) > MAX_BULK:
        errors["tickets"] = _("Select at most %(most)s tickets at once.", most=MAX_BULK)
    action = form.get("action", "")
    if action not in ACTIONS:
        errors["action"] = _("Choose an action.")
        raise BulkError(errors)
    plan = BulkPlan(action=action, numbers=numbers)
    if action == "assign":
        # "keep" (or nothing) leaves each ticket's department or assignee as it is;
        # an empty assignee means nobody, as in the one-ticket assign form (SPEC §10).
        raw_department = form.get("department", "")
        if raw_department not in ("", "keep"):
            plan.keep_department = False
            department_id = _id(raw_department)
            plan.department = (
                session.scalar(
                    sa.select(Department).where(Department.id == department_id, Department.tenant_id == user.tenant_id)
                )
                if department_id
                else None
            )
            if plan.department is None or not plan.department.active:
                errors["department"] = _("Choose one of the listed departments.")
        raw_assignee = form.get("assignee", "keep")
        if raw_assignee != "keep":
            plan.keep_assignee = False
            if raw_assignee == "me":
                plan.assignee = user
            elif raw_assignee not in ("", "none"):
                assignee_id = _id(raw_assignee)
                plan.assignee = (
                    session.scalar(sa.select(User).where(User.id == assignee_id, User.tenant_id == user.tenant_id))
                    if assignee_id
                    else None
                )
                if plan.assignee is None or not plan.assignee.is_staff or not plan.assignee.active:
                    errors["assignee"] = _("Choose an active staff member or admin.")
        if plan.keep_department and plan.keep_assignee:
            errors["assignee"] = _("Choose a department or a person to assign the tickets to.")
    elif action == "priority":
        plan.priority = Priority.from_key(form.get("priority", ""))
        if plan.priority is None:
            errors["priority"] = _("Choose a priority.")
    elif action in ("tag", "untag"):
        try:
            plan.tags = parse_tags(form.get("tags", ""))
        except TagError as exc:
            errors["tags"] = str(exc)
        else:
            if not plan.tags:
                errors["tags"] = _("Type at least one tag.")
    if errors:
        raise BulkError(errors)
    return plan


def _visible_ticket(user, raw_number):
    number = parse_ticket_number(raw_number)
    if number is None:
        return None
    return session.scalar(sa.select(Ticket).where(Ticket.number == number, visible_tickets_clause(user)))


def _apply(plan, ticket, user):
    """Act on one ticket; return None if it changed, else the reason it was skipped."""
    if plan.action == "assign":
        department = ticket.department if plan.keep_department else plan.department
        assignee = ticket.assignee if plan.keep_assignee else plan.assignee
        if department.id == ticket.department_id and (assignee.id if assignee else None) == ticket.assignee_id:
            return _("already assigned that way")
        assign_ticket(ticket, user, department, assignee)
    elif plan.action == "priority":
        if ticket.priority == int(plan.priority):
            return _("already %(priority)s", priority=priority_label(plan.priority))
        change_priority(ticket, user, plan.priority)
    elif plan.action == "close":
        if ticket.status == TicketStatus.CLOSED.value:
            return _("already closed")
        close_ticket(ticket, user)
    elif plan.action == "reopen":
        if ticket.status != TicketStatus.CLOSED.value:
            return _("not closed")
        reopen_ticket(ticket, user)
    elif plan.action == "tag":
        added, _removed = change_tags(ticket, user, add=plan.tags)
        if not added:
            return _("already tagged")
    elif plan.action == "untag":
        _added, removed = change_tags(ticket, user, remove=plan.tags)
        if not removed:
            return _("had none of these tags")
    return None


def run_bulk(user, plan):
    """Apply ``plan`` ticket by ticket, each in its own transaction; return a :class:`BulkResult`.

    A ticket the person may not see (or of another workspace, or no ticket at all) is
    "not found", nothing more; a refused one is skipped with the service's reason.
    """
    result = BulkResult()
    for raw in plan.numbers:
        ticket = _visible_ticket(user, raw)
        label = raw if len(raw) <= 20 else raw[:19] + "…"
        if ticket is None:
            result.skipped.append((label, NOT_FOUND))
            continue
        label = ticket.display_number
        try:
            reason = _apply(plan, ticket, user)
        except ServiceError as exc:
            session.rollback()
            reason = exc.message
        if reason is None:
            result.changed.append(label)
        else:
            result.skipped.append((label, reason))
    return result
