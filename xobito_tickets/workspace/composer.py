"""What the staff ticket view adds for the workspace: composer, collision check, properties panel, tags."""

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from ..db import session
from ..models import MAX_ROW_ID, Reply
from ..tickets.access import assignment_choices
from .extras import ticket_extras
from .forms import ComposerForm, PanelForm

_NEWER = (
    sa.select(Reply)
    .where(Reply.ticket_id == sa.bindparam("ticket_id"), Reply.id > sa.bindparam("seen"))
    .options(joinedload(Reply.author))
    .order_by(Reply.created_at, Reply.id)
)


def parse_seen(raw):
    """Return the message id a form says it showed last (0: only the ticket's body), or None if absent or garbled."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 10:
        return None
    seen = int(raw)
    return seen if seen <= MAX_ROW_ID else None


def messages_after(ticket, seen):
    """Return the messages (replies and notes) of ``ticket`` newer than message id ``seen``, oldest first."""
    return session.scalars(_NEWER, {"ticket_id": ticket.id, "seen": seen}).all()


def panel_form(ticket, tags, submitted=False):
    """Return the side panel's form, with the ticket's values unless it was submitted."""
    form = PanelForm() if submitted else PanelForm(formdata=None)
    all_departments, all_people = assignment_choices(ticket.tenant_id)
    departments = [d for d in all_departments if d.active or d.id == ticket.department_id]
    inactive = _("(inactive)")
    form.department.choices = [SelectChoice(d.id, d.name if d.active else f"{d.name} {inactive}") for d in departments]
    people = [p for p in all_people if p.active or p.id == ticket.assignee_id]
    deactivated = _("(deactivated)")
    form.assignee.choices = [SelectChoice("", _("Nobody"))] + [
        SelectChoice(p.id, p.name if p.active else f"{p.name} {deactivated}") for p in people
    ]
    if not submitted:
        form.department.data = ticket.department_id
        form.assignee.data = ticket.assignee_id or ""
        form.priority.data = ticket.priority_enum.key
        form.tags.data = ", ".join(tags)
    else:
        # A form that posted only some of the fields (the older assign or priority
        # forms) shows the ticket's values for the rest.
        if "priority" not in request.form:
            form.priority.data = ticket.priority_enum.key
        if "tags" not in request.form:
            form.tags.data = ", ".join(tags)
    return form


def detail_context(ticket, replies, composer=None, panel=None, collision=None):
    """Return the template values the workspace adds to the staff ticket view (tags, rating, emails in one read)."""
    extras = ticket_extras(ticket)
    tags = extras.tags
    newest = max((reply.id for reply in replies), default=0)
    return {
        "composer": composer if composer is not None else ComposerForm(formdata=None),
        "panel": panel if panel is not None else panel_form(ticket, tags),
        "collision": collision,
        "seen": newest,
        "tags": tags,
        "ticket_rating": extras.rating,
        "inbound_emails": extras.emails,
    }
