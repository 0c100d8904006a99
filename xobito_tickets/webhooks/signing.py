"""The ``X-Xobito-Signature`` header: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``."""

import hashlib
import hmac
import secrets
import time

#: Receivers should refuse a signature older than this many seconds (a replayed request).
DEFAULT_TOLERANCE = 300


def new_secret():
    """Return a new endpoint secret (shown to the admin, kept to sign every delivery)."""
    return "whsec_" + secrets.token_urlsafe(32)


def compute_signature(secret, timestamp, body):
    """Return the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    message = f"{int(timestamp)}.".encode() + bytes(body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret, body, timestamp=None):
    """Return the value of ``X-Xobito-Signature`` for ``body`` signed now (or at ``timestamp``)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={timestamp},v1={compute_signature(secret, timestamp, body)}"


def verify_signature(secret, header, body, tolerance=DEFAULT_TOLERANCE, now=None):
    """Return True if ``header`` signs ``body`` with ``secret`` and is at most ``tolerance`` seconds old."""
    parts = {}
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = compute_signature(secret, timestamp, body)
    # Several v1 values are allowed, so that a secret can be rolled over without a gap.
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", ()))
