"""The queue and the staff ticket view: reply, close, reopen, assign, priority, download."""

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from ..db import session
from ..errors import ServiceError
from ..models import Department, Priority, Ticket, TicketEvent, TicketStatus, User
from ..tenancy.current import get_current_user
from ..tenancy.resolve import current_tenant
from ..web.forms import ActionForm
from ..web.ratelimit import limit_posting
from ..web.staff import bp
from .access import (
    can_see_ticket,
    department_choices,
    get_attachment_or_404,
    get_ticket_or_404,
    staff_choices,
    visible_tickets_clause,
)
from .downloads import send_attachment
from .forms import AssignForm, PriorityForm, ReplyForm
from .history import describe_event
from .listing import SORT_LABELS, TicketFilters, overdue_count, paginate_tickets, parse_number_query, status_counts
from .portal import load_thread
from .services import assign_ticket, change_priority, close_ticket, post_reply, reopen_ticket


@bp.get("/tickets")
def ticket_queue():
    """Show the tickets the user may see, filtered, searched, sorted and paged by cursor."""
    user = get_current_user()
    departments = department_choices(current_tenant.id)
    people = staff_choices(current_tenant.id)
    filters = TicketFilters.from_args(request.args, departments, people, allow_staff_filters=True)
    visibility = visible_tickets_clause(user)
    page = paginate_tickets(
        visibility,
        filters,
        cursor=request.args.get("after"),
        before=request.args.get("before"),
        user=user,
        per_page=current_app.config["TICKETS_PAGE_SIZE"],
        with_people=True,
    )
    exact = None
    number = parse_number_query(filters.q)
    if number is not None:
        exact = session.scalar(sa.select(Ticket).where(Ticket.number == number, visibility))
    return render_template(
        "xobito_tickets/admin/queue.html",
        page=page,
        filters=filters,
        counts=status_counts(user, filters),
        overdue=overdue_count(user, filters),
        exact=exact,
        departments=departments,
        department_names={d.id: d.name for d in departments},
        people=people,
        priorities=list(Priority),
        statuses=list(TicketStatus),
        sort_labels=SORT_LABELS,
    )


#: One ticket by number: joining its people costs nothing and saves a query. A
#: module-level tuple, so access.get_ticket_or_404 reuses its built statement.
_DETAIL_OPTIONS = (joinedload(Ticket.department), joinedload(Ticket.requester), joinedload(Ticket.assignee))


def _load(number_text):
    return get_ticket_or_404(number_text, get_current_user(), *_DETAIL_OPTIONS)


def _assign_form(ticket, submitted=False):
    """Return the assign form; its choices are this tenant's departments and active staff."""
    form = AssignForm() if submitted else AssignForm(formdata=None)
    departments = [d for d in department_choices(current_tenant.id) if d.active or d.id == ticket.department_id]
    form.department.choices = [SelectChoice(d.id, d.name if d.active else f"{d.name} (inactive)") for d in departments]
    people = [p for p in staff_choices(current_tenant.id) if p.active or p.id == ticket.assignee_id]
    form.assignee.choices = [SelectChoice("", "Nobody")] + [
        SelectChoice(p.id, p.name if p.active else f"{p.name} (deactivated)") for p in people
    ]
    if not submitted:
        form.department.data = ticket.department_id
        form.assignee.data = ticket.assignee_id or ""
    return form


def _priority_form(ticket, submitted=False):
    form = PriorityForm() if submitted else PriorityForm(formdata=None)
    if not submitted:
        form.priority.data = ticket.priority_enum.key
    return form


#: A ticket's history as plain rows (what describe_event reads), oldest first.
_HISTORY = (
    sa.select(
        TicketEvent.kind,
        TicketEvent.old_value,
        TicketEvent.new_value,
        TicketEvent.created_at,
        User.name.label("actor_name"),
    )
    .outerjoin(User, User.id == TicketEvent.actor_id)
    .where(TicketEvent.ticket_id == sa.bindparam("ticket_id"), TicketEvent.tenant_id == sa.bindparam("tenant_id"))
    .order_by(TicketEvent.created_at, TicketEvent.id)
)


