"""The admins' time settings pages: business hours and SLA targets, and auto-close."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..db import session
from ..errors import ServiceError
from ..models import Priority
from ..tenancy.current import get_current_user
from ..tenancy.resolve import current_tenant
from ..tickets.staff import load_ticket
from ..web.forms import form_again
from ..web.staff import admin_only, bp
from ..workspace.pages import DETAIL_CONTEXT, render_detail
from .clock import WEEKDAYS, format_day
from .forms import AutoCloseForm, ManualDueForm, SlaSettingsForm
from .manual import set_manual_due
from .settings import save_autoclose_settings, save_sla_settings, sla_targets, time_settings


def _sla_form():
    if request.method == "POST":
        return SlaSettingsForm()
    settings = time_settings(current_tenant.id)
    calendar = settings.calendar()
    form = SlaSettingsForm(formdata=None)
    form.timezone.data = settings.timezone
    form.holidays.data = "\n".join(sorted(settings.holidays or ()))
    form.warn_before_minutes.data = settings.warn_before_minutes
    for key, day in zip(WEEKDAYS, calendar.weekly, strict=True):
        getattr(form, f"hours_{key}").data = format_day(day)
    for priority, (first, resolution) in sla_targets(current_tenant.id).items():
        getattr(form, f"first_response_{priority.key}").data = first
        getattr(form, f"resolution_{priority.key}").data = resolution
    return form


@bp.route("/settings/sla", methods=["GET", "POST"])
@admin_only
def sla_settings():
    """Show and save the business hours, holidays and SLA targets of the workspace."""
    form = _sla_form()
    if form.validate_on_submit():
        save_sla_settings(
            current_tenant.id,
            form.timezone.data,
            form.weekly(),
            form.holidays.parsed,
            form.warn_before_minutes.data,
            form.targets(),
        )
        flash(_("Business hours and SLA targets were saved; open tickets' due times are updated."), "success")
        return redirect(url_for("tickets.admin.sla_settings"), 303)

    def render():
        return render_template("xobito_tickets/sla/settings.html", form=form, priorities=list(Priority))

    return form_again(render) if request.method == "POST" else render()


@bp.route("/settings/auto-close", methods=["GET", "POST"])
@admin_only
def autoclose_settings():
    """Show and save the auto-close rules of the workspace."""
    if request.method == "POST":
        form = AutoCloseForm()
    else:
        form = AutoCloseForm(formdata=None, obj=_AutoCloseValues(time_settings(current_tenant.id)))
    if form.validate_on_submit():
        save_autoclose_settings(current_tenant.id, form.enabled.data, form.reminder_days.data, form.close_days.data)
        flash(_("Auto-close settings were saved."), "success")
        return redirect(url_for("tickets.admin.autoclose_settings"), 303)

    def render():
        return render_template("xobito_tickets/sla/autoclose.html", form=form)

    return form_again(render) if request.method == "POST" else render()


class _AutoCloseValues:
    """The stored settings under the form's field names."""

    def __init__(self, settings):
        self.enabled = settings.autoclose_enabled
        self.reminder_days = settings.autoclose_reminder_days
        self.close_days = settings.autoclose_close_days


def _due_panel_context(ticket, user):
    """Add the "Due time" panel's form to the staff ticket view (the one a failed POST left, else a fresh one)."""
    form = g.pop("tickets_due_form", None)
    if form is None:
        form = ManualDueForm(formdata=None)
        form.show(ticket.due_override_at)
    return {"due_form": form}


DETAIL_CONTEXT.append(_due_panel_context)


@bp.post("/tickets/<ticket>/due")
def ticket_due(ticket):
    """Set the ticket's due time by hand (``due_at``, the reader's wall time), or clear it (``clear``)."""
    user = get_current_user()
    ticket = load_ticket(ticket)
    form = ManualDueForm()
    if form.validate_on_submit():
        try:
            set_manual_due(ticket, user, form.moment())
        except ServiceError as exc:
            form.due_at.errors = [*form.due_at.errors, exc.message]
        else:
            if form.clear.data:
                flash(_("The due time set by hand is cleared; the SLA targets decide again."), "success")
            else:
                flash(_("The due time is set by hand."), "success")
            return redirect(url_for("tickets.admin.ticket_detail", ticket=ticket.display_number), 303)
    session.rollback()
    g.tickets_due_form = form
    return render_detail(load_ticket(ticket.display_number), 422)
