"""The host adapter: who is using the helpdesk when it is embedded in a site with its own users.

The host tells the module about its users through three hooks on :class:`~xobito_tickets.Tickets`,
registered by decorator in the Flask-Login style::

    @tickets.identity_loader            # required: your user -> Identity (or a dict)
    def helpdesk_identity(user):
        return Identity(id=user.id, email=user.email, name=user.name,
                        role="admin" if user.is_admin else "customer", active=user.active)

    @tickets.staff_loader               # optional: every staff member and admin
    def helpdesk_staff():
        return User.query.filter(User.is_support).all()

    @tickets.current_user_loader        # optional: default flask_login.current_user
    def logged_in_user():
        return g.user

The module keeps one directory row per host user and tenant (``models.User`` with
``external_id`` = the host user's id and no password) so tickets, departments and the
staff queue can name people. The row is created the first time a user is seen and
updated when their email, name, role or active flag change; a request whose identity
did not change reads the row and writes nothing.
"""

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.exc import IntegrityError

from .db import session
from .models import Role, User

log = logging.getLogger(__name__)

NAME_MAX = 200
EMAIL_MAX = 254


class MissingHookError(RuntimeError):
    """A hook the current configuration needs was not registered on ``Tickets``."""


class IdentityError(RuntimeError):
    """A hook returned something the module cannot use."""


@dataclass(frozen=True)
class Identity:
    """What the helpdesk needs to know about one host user.

    ``id`` is the host's stable user id (stored as text); ``role`` is ``"customer"``,
    ``"staff"`` or ``"admin"``; an inactive user cannot use the helpdesk and gets no email.
    """

    id: str
    email: str
    name: str = ""
    role: str = Role.CUSTOMER.value
    active: bool = True

    @classmethod
    def coerce(cls, value):
        """Return ``value`` (an Identity or a mapping with the same keys) as a clean Identity."""
        if isinstance(value, Identity):
            fields = {k: getattr(value, k) for k in ("id", "email", "name", "role", "active")}
        elif isinstance(value, Mapping):
            unknown = set(value) - {"id", "email", "name", "role", "active"}
            if unknown:
                raise IdentityError(f"identity_loader returned unknown keys: {', '.join(sorted(unknown))}.")
            fields = dict(value)
        else:
            raise IdentityError(f"identity_loader must return an Identity, a dict or None, not {type(value).__name__}.")
        user_id = fields.get("id")
        if user_id is None or str(user_id).strip() == "":
            raise IdentityError("identity_loader returned no 'id': the host's user id is required.")
        email = (fields.get("email") or "").strip().lower()
        if not email or "@" not in email or len(email) > EMAIL_MAX:
            raise IdentityError(f"identity_loader returned no usable 'email' for user {user_id!r}.")
        name = " ".join(str(fields.get("name") or "").split())[:NAME_MAX] or email.split("@")[0]
        role = fields.get("role", Role.CUSTOMER.value)
        try:
            role = Role(role.value if isinstance(role, Role) else str(role)).value
        except ValueError:
            raise IdentityError(
                f"identity_loader returned role {role!r} for user {user_id!r}; use 'customer', 'staff' or 'admin'."
            ) from None
        if any(c in email for c in "\r\n\t ") or any(ord(c) < 32 for c in email):
            raise IdentityError(f"identity_loader returned an email with spaces or line breaks for {user_id!r}.")
        return cls(id=str(user_id), email=email, name=name, role=role, active=bool(fields.get("active", True)))


def _hooks():
    return current_app.extensions["xobito_tickets"].extension


def _flask_login_user():
    """The default current_user_loader: Flask-Login's ``current_user`` of the host, if logged in."""
    if getattr(current_app, "login_manager", None) is None:
        raise MissingHookError(
            "xobito_tickets cannot tell who is logged in: the app has no Flask-Login LoginManager. "
            "Set one up, or register @tickets.current_user_loader returning your logged-in user (or None)."
        )
    from flask_login import current_user

    user = current_user._get_current_object()
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def load_host_user():
    """Return the host's logged-in user object, or None for an anonymous visitor."""
    loader = _hooks()._current_user_loader or _flask_login_user
    return loader()


def identity_of(host_user):
    """Return the :class:`Identity` of ``host_user`` via the identity_loader hook, or None."""
    loader = _hooks()._identity_loader
    if loader is None:
        raise MissingHookError(
            "xobito_tickets needs the @tickets.identity_loader hook when TICKETS_AUTH is 'host': "
            "it maps your user to the helpdesk's Identity (id, email, name, role, active). "
            "See the README section 'Embedding'."
        )
    value = loader(host_user)
    return None if value is None else Identity.coerce(value)


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
    changed = False
    for field in ("email", "name", "role", "active"):
        value = getattr(identity, field)
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed = True
    return changed


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
        if commit:
            session.commit()
        else:
            session.flush()
    except IntegrityError:
        # Another request created the same person at the same moment: use theirs.
        session.rollback()
        user = session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.external_id == identity.id))
        if user is None:
            raise
        if _needs_update(user, identity):
            _apply(user, identity)
            session.commit()
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
    extension = _hooks()
    if extension._staff_loader is None:
        raise MissingHookError(
            "Syncing staff needs the @tickets.staff_loader hook: a function returning every host user "
            "who is staff or admin of the helpdesk. See the README section 'Embedding'."
        )
    from .tenancy import use_tenant

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
                user.role = Role.CUSTOMER.value
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
