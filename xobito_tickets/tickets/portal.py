"""The customer portal: list, create, view, reply, close, download (SPEC §9)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from ..db import session
from ..errors import ServiceError
from ..models import Priority, Ticket
from ..tenancy.current import get_current_user
from ..tenancy.resolve import current_tenant
from ..web.forms import ActionForm, show_service_error
from ..web.ratelimit import limit_posting
from .access import (
    active_departments,
    department_choices,
    get_attachment_or_404,
    get_ticket_or_404,
    merged_target_for,
    visible_tickets_clause,
)
from .downloads import send_attachment
from .forms import ReplyForm, TicketCreateForm
from .listing import TicketFilters, paginate_tickets
from .services import close_ticket, open_ticket, post_reply
from .thread import customer_thread

bp = Blueprint("portal", __name__)


def _staff_redirect(endpoint, **values):
    """Send staff from the portal to the staff view of the same page, if there is one."""
    user = get_current_user()
    if user is not None and user.is_staff and endpoint in current_app.view_functions:
        return redirect(url_for(endpoint, **values))
    return None


# The statements of the hot pages are built once: a statement keeps its SQL cache key,
# and building it anew on every request cost about as much as running it.


@bp.get("/tickets")
def ticket_list():
    """List the customer's own tickets, newest activity first."""
    redirect_to = _staff_redirect("tickets.admin.ticket_queue", **request.args.to_dict(flat=False))
    if redirect_to:
        return redirect_to
    user = get_current_user()
    departments = department_choices(current_tenant.id)
    filters = TicketFilters.from_args(request.args, departments)
    page = paginate_tickets(
        visible_tickets_clause(user),
        filters,
        cursor=request.args.get("after"),
        before=request.args.get("before"),
        user=user,
        per_page=current_app.config["TICKETS_PAGE_SIZE"],
    )
    return render_template(
        "xobito_tickets/portal/list.html",
        page=page,
        filters=filters,
        departments=departments,
        # By id, for the rows: reading ``ticket.department`` costs a lazy-load call per row.
        department_names={d.id: d.name for d in departments},
        priorities=list(Priority),
    )


def _create_form():
    form = TicketCreateForm()
    departments = active_departments(current_tenant.id)
    form.department.choices = [SelectChoice(d.id, d.name) for d in departments]
    if len(departments) > 1:
        # The customer chooses: a preselected first department sent tickets to the wrong team.
        form.department.choices.insert(0, SelectChoice("", _("Choose a department…")))
    # Keep the rows: the session's identity map holds them only weakly, and looking
    # the chosen one up again by id would cost another query.
    form.department_rows = {d.id: d for d in departments}
    return form


@bp.get("/tickets/create")
def ticket_create():
    """Show the new-ticket form (staff open tickets for customers on the staff side)."""
    redirect_to = _staff_redirect("tickets.admin.ticket_create_on_behalf")
    if redirect_to:
        return redirect_to
    form = _create_form()
    return render_template("xobito_tickets/portal/create.html", form=form, departments=form.department_rows.values())


@bp.post("/tickets/store")
@limit_posting("ticket")
def ticket_store():
    """Create a ticket from the submitted form (customers only: staff are sent to the staff side's form)."""
    redirect_to = _staff_redirect("tickets.admin.ticket_create_on_behalf")
    if redirect_to:
        return redirect_to
    form = _create_form()
    if form.validate_on_submit():
        department = form.department_rows.get(form.department.data)
        try:
            ticket = open_ticket(
                current_tenant,
                get_current_user(),
                department,
                form.subject.data,
                form.body.data,
                priority=Priority.from_key(form.priority.data),
                files=form.attachments.uploads,
            )
        except ServiceError as exc:
            show_service_error(form, exc, "subject")
        else:
            flash(
                _(
                    "Ticket %(number)s was created. We will email you when the team replies.",
                    number=ticket.display_number,
                ),
                "success",
            )
            return redirect(url_for("tickets.portal.ticket_detail", ticket=ticket.display_number), 303)
    return render_template(
        "xobito_tickets/portal/create.html", form=form, departments=form.department_rows.values()
    ), 422


#: One tuple for every request, so that get_ticket_or_404 reuses its built statement.
_DETAIL_OPTIONS = (joinedload(Ticket.department), joinedload(Ticket.requester), joinedload(Ticket.assignee))


def _detail_options():
    return _DETAIL_OPTIONS


def _render_detail(ticket, reply_form, status=200):
    replies, attachments = customer_thread(ticket)
    return render_template(
        "xobito_tickets/portal/detail.html",
        ticket=ticket,
        replies=replies,
        attachments=attachments,
        reply_form=reply_form,
        action_form=ActionForm(),
    ), status


@bp.get("/tickets/<ticket>")
def ticket_detail(ticket):
    """Show a ticket with its thread, composer and close button."""
    redirect_to = _staff_redirect("tickets.admin.ticket_detail", ticket=ticket)
    if redirect_to:
        return redirect_to
    user = get_current_user()
    ticket = get_ticket_or_404(ticket, user, *_detail_options())
    target = merged_target_for(ticket, user)
    if target is not None:
        return redirect(url_for("tickets.portal.ticket_detail", ticket=target.display_number))
    return _render_detail(ticket, ReplyForm())


@bp.post("/tickets/<ticket>/reply")
@limit_posting("reply")
def ticket_reply(ticket):
    """Add the customer's reply to the thread."""
    user = get_current_user()
    ticket = get_ticket_or_404(ticket, user, *_detail_options())
    form = ReplyForm()
    if ticket.is_closed:
        form.body.errors = ["This ticket is closed. Open a new ticket to follow up."]
        return _render_detail(ticket, form, 422)
    if form.validate_on_submit():
        try:
            post_reply(ticket, user, form.body.data, files=form.attachments.uploads)
        except ServiceError as exc:
            form.body.errors = [exc.message]
        else:
            flash(_("Your reply was sent."), "success")
            return redirect(url_for("tickets.portal.ticket_detail", ticket=ticket.display_number), 303)
    session.rollback()
    ticket = get_ticket_or_404(ticket.display_number, user, *_detail_options())
    return _render_detail(ticket, form, 422)


@bp.post("/tickets/<ticket>/close")
def ticket_close(ticket):
    """Close the customer's ticket."""
    user = get_current_user()
    ticket = get_ticket_or_404(ticket, user)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        close_ticket(ticket, user)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Ticket %(number)s is closed.", number=ticket.display_number), "success")
    return redirect(url_for("tickets.portal.ticket_detail", ticket=ticket.display_number), 303)


@bp.get("/tickets/<ticket>/download")
def ticket_download(ticket):
    """Send an attachment of the customer's ticket."""
    ticket = get_ticket_or_404(ticket, get_current_user())
    attachment = get_attachment_or_404(ticket, request.args.get("attachment"))
    return send_attachment(attachment)
