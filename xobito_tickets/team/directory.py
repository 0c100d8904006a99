"""The people directory kept in step with a host site's users (``TICKETS_AUTH = "host"``).

Each host user the module meets gets a row in ``tickets_users`` (linked by
``external_id``), updated when their email, name, role or active flag change. A role
change that takes someone off the staff goes through
:func:`~xobito_tickets.team.services.change_role`, as on the team page.
"""

import logging
import time

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.exc import IntegrityError

from ..db import session
from ..models import Role, User
from ..tenancy.identity import MissingHookError, extension_hooks, identity_of, load_host_user
from ..tenancy.resolve import use_tenant
from .services import change_role

log = logging.getLogger("xobito_tickets")


def _released_email(user):
    # .invalid never resolves (RFC 2606): a released address can never receive mail.
    return f"released-{user.id}@xobito.invalid"


def _free_email(tenant, email, keep_user_id):
    """Make ``email`` available in ``tenant``: a row holding it for someone else gives it up.

    The address now belongs to the host user who has it; the old holder (a user who
    changed address, or was deleted) gets it back from their own next sync.
    """
    holder = session.scalar(
        sa.select(User).where(User.tenant_id == tenant.id, User.email == email, User.id != keep_user_id)
    )
    if holder is not None:
        holder.email = _released_email(holder)
        holder.active = False
        session.flush()
    return holder


def _apply(user, identity):
    """Copy email, name and active from ``identity``; the role is set by the caller (see :func:`_leaves_staff`)."""
    for field in ("email", "name", "active"):
        value = getattr(identity, field)
        if getattr(user, field) != value:
            setattr(user, field, value)


def _leaves_staff(user, identity):
    """True when an existing staff row becomes a customer: that change goes through change_role."""
    return user.id is not None and user.is_staff and identity.role == Role.CUSTOMER.value


def _needs_update(user, identity):
    return (user.email, user.name, user.role, user.active) != (
        identity.email,
        identity.name,
        identity.role,
        identity.active,
    )


def sync_user(tenant, identity, commit=True):
    """Return the directory row of ``identity`` in ``tenant``, created or updated as needed.

    An unchanged identity costs one indexed read and no write. A new host user whose
    email matches a row not linked to any host user (made with ``flask tickets user
    create``, or left from standalone use) takes that row over, with its tickets.
    """
    user = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.external_id == identity.id))
    if user is not None and not _needs_update(user, identity):
        return user
    try:
        if user is None:
            user = session.scalar(
                sa.select(User).where(
                    User.tenant_id == tenant.id, User.email == identity.email, User.external_id.is_(None)
                )
            )
            if user is not None:
                user.external_id = identity.id
            else:
                _free_email(tenant, identity.email, keep_user_id=None)
                user = User(tenant_id=tenant.id, external_id=identity.id, email=identity.email, name=identity.name)
                session.add(user)
        elif user.email != identity.email:
            _free_email(tenant, identity.email, keep_user_id=user.id)
        _apply(user, identity)
        leaves_staff = _leaves_staff(user, identity)
        if not leaves_staff:
            user.role = identity.role
        if commit:
            session.commit()
        else:
            session.flush()
        if leaves_staff:
            change_role(None, user, identity.role)
    except IntegrityError:
        # Another request created the same person at the same moment: use theirs.
        session.rollback()
        user = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.external_id == identity.id))
        if user is None:
            raise
        if _needs_update(user, identity):
            _apply(user, identity)
            leaves_staff = _leaves_staff(user, identity)
            if not leaves_staff:
                user.role = identity.role
            session.commit()
            if leaves_staff:
                change_role(None, user, identity.role)
    return user


def current_directory_user(tenant):
    """Return the directory row of the host's logged-in user in ``tenant``, or None.

    Sets ``g.tickets_access_denied`` when the host user is logged in but may not use the
    helpdesk here (identity_loader returned None, or the identity is inactive).
    """
    host_user = load_host_user()
    if host_user is None:
        return None
    identity = identity_of(host_user)
    if identity is None or not identity.active:
        g.tickets_access_denied = True
        if identity is not None:
            sync_user(tenant, identity)
        return None
    return sync_user(tenant, identity)


def sync_staff(tenant):
    """Bring the staff directory of ``tenant`` in line with the staff_loader hook.

    Every host user it returns is created or updated (through identity_loader); a
    linked directory row that is staff or admin but no longer returned becomes a
    customer, so it leaves department pickers and staff notifications. Returns
    ``(synced, demoted)`` counts.
    """
    extension = extension_hooks()
    if extension._staff_loader is None:
        raise MissingHookError(
            "Syncing staff needs the @tickets.staff_loader hook: a function returning every host user "
            "who is staff or admin of the helpdesk. See the README section 'Embedding'."
        )
    with use_tenant(tenant):
        # One read of the linked rows; only new or changed people cost more.
        linked = {
            user.external_id: user
            for user in session.scalars(
                sa.select(User).where(User.tenant_id == tenant.id, User.external_id.is_not(None))
            )
        }
        seen = set()
        for host_user in extension._staff_loader():
            identity = identity_of(host_user)
            if identity is None:
                continue
            known = linked.get(identity.id)
            if known is None or _needs_update(known, identity):
                sync_user(tenant, identity, commit=False)
            seen.add(identity.id)
        demoted = 0
        for external_id, user in linked.items():
            if external_id not in seen and user.role in (Role.STAFF.value, Role.ADMIN.value):
                change_role(None, user, Role.CUSTOMER)
                demoted += 1
        session.commit()
        synced = len(seen)
    state = current_app.extensions["xobito_tickets"]
    state.staff_synced_at[tenant.id] = time.monotonic()
    return synced, demoted


def maybe_sync_staff(tenant, user):
    """Refresh the staff directory on a staff member's visit, at most once per interval per process."""
    interval = current_app.config.get("TICKETS_STAFF_SYNC_INTERVAL") or 0
    state = current_app.extensions["xobito_tickets"]
    if interval <= 0 or state.extension._staff_loader is None or user is None or not user.is_staff:
        return
    last = state.staff_synced_at.get(tenant.id)
    if last is not None and time.monotonic() - last < interval:
        return
    synced, demoted = sync_staff(tenant)
    log.info("Synced %d staff of %s from the host (%d demoted).", synced, tenant.slug, demoted)
