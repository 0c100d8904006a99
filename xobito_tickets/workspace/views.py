"""The staff workspace's routes: the queue, the ticket view, the composer (reply or note), assignment,
priority, tags, "Take it", the properties panel and bulk actions (all ``tickets.admin.*``).

Views are thin: load and authorize through ``tickets.access``, call one service, redirect or render.
"""

from urllib.parse import parse_qsl

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..db import session
from ..errors import ServiceError
from ..models import Department, Priority, User
from ..tenancy.current import get_current_user
from ..tickets.access import can_see_ticket, merged_target_for
from ..tickets.services import assign_ticket, post_reply
from ..tickets.staff import load_ticket
from ..web.forms import ActionForm
from ..web.ratelimit import limit_posting
from ..web.staff import bp
from .bulk import BulkError, plan_bulk, run_bulk
from .composer import messages_after, panel_form, parse_seen
from .forms import ComposerForm, TagsForm
from .pages import render_detail, render_queue
from .services import add_note, change_tags, save_properties, ticket_tags


@bp.get("/tickets")
def ticket_queue():
    """Show the queue: a view tab (default Needs reply) or filters over everything the person may see."""
    return render_queue(request.args)


@bp.get("/tickets/<ticket>")
def ticket_detail(ticket):
    """Show a ticket with its staff thread (notes included), composer, properties and history."""
    ticket = load_ticket(ticket)
    # A merged ticket leads to the one it was merged into, for whoever may see that one.
    target = merged_target_for(ticket, get_current_user())
    if target is not None:
        return redirect(url_for("tickets.admin.ticket_detail", ticket=target.display_number))
    return render_detail(ticket)


def _back_to(ticket):
    return redirect(url_for("tickets.admin.ticket_detail", ticket=ticket.display_number), 303)


def _after_change(ticket, user, message):
    """Go back to the ticket, or to the queue if the change took it out of the person's sight."""
    if not can_see_ticket(user, ticket):
        # Routed out of the person's departments: the ticket page would now be a 404.
        where = ticket.department.name if ticket.department is not None else _("another department")
        flash(
            _("%(number)s moved to %(where)s and left your queue.", number=ticket.display_number, where=where),
            "success",
        )
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
        form.body.errors = [_("This ticket is closed. Reopen it first to reply. Internal notes can still be added.")]
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
        message = _("Your internal note was added (staff only).")
    else:
        message = _("Your reply was sent to the customer.")
    if then_close:
        message += " " + _("%(number)s is closed.", number=ticket.display_number)
    flash(message, "success")
    return _back_to(ticket)


@bp.post("/tickets/<ticket>/reply")
@limit_posting("reply")
def ticket_reply(ticket):
    """Post the composer: a reply (Open → Answered) or, with ``kind=note``, an internal note."""
    return compose(ticket)


@bp.post("/tickets/<ticket>/note")
@limit_posting("reply")
def ticket_note(ticket):
    """Add an internal note (staff only; no status change, no customer email)."""
    return compose(ticket, kind="note")


def _save_panel(number, fields):
    """Save some fields of the properties panel (``fields``): the one path of /assign, /priority and /properties."""
    user = get_current_user()
    ticket = load_ticket(number)
    form = panel_form(ticket, ticket_tags(ticket), submitted=True)
    for name in ("department", "assignee", "priority", "tags"):
        if name not in fields:
            # Not posted: not checked, not changed.
            del form[name]
    if form.validate_on_submit():
        assignment = None
        if "department" in fields:
            department = session.scalar(
                sa.select(Department).where(
                    Department.id == form.department.data, Department.tenant_id == ticket.tenant_id
                )
            )
            assignee = None
            if form.assignee.data != "":
                assignee = session.scalar(
                    sa.select(User).where(User.id == form.assignee.data, User.tenant_id == ticket.tenant_id)
                )
            assignment = (department, assignee)
        try:
            # One action: all parts are stored, or none (and no email leaves).
            save_properties(
                ticket,
                user,
                priority=Priority.from_key(form.priority.data) if "priority" in fields else None,
                tags=form.tags.names if "tags" in fields else None,
                assignment=assignment,
            )
        except ServiceError as exc:
            field = exc.field if exc.field in fields else fields[0]
            getattr(form, field).errors.append(exc.message)
        else:
            return _after_change(ticket, user, _("%(number)s is saved.", number=ticket.display_number))
    session.rollback()
    ticket = load_ticket(number)
    panel = panel_form(ticket, ticket_tags(ticket), submitted=True)
    for field in form:
        if field.name in panel:
            panel[field.name].errors = list(field.errors)
    return render_detail(ticket, 422, panel=panel)


@bp.post("/tickets/<ticket>/assign")
def ticket_assign(ticket):
    """Route the ticket to a department and/or a person (``department``, ``assignee``)."""
    return _save_panel(ticket, ("department", "assignee"))


@bp.post("/tickets/<ticket>/priority")
def ticket_priority(ticket):
    """Change the ticket's priority (``priority``)."""
    return _save_panel(ticket, ("priority",))


@bp.post("/tickets/<ticket>/properties")
def ticket_properties(ticket):
    """Save the side panel at once: department, assignee, priority and tags."""
    return _save_panel(ticket, ("department", "assignee", "priority", "tags"))


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
            flash(_("Tags saved.") if added or removed else _("The tags were already so."), "success")
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
        flash(_("%(number)s is already yours.", number=ticket.display_number), "success")
        return _back_to(ticket)
    try:
        assign_ticket(ticket, user, ticket.department, user)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _back_to(ticket)
    return _after_change(ticket, user, _("%(number)s is yours now.", number=ticket.display_number))


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
