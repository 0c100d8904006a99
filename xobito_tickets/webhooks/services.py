"""Registering, changing and removing a tenant's webhook endpoints."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..db import begin_write, session
from ..errors import ServiceError
from ..tickets.transaction import commit_keeping_state
from .guard import UnsafeURLError, check_url
from .models import EVENTS, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .signing import new_secret

#: Endpoints one tenant may register.
MAX_ENDPOINTS = 20


def _checked_url(url):
    """Return ``url`` stripped if the SSRF guard lets it through, else raise ServiceError on ``url``."""
    try:
        check_url(url, allow_private=bool(current_app.config["TICKETS_WEBHOOK_ALLOW_PRIVATE"]))
    except UnsafeURLError as exc:
        raise ServiceError(exc.message, field="url") from None
    return url.strip()


def _checked_events(events):
    events = list(dict.fromkeys(events or ()))
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise ServiceError(
            _("Unknown event: %(unknown)s. Events: %(events)s.", unknown=", ".join(unknown), events=", ".join(EVENTS)),
            field="events",
        )
    # Every event chosen is the same as none chosen: all, including events added later.
    return [] if set(events) == set(EVENTS) else events


def create_endpoint(tenant, url, events=(), description=""):
    """Register an endpoint of ``tenant``; return ``(endpoint, secret)``. The secret is shown once."""
    url = _checked_url(url)
    events = _checked_events(events)
    description = " ".join((description or "").split())[:200]
    count = session.scalar(sa.select(sa.func.count()).where(WebhookEndpoint.tenant_id == tenant.id))
    if count >= MAX_ENDPOINTS:
        raise ServiceError(
            _("A workspace can have at most %(most)s webhook endpoints.", most=MAX_ENDPOINTS), field="url"
        )
    secret = new_secret()
    endpoint = WebhookEndpoint(tenant_id=tenant.id, url=url, events=events, description=description, secret=secret)
    begin_write()
    session.add(endpoint)
    commit_keeping_state()
    return endpoint, secret


def update_endpoint(endpoint, url, events, description=""):
    """Change an endpoint's URL, events and description."""
    url = _checked_url(url)
    events = _checked_events(events)
    begin_write()
    endpoint.url = url
    endpoint.events = events
    endpoint.description = " ".join((description or "").split())[:200]
    commit_keeping_state()
    return endpoint


def set_active(endpoint, active):
    """Switch an endpoint on (clearing its failure record) or off."""
    begin_write()
    endpoint.active = bool(active)
    endpoint.disabled_reason = None
    endpoint.failing_since = None
    commit_keeping_state()
    return endpoint


def rotate_secret(endpoint):
    """Give the endpoint a new secret; return it (shown once)."""
    begin_write()
    endpoint.secret = new_secret()
    commit_keeping_state()
    return endpoint.secret


def delete_endpoint(endpoint):
    """Remove an endpoint and its delivery log."""
    begin_write()
    session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.execute(sa.delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id))
    session.commit()


def endpoints_of(tenant_id):
    """Return the tenant's endpoints, oldest first."""
    return session.scalars(
        sa.select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id).order_by(WebhookEndpoint.id)
    ).all()


def delivery_log(endpoint, before_id=None, limit=50):
    """Return up to ``limit`` deliveries of ``endpoint``, newest first (before ``before_id``)."""
    stmt = sa.select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.tenant_id == endpoint.tenant_id
    )
    if before_id is not None:
        stmt = stmt.where(WebhookDelivery.id < before_id)
    return session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)).all()


def status_counts(endpoint_ids):
    """Return ``{endpoint_id: {status: n}}`` of the deliveries of the given endpoints."""
    if not endpoint_ids:
        return {}
    rows = session.execute(
        sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.status, sa.func.count())
        .where(WebhookDelivery.endpoint_id.in_(endpoint_ids))
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    )
    counts = {i: {s.value: 0 for s in DeliveryStatus} for i in endpoint_ids}
    for endpoint_id, status, n in rows:
        counts[endpoint_id][status] = n
    return counts
