"""Tell a tenant's admins that one of their webhook endpoints was switched off."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..db import session
from ..mail.outbox import add_to_outbox, external_url, in_language_of, language_of, outbox_row
from ..models import Role, Tenant, User

#: The admin page of the endpoints (built into the email's link when the app has it).
LOG_ENDPOINT = "tickets.admin.webhook_detail"


def endpoint_disabled(endpoint, failing_since):
    """Add an email for every active admin of the endpoint's tenant, in the current transaction."""
    tenant = session.get(Tenant, endpoint.tenant_id)
    admins = session.scalars(
        sa.select(User).where(User.tenant_id == tenant.id, User.role == Role.ADMIN.value, User.active.is_(True))
    ).all()
    url = None
    if LOG_ENDPOINT in current_app.view_functions:
        url = external_url(LOG_ENDPOINT, tenant=tenant.slug, endpoint_id=endpoint.id)
    payload = {
        "tenant_name": tenant.name,
        "endpoint_url": endpoint.url,
        # Shown in each admin's language and zone.
        "failing_since": failing_since.isoformat(),
        "log_url": url,
    }
    rows = []
    for admin in admins:
        with in_language_of(admin):
            subject = _("Webhook switched off: %(url)s", url=endpoint.url)
        payload_for = {**payload, "recipient_name": admin.name, **language_of(admin)}
        rows.append(outbox_row("webhook_disabled", admin, subject, payload_for, tenant_id=tenant.id))
    return add_to_outbox(rows)
