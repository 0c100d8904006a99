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
``external_id`` = the host user's id and no password): :mod:`xobito_tickets.team.directory`
writes it. This module only reads the hooks.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app

from ..models import Role

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


def extension_hooks():
    """Return the Tickets object whose hooks serve the current app."""
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
    loader = extension_hooks()._current_user_loader or _flask_login_user
    return loader()


def identity_of(host_user):
    """Return the :class:`Identity` of ``host_user`` via the identity_loader hook, or None."""
    loader = extension_hooks()._identity_loader
    if loader is None:
        raise MissingHookError(
            "xobito_tickets needs the @tickets.identity_loader hook when TICKETS_AUTH is 'host': "
            "it maps your user to the helpdesk's Identity (id, email, name, role, active). "
            "See the README section 'Embedding'."
        )
    value = loader(host_user)
    return None if value is None else Identity.coerce(value)
