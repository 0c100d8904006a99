"""The workspace's staff routes: the composer (reply or note), tags, "Take it", the properties panel, bulk actions.

They register on the staff blueprint (``tickets.admin.*``); the ticket view and the
queue they come back to on an error are rendered by :mod:`xobito_tickets.tickets.staff`.
"""

from urllib.parse import parse_qsl

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from ..db import session
from ..errors import ServiceError
from ..models import Department, Priority, User
from ..tenancy.current import get_current_user
from ..tickets.access import can_see_ticket
from ..tickets.services import assign_ticket, change_priority, post_reply
from ..tickets.staff import load_ticket, render_detail, render_queue
from ..web.forms import ActionForm
from ..web.staff import bp
from .bulk import BulkError, plan_bulk, run_bulk
from .composer import messages_after, panel_form, parse_seen
from .forms import ComposerForm, TagsForm
from .services import add_note, change_tags, ticket_tags


def _back_to(ticket):
    return redirect(url_for("tickets.admin.ticket_detail", ticket=ticket.display_number), 303)


def _after_change(ticket, user, message):
    """Go back to the ticket, or to the queue if the change took it out of the person's sight."""
    if not can_see_ticket(user, ticket):
        flash(f"{message} {ticket.display_number} left your queue.", "success")
        return redirect(url_for("tickets.admin.ticket_queue"), 303)
    flash(message, "success")
    return _back_to(ticket)


def compose(number, kind=None):
    """Post the composer: a reply or a note (``kind`` forces one), after the collision check."""
    user = get_current_user()
    ticket = load_ticket(number)
    form = ComposerForm()
    if kind is not None:
        form.kind.data = kind
    elif form.kind.data not in ("reply", "note"):
        form.kind.data = "reply"
    is_note = form.kind.data == "note"
    then_close = request.form.get("then") == "close"
    if not is_note and ticket.is_closed:
        form.validate_on_submit()
        form.body.errors = ["This ticket is closed. Reopen it first to reply (notes can still be added)."]
        return render_detail(ticket, 422, composer=form)
    if not form.validate_on_submit():
        session.rollback()
        return render_detail(load_ticket(number), 422, composer=form)
    seen = parse_seen(request.form.get("seen"))
    if seen is not None and request.form.get("confirm") != "1":
        newer = messages_after(ticket, seen)
        if newer:
            # Someone wrote meanwhile: post nothing, show what arrived, keep the text.
            return render_detail(ticket, 409, composer=form, collision=newer)
    try:
        if is_note:
            add_note(ticket, user, form.body.data, files=form.attachments.uploads, then_close=then_close)
        else:
            post_reply(ticket, user, form.body.data, files=form.attachments.uploads, then_close=then_close)
    except ServiceError as exc:
        session.rollback()
        form.body.errors = [exc.message]
        return render_detail(load_ticket(number), 422, composer=form)
    if is_note:
        message = "Your internal note was added (staff only)."
    else:
        message = "Your reply was sent to the customer."
    if then_close:
        message += f" {ticket.display_number} is closed."
    flash(message, "success")
    return _back_to(ticket)


@bp.post("/tickets/<ticket>/reply")
def ticket_reply(ticket):
    """Post the composer: a reply (Open → Answered) or, with ``kind=note``, an internal note."""
    return compose(ticket)


@bp.post("/tickets/<ticket>/note")
def ticket_note(ticket):
    """Add an internal note (staff only; no status change, no customer email)."""
    return compose(ticket, kind="note")


@bp.post("/tickets/<ticket>/tags")
def ticket_tags_update(ticket):
    """Replace the ticket's tags with the comma-separated ``tags``."""
    user = get_current_user()
    ticket = load_ticket(ticket)
    form = TagsForm()
    if form.validate_on_submit():
        try:
            added, removed = change_tags(ticket, user, replace=form.tags.names)
        except ServiceError as exc:
            form.tags.errors.append(exc.message)
        else:
            flash("Tags saved." if added or removed else "The tags were already so.", "success")
            return _back_to(ticket)
    session.rollback()
    ticket = load_ticket(ticket.display_number)
    panel = panel_form(ticket, ticket_tags(ticket), submitted=True)
    panel.tags.data = form.tags.data
    panel.tags.errors = list(form.tags.errors)
    return render_detail(ticket, 422, panel=panel)


@bp.post("/tickets/<ticket>/take")
def ticket_take(ticket):
    """Assign the ticket to the person asking ("Take it")."""
    user = get_current_user()
    ticket = load_ticket(ticket)
    if not ActionForm().validate_on_submit():
        abort(400)
    if ticket.assignee_id == user.id:
        flash(f"{ticket.display_number} is already yours.", "success")
        return _back_to(ticket)
    try:
        assign_ticket(ticket, user, ticket.department, user)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _back_to(ticket)
    return _after_change(ticket, user, f"{ticket.display_number} is yours now.")


@bp.post("/tickets/<ticket>/properties")
def ticket_properties(ticket):
    """Save the side panel at once: department, assignee, priority and tags."""
    user = get_current_user()
    ticket = load_ticket(ticket)
    form = panel_form(ticket, ticket_tags(ticket), submitted=True)
    if form.validate_on_submit():
        department = session.scalar(
            sa.select(Department).where(Department.id == form.department.data, Department.tenant_id == ticket.tenant_id)
        )
        assignee = None
        if form.assignee.data != "":
            assignee = session.scalar(
                sa.select(User).where(User.id == form.assignee.data, User.tenant_id == ticket.tenant_id)
            )
        try:
            # Priority and tags first: the assignment may take the ticket out of sight.
            change_priority(ticket, user, Priority.from_key(form.priority.data))
            change_tags(ticket, user, replace=form.tags.names)
            assign_ticket(ticket, user, department, assignee)
        except ServiceError as exc:
            field = exc.field if exc.field in ("department", "assignee", "priority", "tags") else "department"
            getattr(form, field).errors.append(exc.message)
        else:
            return _after_change(ticket, user, f"{ticket.display_number} is saved.")
    session.rollback()
    return render_detail(load_ticket(ticket.display_number), 422, panel=form)


def _queue_args(raw):
    """Return the queue's URL arguments from the bulk form's ``back`` field (a query string), kept to known names."""
    known = ("tab", "status", "priority", "department", "assignee", "q", "tag", "sort", "after", "before")
    pairs = parse_qsl((raw or "")[:2000], keep_blank_values=False)
    return MultiDict([(key, value) for key, value in pairs if key in known])


@bp.post("/tickets/bulk")
def ticket_bulk():
    """Apply one action to the ticked tickets, each checked as if acted on alone; say what changed and what not."""
    user = get_current_user()
    if not ActionForm().validate_on_submit():
        abort(400)
    args = _queue_args(request.form.get("back"))
    try:
        plan = plan_bulk(user, request.form)
    except BulkError as exc:
        session.rollback()
        selected = set(request.form.getlist("tickets"))
        return render_queue(args, 422, bulk_errors=exc.errors, bulk_form=request.form, selected=selected)
    result = run_bulk(user, plan)
    flash(result.summary(), "success" if not result.skipped else "error")
    return redirect(url_for("tickets.admin.ticket_queue", **args.to_dict(flat=False)), 303)
