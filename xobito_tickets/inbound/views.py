"""Staff pages of inbound email: the inbound log (admins), its quarantine actions, the settings, the raw message.

The routes sit on the staff blueprint, whose guard lets only staff in; log and settings
are admin-only, the raw message of a ticket is for whoever may see that ticket.
"""

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..db import session
from ..errors import ServiceError
from ..models import Department, parse_ticket_number
from ..tenancy import current_tenant, get_current_user
from ..tickets.access import get_ticket_or_404
from ..tickets.downloads import content_disposition
from ..web.forms import ActionForm
from ..web.staff import admin_only, bp
from . import quarantine
from .forms import AttachForm, InboundSettingsForm
from .ingest import read_raw
from .models import InboundMessage, InboundOutcome
from .parse import parse_message
from .settings import get_settings, inbound_token

PAGE_SIZE = 50


def _row_or_404(row_id):
    row = quarantine.get_log_row(current_tenant, row_id)
    if row is None:
        abort(404)
    return row


@bp.get("/inbound")
@admin_only
def inbound_log():
    """List received messages, newest first, with their outcome."""
    before = request.args.get("before", type=int)
    query = sa.select(InboundMessage).where(InboundMessage.tenant_id == current_tenant.id)
    if before and 0 < before < 2**31:
        query = query.where(InboundMessage.id < before)
    rows = session.scalars(query.order_by(InboundMessage.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render_template(
        "xobito_tickets/inbound/log.html",
        rows=rows,
        next_before=rows[-1].id if more else None,
        labels=InboundOutcome.LABELS,
    )


@bp.get("/inbound/<int:row_id>")
@admin_only
def inbound_message(row_id):
    """Show one received message as text (never its HTML), with the quarantine actions."""
    row = _row_or_404(row_id)
    parsed = parse_message(read_raw(row)) if row.raw_key else None
    return render_template(
        "xobito_tickets/inbound/message.html",
        row=row,
        parsed=parsed,
        attach_form=AttachForm(),
        action_form=ActionForm(),
        quarantined=row.outcome == InboundOutcome.QUARANTINED,
    )


def _quarantine_action(row_id, action, success):
    row = _row_or_404(row_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action(row)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".inbound_message", row_id=row.id), code=303)
    flash(success, "success")
    return redirect(url_for(".inbound_log"), code=303)


@bp.post("/inbound/<int:row_id>/attach")
@admin_only
def inbound_attach(row_id):
    """Post a quarantined message as a reply on the ticket named in ``ticket``."""
    row = _row_or_404(row_id)
    form = AttachForm()
    if form.validate_on_submit():
        number = parse_ticket_number(form.ticket.data.strip().upper())
        ticket = quarantine.ticket_by_number(current_tenant, number) if number is not None else None
        if ticket is None:
            form.ticket.errors.append(_("No ticket with this number."))
        else:
            try:
                quarantine.attach_to_ticket(current_tenant, row, ticket, get_current_user())
            except ServiceError as exc:
                form.ticket.errors.append(exc.message)
            else:
                flash(_("The message was added to %(number)s.", number=ticket.display_number), "success")
                return redirect(url_for(".inbound_log"), code=303)
    parsed = parse_message(read_raw(row)) if row.raw_key else None
    return (
        render_template(
            "xobito_tickets/inbound/message.html",
            row=row,
            parsed=parsed,
            attach_form=form,
            action_form=ActionForm(),
            quarantined=row.outcome == InboundOutcome.QUARANTINED,
        ),
        422,
    )


@bp.post("/inbound/<int:row_id>/open")
@admin_only
def inbound_open(row_id):
    """Open a new ticket from a quarantined message."""
    return _quarantine_action(
        row_id,
        lambda row: quarantine.open_as_ticket(current_tenant, row, get_current_user()),
        _("A ticket was opened from the message."),
    )


@bp.post("/inbound/<int:row_id>/discard")
@admin_only
def inbound_discard(row_id):
    """Discard a quarantined message (its stored copy is deleted)."""
    return _quarantine_action(
        row_id, lambda row: quarantine.discard(current_tenant, row, get_current_user()), _("The message was discarded.")
    )


@bp.get("/inbound/<int:row_id>/raw")
@admin_only
def inbound_raw(row_id):
    """Download the message as it was received (message/rfc822, as an attachment)."""
    row = _row_or_404(row_id)
    return _raw_response(row)


@bp.get("/tickets/<ticket>/emails/<int:row_id>")
def ticket_email_raw(ticket, row_id):
    """Download a received email of a ticket the staff member may see."""
    found = get_ticket_or_404(ticket, get_current_user())
    row = _row_or_404(row_id)
    if found.id not in (row.ticket_id, row.follow_up_of_id):
        abort(404)
    return _raw_response(row)


def _raw_response(row):
    if not row.raw_key:
        abort(404)
    try:
        data = read_raw(row)
    except (FileNotFoundError, KeyError):
        abort(404)
    # Downloaded, never shown: a mail may hold HTML and scripts (same headers as attachments).
    response = Response(data, content_type="message/rfc822")
    response.headers["Content-Disposition"] = content_disposition(f"message-{row.id}.eml")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _department_choices():
    departments = session.scalars(
        sa.select(Department)
        .where(Department.tenant_id == current_tenant.id, Department.active.is_(True))
        .order_by(Department.name)
    ).all()
    return [("", _("First active department by name"))] + [(str(d.id), d.name) for d in departments]


@bp.route("/inbound/settings", methods=["GET", "POST"])
@admin_only
def inbound_settings():
    """Show and change the inbound settings: mailbox, default department; show the token."""
    settings = get_settings(current_tenant, create=True)
    form = InboundSettingsForm(obj=None if request.method == "POST" else settings)
    form.default_department.choices = _department_choices()
    if request.method == "GET":
        form.default_department.data = str(settings.default_department_id or "")
        form.imap_password.data = ""
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            form.apply(settings)
            session.commit()
            flash(_("Inbound settings saved."), "success")
            return redirect(url_for(".inbound_settings"), code=303)
        status = 422
    token = inbound_token(current_tenant) if settings.token_salt else None
    return (
        render_template(
            "xobito_tickets/inbound/settings.html",
            form=form,
            settings=settings,
            token=token,
            action_form=ActionForm(),
            domain=current_app.config.get("TICKETS_INBOUND_DOMAIN"),
            slug=current_tenant.slug,
        ),
        status,
    )


@bp.post("/inbound/settings/token")
@admin_only
def inbound_token_rotate():
    """Make the inbound token (or a new one: the old one stops working)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    inbound_token(current_tenant, rotate=True)
    flash(_("A new inbound token was made; update your mail service."), "success")
    return redirect(url_for(".inbound_settings"), code=303)


def ticket_inbound_emails(ticket):
    """Jinja global: the inbound log rows of ``ticket`` whose raw message was kept, oldest first."""
    return session.scalars(
        sa.select(InboundMessage)
        .where(
            InboundMessage.tenant_id == ticket.tenant_id,
            InboundMessage.ticket_id == ticket.id,
            InboundMessage.raw_key.is_not(None),
        )
        .order_by(InboundMessage.id)
        .limit(50)
    ).all()
