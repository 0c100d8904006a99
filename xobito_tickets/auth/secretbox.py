"""TOTP secrets at rest: sealed with Fernet under keys derived from ``SECRET_KEY`` (and its fallbacks) by HKDF.

A copy of the database alone (a backup, a read-only SQL injection, a replica) then gives
nobody the second factor of a staff member. Rotation follows Flask's own: put the old key
in ``SECRET_KEY_FALLBACKS``; a secret sealed under it still opens, and is sealed again
under the new key at the person's next login (:func:`needs_resealing`).
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# Fixed salt and context: the derived key is for this one use, so a Fernet key made from the
# same SECRET_KEY by any other code (or another purpose here) differs from it.
_SALT = b"xobito_tickets"
_INFO = b"xobito_tickets: TOTP secrets at rest, Fernet v1"

#: Every Fernet token starts with its version byte 0x80, base64 "gA"; a base32 TOTP secret
#: (A-Z, 2-7) never has a lower-case letter, so the two cannot be mistaken for each other.
_SEALED_PREFIX = "gAAAAA"


class SecretKeyMissing(RuntimeError):
    """The app has no ``SECRET_KEY``, so there is no key to seal secrets with."""


def derive_fernet(secret_key):
    """Return the Fernet of ``secret_key`` (a str or bytes of any length) for TOTP secrets."""
    if isinstance(secret_key, str):
        secret_key = secret_key.encode("utf-8")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret_key)
    return Fernet(base64.urlsafe_b64encode(key))


def _fernets(config=None):
    """Return the Fernets of ``SECRET_KEY`` and then of each ``SECRET_KEY_FALLBACKS`` key."""
    config = current_app.config if config is None else config
    key = config.get("SECRET_KEY")
    if not key:
        raise SecretKeyMissing("Two-factor secrets are encrypted with a key derived from SECRET_KEY: set it.")
    return [derive_fernet(k) for k in (key, *(config.get("SECRET_KEY_FALLBACKS") or ()))]


def is_sealed(value):
    """Return True if ``value`` is a sealed secret (a Fernet token), not a plain base32 one."""
    return isinstance(value, str) and value.startswith(_SEALED_PREFIX)


def seal(secret, config=None):
    """Return ``secret`` encrypted under the current key, as text for the ``totp_secret`` column."""
    return _fernets(config)[0].encrypt(secret.encode("ascii")).decode("ascii")


def unseal(value, config=None):
    """Return the plain secret of ``value``, or None when no current or fallback key opens it."""
    if not value:
        return None
    try:
        return MultiFernet(_fernets(config)).decrypt(value.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        return None


def needs_resealing(value, config=None):
    """Return True if ``value`` opens only with a fallback key (so it should be sealed again)."""
    try:
        _fernets(config)[0].decrypt(value.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return unseal(value, config) is not None
    return False
