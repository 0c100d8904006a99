"""Signed links that name one person of one tenant: password reset, invitation and sign-up.

A token is an itsdangerous signature (with a salt per purpose) over the user id, the tenant
id and a fingerprint of what the link may change. When that changes (a new password hash,
a new invitation time) the fingerprint no longer matches and every earlier link is void, so
no token is stored anywhere. The fingerprint is a digest: the payload is signed, not encrypted.
"""

import hashlib
import hmac

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from ..db import session
from ..models import User


def fingerprint(*parts):
    """Return a short digest of ``parts`` (None counts as "-") to sign into a link."""
    text = "|".join("-" if part is None or part == "" else str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class PersonLink:
    """Make and check the signed tokens of one purpose (``salt``).

    ``fingerprint_of(user)`` returns what voids the link when it changes; ``max_age_key`` names
    the setting with the token's lifetime in seconds.
    """

    def __init__(self, salt, max_age_key, fingerprint_of):
        self.salt = salt
        self.max_age_key = max_age_key
        self.fingerprint_of = fingerprint_of

    def _serializer(self):
        return URLSafeTimedSerializer(current_app.secret_key, salt=self.salt)

    def make(self, user):
        """Return a token naming ``user``, valid until its fingerprint changes or it expires."""
        return self._serializer().dumps({"u": user.id, "t": user.tenant_id, "f": self.fingerprint_of(user)})

    def user_for(self, token, tenant, lock=False):
        """Return the active user of ``tenant`` a still-valid ``token`` names, or None.

        With ``lock`` the row is read for update (the caller is inside a write transaction).
        """
        try:
            data = self._serializer().loads(token, max_age=current_app.config[self.max_age_key])
        except BadData:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), int) or data.get("t") != tenant.id:
            return None
        stmt = sa.select(User).where(User.id == data["u"], User.tenant_id == tenant.id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        user = session.scalar(stmt)
        if user is None or not user.active:
            return None
        if not hmac.compare_digest(str(data.get("f", "")), self.fingerprint_of(user)):
            return None
        return user
