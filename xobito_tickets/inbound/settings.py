"""A tenant's inbound settings: the inbound token (derived, printable again, rotatable) and the mailbox."""

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from flask import current_app

from ..db import session
from ..models import Department
from .models import InboundSettings


def get_settings(tenant, create=False):
    """Return the InboundSettings row of ``tenant`` (made, not committed, when ``create`` and missing)."""
    row = session.get(InboundSettings, tenant.id)
    if row is None and create:
        row = InboundSettings(tenant_id=tenant.id, imap_port=993, imap_folder="INBOX")
        session.add(row)
    return row


def _derive_token(tenant_id, salt):
    secret = current_app.config.get("SECRET_KEY") or ""
    if isinstance(secret, str):
        secret = secret.encode()
    if not secret:
        raise RuntimeError("SECRET_KEY must be set to use inbound email")
    digest = hmac.new(secret, f"xobito-tickets inbound token {int(tenant_id)} {salt}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def inbound_token(tenant, rotate=False):
    """Return the tenant's inbound token, making it if there is none or ``rotate``; commits a change."""
    row = get_settings(tenant, create=True)
    if rotate or not row.token_salt:
        row.token_salt = secrets.token_hex(16)
        session.commit()
    return _derive_token(tenant.id, row.token_salt)


def check_inbound_token(tenant, presented):
    """Return True if ``presented`` is the tenant's current inbound token."""
    row = get_settings(tenant)
    if row is None or not row.token_salt or not presented:
        return False
    return hmac.compare_digest(_derive_token(tenant.id, row.token_salt).encode(), str(presented).encode())


def default_department(tenant):
    """Return the department new tickets by email go to: the setting if active, else the first active by name."""
    row = get_settings(tenant)
    if row is not None and row.default_department_id is not None:
        department = session.get(Department, row.default_department_id)
        if department is not None and department.active and department.tenant_id == tenant.id:
            return department
    return session.scalars(
        sa.select(Department)
        .where(Department.tenant_id == tenant.id, Department.active.is_(True))
        .order_by(Department.name, Department.id)
        .limit(1)
    ).first()


def mailbox_tenants():
    """Return (tenant_id, settings) of every tenant with an IMAP mailbox configured."""
    rows = session.scalars(
        sa.select(InboundSettings).where(InboundSettings.imap_host != "", InboundSettings.imap_user != "")
    ).all()
    return [row for row in rows if row.imap_configured]