def _render_detail(ticket, status=200, reply_form=None, assign_form=None, priority_form=None):
    replies, attachments = load_thread(ticket)
    events = session.execute(_HISTORY, {"ticket_id": ticket.id, "tenant_id": ticket.tenant_id})
    return render_template(
        "xobito_tickets/admin/detail.html",
        ticket=ticket,
        replies=replies,
        attachments=attachments,
        history=[describe_event(event) for event in events],
        reply_form=reply_form or ReplyForm(formdata=None),
        assign_form=assign_form or _assign_form(ticket),
        priority_form=priority_form or _priority_form(ticket),
        action_form=ActionForm(formdata=None),
    ), status


def _back_to(ticket):
    return redirect(url_for("tickets.admin.ticket_detail", ticket=ticket.display_number), 303)


@bp.get("/tickets/<ticket>")
def ticket_detail(ticket):
    """Show a ticket with its thread, history, composer and actions."""
    return _render_detail(_load(ticket))


@bp.post("/tickets/<ticket>/reply")
@limit_posting("reply")
def ticket_reply(ticket):
    """Post a staff reply (Open → Answered)."""
    user = get_current_user()
    ticket = _load(ticket)
    form = ReplyForm()
    if ticket.is_closed:
        form.body.errors = ["This ticket is closed. Reopen it first to reply."]
        return _render_detail(ticket, 422, reply_form=form)
    if form.validate_on_submit():
        try:
            post_reply(ticket, user, form.body.data, files=form.attachments.uploads)
        except ServiceError as exc:
            form.body.errors = [exc.message]
        else:
            flash("Your reply was sent to the customer.", "success")
            return _back_to(ticket)
    session.rollback()
    return _render_detail(_load(ticket.display_number), 422, reply_form=form)


def _run_action(ticket, action, success):
    """Run a button action (close, reopen): flash its outcome and go back to the ticket."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(ticket, get_current_user())
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(success, "success")
    return _back_to(ticket)


@bp.post("/tickets/<ticket>/close")
def ticket_close(ticket):
    """Close the ticket."""
    ticket = _load(ticket)
    return _run_action(ticket, close_ticket, f"{ticket.display_number} is closed.")


@bp.post("/tickets/<ticket>/reopen")
def ticket_reopen(ticket):
    """Reopen a closed ticket (back to Open)."""
    ticket = _load(ticket)
    return _run_action(ticket, reopen_ticket, f"{ticket.display_number} is open again.")


@bp.post("/tickets/<ticket>/assign")
def ticket_assign(ticket):
    """Route the ticket to a department and/or a person."""
    user = get_current_user()
    ticket = _load(ticket)
    form = _assign_form(ticket, submitted=True)
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
            assign_ticket(ticket, user, department, assignee)
        except ServiceError as exc:
            getattr(form, exc.field or "department").errors.append(exc.message)
        else:
            ticket = session.get(Ticket, ticket.id)
            if not can_see_ticket(user, ticket):
                # Routed out of the user's departments: the ticket page would now be a 404.
                flash(f"{ticket.display_number} moved to {ticket.department.name} and left your queue.", "success")
                return redirect(url_for("tickets.admin.ticket_queue"), 303)
            flash(f"{ticket.display_number} is assigned.", "success")
            return _back_to(ticket)
    session.rollback()
    return _render_detail(_load(ticket.display_number), 422, assign_form=form)


@bp.post("/tickets/<ticket>/priority")
def ticket_priority(ticket):
    """Change the ticket's priority."""
    ticket = _load(ticket)
    form = _priority_form(ticket, submitted=True)
    if form.validate_on_submit():
        try:
            change_priority(ticket, get_current_user(), Priority.from_key(form.priority.data))
        except ServiceError as exc:
            form.priority.errors.append(exc.message)
        else:
            flash(f"{ticket.display_number} is now {Priority.from_key(form.priority.data).label} priority.", "success")
            return _back_to(ticket)
    session.rollback()
    return _render_detail(_load(ticket.display_number), 422, priority_form=form)


@bp.get("/tickets/<ticket>/download")
def ticket_download(ticket):
    """Send an attachment of a ticket the user may see."""
    ticket = get_ticket_or_404(ticket, get_current_user())
    attachment = get_attachment_or_404(ticket, request.args.get("attachment"))
    return send_attachment(attachment)
