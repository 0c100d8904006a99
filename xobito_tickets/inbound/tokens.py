"""Signed reply tokens: they name one ticket and one recipient, and fit in an address's local part.

A token is 29 lower-case base32 characters (local parts are often lower-cased in transit):
a version byte, the ticket id (4 bytes), 5 bytes of a hash of the recipient's address and an
8-byte HMAC-SHA256 over those, keyed by the app's SECRET_KEY and the tenant id, so a token of
another tenant, or one edited by hand, does not verify.
"""

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass

_VERSION = 1
_LAYOUT = struct.Struct(">BI5s")
_MAC_BYTES = 8
TOKEN_LENGTH = 29


def _recipient_hash(email):
    return hashlib.sha256(str(email or "").strip().lower().encode()).digest()[:5]


def _key(secret, tenant_id):
    if isinstance(secret, str):
        secret = secret.encode()
    if not secret:
        raise ValueError("a SECRET_KEY is needed to sign reply tokens")
    return hmac.new(secret, b"xobito-tickets inbound reply token %d" % int(tenant_id), hashlib.sha256).digest()


def _mac(key, body):
    return hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]


def make_reply_token(secret, tenant_id, ticket_id, recipient_email):
    """Return the reply token for ``recipient_email`` on ticket ``ticket_id`` of tenant ``tenant_id``."""
    body = _LAYOUT.pack(_VERSION, int(ticket_id), _recipient_hash(recipient_email))
    raw = body + _mac(_key(secret, tenant_id), body)
    return base64.b32encode(raw).decode().rstrip("=").lower()


@dataclass(frozen=True)
class ReplyToken:
    """A verified token: the ticket it names, and a check of who it was made for."""

    ticket_id: int
    recipient_hash: bytes

    def is_for(self, email):
        """Return True if the token was made for ``email``."""
        return hmac.compare_digest(self.recipient_hash, _recipient_hash(email))


def read_reply_token(secret, tenant_id, token):
    """Return the :class:`ReplyToken` of ``token`` if its signature holds for this tenant, else None."""
    token = str(token or "").strip().lower()
    if len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    try:
        raw = base64.b32decode(token.upper() + "===")
    except (ValueError, TypeError):
        return None
    if len(raw) != _LAYOUT.size + _MAC_BYTES:
        return None
    body, mac = raw[: _LAYOUT.size], raw[_LAYOUT.size :]
    if not hmac.compare_digest(mac, _mac(_key(secret, tenant_id), body)):
        return None
    version, ticket_id, recipient = _LAYOUT.unpack(body)
    if version != _VERSION:
        return None
    return ReplyToken(ticket_id, recipient)
