"""The admins' time settings pages: business hours and SLA targets, and auto-close."""

from flask import flash, redirect, render_template, request, url_for

from ..models import Priority
from ..tenancy.resolve import current_tenant
from ..web.forms import form_again
from ..web.staff import admin_only, bp
from .clock import WEEKDAYS, format_day
from .forms import AutoCloseForm, SlaSettingsForm
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
        flash("Business hours and SLA targets were saved; open tickets' due times are updated.", "success")
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
        flash("Auto-close settings were saved.", "success")
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
