"""Admins' webhook pages: ``/{subdomain}/admin/webhooks`` — endpoints, secrets, delivery log, redeliver."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..errors import ServiceError
from ..i18n.setup import lazy_gettext as _l
from ..models import MAX_ROW_ID
from ..tenancy.resolve import current_tenant
from ..tickets.access import get_tenant_row_or_404
from ..web.forms import ActionForm
from ..web.staff import admin_only, bp
from .forms import EndpointForm
from .models import EVENTS, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .services import (
    create_endpoint,
    delete_endpoint,
    delivery_log,
    endpoints_of,
    rotate_secret,
    set_active,
    status_counts,
    update_endpoint,
)
from .worker import redeliver

LOG_PAGE = 50


def _endpoint_or_404(endpoint_id):
    return get_tenant_row_or_404(WebhookEndpoint, endpoint_id, current_tenant.id)


def _render_list(form, status=200, secret=None, created=None):
    endpoints = endpoints_of(current_tenant.id)
    return render_template(
        "xobito_tickets/webhooks/list.html",
        endpoints=endpoints,
        counts=status_counts([e.id for e in endpoints]),
        form=form,
        events=EVENTS,
        secret=secret,
        created=created,
        action_form=ActionForm(formdata=None),
    ), status


@bp.get("/webhooks")
@admin_only
def webhook_list():
    """List the tenant's endpoints with a form to add one."""
    return _render_list(EndpointForm(formdata=None))


@bp.post("/webhooks")
@admin_only
def webhook_create():
    """Register an endpoint and show its secret, once."""
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoint, secret = create_endpoint(current_tenant, form.url.data, form.events.data, form.description.data)
        except ServiceError as exc:
            getattr(form, exc.field or "url").errors.append(exc.message)
        else:
            # The secret is shown on this answer only: it is not in any URL or later page.
            return _render_list(EndpointForm(formdata=None), 201, secret=secret, created=endpoint)
    return _render_list(form, 422)


#: A delivery's state as the log shows it.
DELIVERY_STATES = {
    DeliveryStatus.PENDING.value: _l("Pending"),
    DeliveryStatus.DELIVERING.value: _l("Delivering"),
    DeliveryStatus.DELIVERED.value: _l("Delivered"),
    DeliveryStatus.FAILED.value: _l("Failed"),
}


def _render_detail(endpoint, form, status=200, secret=None):
    before = request.args.get("before", "")
    before_id = int(before) if before.isascii() and before.isdecimal() and 0 < int(before) <= MAX_ROW_ID else None
    deliveries = delivery_log(endpoint, before_id, LOG_PAGE + 1)
    more = len(deliveries) > LOG_PAGE
    return render_template(
        "xobito_tickets/webhooks/detail.html",
        endpoint=endpoint,
        form=form,
        deliveries=deliveries[:LOG_PAGE],
        older=deliveries[LOG_PAGE - 1].id if more else None,
        secret=secret,
        action_form=ActionForm(formdata=None),
        delivery_states=DELIVERY_STATES,
    ), status


@bp.get("/webhooks/<int:endpoint_id>")
@admin_only
def webhook_detail(endpoint_id):
    """Show an endpoint: its settings and its delivery log, newest first."""
    endpoint = _endpoint_or_404(endpoint_id)
    form = EndpointForm(formdata=None, obj=endpoint)
    form.events.data = list(endpoint.events or EVENTS)
    return _render_detail(endpoint, form)


@bp.post("/webhooks/<int:endpoint_id>")
@admin_only
def webhook_update(endpoint_id):
    """Change an endpoint's URL, events and description."""
    endpoint = _endpoint_or_404(endpoint_id)
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            update_endpoint(endpoint, form.url.data, form.events.data, form.description.data)
        except ServiceError as exc:
            getattr(form, exc.field or "url").errors.append(exc.message)
        else:
            flash(_("The endpoint was saved."), "success")
            return redirect(url_for("tickets.admin.webhook_detail", endpoint_id=endpoint.id), 303)
    return _render_detail(endpoint, form, 422)


def _action(endpoint_id):
    """Load the endpoint of a button's POST (its CSRF token is checked for every POST)."""
    return _endpoint_or_404(endpoint_id)


@bp.post("/webhooks/<int:endpoint_id>/enable")
@admin_only
def webhook_enable(endpoint_id):
    """Switch an endpoint on again (after fixing its receiver)."""
    set_active(_action(endpoint_id), True)
    flash(_("The endpoint is on: new events are sent to it. Redeliver what it missed from the log."), "success")
    return redirect(url_for("tickets.admin.webhook_detail", endpoint_id=endpoint_id), 303)


@bp.post("/webhooks/<int:endpoint_id>/disable")
@admin_only
def webhook_disable(endpoint_id):
    """Switch an endpoint off: no events are sent to it."""
    set_active(_action(endpoint_id), False)
    flash(_("The endpoint is off: no events are sent to it."), "success")
    return redirect(url_for("tickets.admin.webhook_detail", endpoint_id=endpoint_id), 303)


@bp.post("/webhooks/<int:endpoint_id>/secret")
@admin_only
def webhook_rotate_secret(endpoint_id):
    """Give the endpoint a new secret and show it, once."""
    endpoint = _action(endpoint_id)
    secret = rotate_secret(endpoint)
    form = EndpointForm(formdata=None, obj=endpoint)
    form.events.data = list(endpoint.events or EVENTS)
    return _render_detail(endpoint, form, secret=secret)


@bp.post("/webhooks/<int:endpoint_id>/delete")
@admin_only
def webhook_delete(endpoint_id):
    """Remove an endpoint and its log."""
    endpoint = _action(endpoint_id)
    delete_endpoint(endpoint)
    flash(_("The endpoint was removed."), "success")
    return redirect(url_for("tickets.admin.webhook_list"), 303)


@bp.post("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
@admin_only
def webhook_redeliver(endpoint_id, delivery_id):
    """Queue a delivery's event again for its endpoint."""
    endpoint = _action(endpoint_id)
    delivery = get_tenant_row_or_404(WebhookDelivery, delivery_id, current_tenant.id)
    if delivery.endpoint_id != endpoint.id:
        return redirect(url_for("tickets.admin.webhook_detail", endpoint_id=endpoint.id), 303)
    if not endpoint.active:
        flash(_("The endpoint is off: switch it on before redelivering."), "error")
    else:
        redeliver(delivery)
        flash(_("%(event)s was queued again; the worker sends it shortly.", event=delivery.event), "success")
    return redirect(url_for("tickets.admin.webhook_detail", endpoint_id=endpoint.id), 303)
