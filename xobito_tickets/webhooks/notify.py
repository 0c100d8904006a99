"""Tell a tenant's admins that one of their webhook endpoints was switched off."""

import sqlalchemy as sa
from flask import current_app

from ..db import session
from ..mail.outbox import add_to_outbox, external_url, outbox_row
from ..models import Role, Tenant, User

#: The admin page of the endpoints (built into the email's link when the app has it).
LOG_ENDPOINT = "tickets.admin.webhooks.endpoint_detail"


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
        "failing_since": failing_since.strftime("%Y-%m-%d %H:%M UTC"),
        "log_url": url,
    }
    subject = f"Webhook switched off: {endpoint.url}"
    return add_to_outbox(
        [
            outbox_row(
                "webhook_disabled", admin, subject, {**payload, "recipient_name": admin.name}, tenant_id=tenant.id
            )
            for admin in admins
        ]
    )
