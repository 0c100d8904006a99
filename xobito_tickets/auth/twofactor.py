"""Two-factor login: TOTP (RFC 6238) codes, their QR code, and single-use recovery codes.

Pure functions over secrets and hashes; the tables and the login steps that use them
live in :mod:`xobito_tickets.auth.models` and the auth views.
"""

import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno

#: Seconds a TOTP code stands for (RFC 6238's default; every authenticator app uses it).
INTERVAL = 30
#: Steps before and after the current one accepted, for clocks a little apart.
VALID_WINDOW = 1
#: How many recovery codes a person gets at enrolment.
RECOVERY_CODE_COUNT = 10
# Crockford-like alphabet without look-alikes (0/o, 1/l/i): codes are read off paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret():
    """Return a new random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret, account, issuer):
    """Return the ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, interval=INTERVAL).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri):
    """Return the QR code of ``uri`` as an SVG document (bytes), made here: no outside service sees the secret."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, dark="#111", light="#fff")
    return buffer.getvalue()


def normalize_code(code):
    """Return ``code`` without spaces and hyphens, lower case (people type ``123 456`` or ``ABCD-EFGH``)."""
    return "".join(str(code or "").split()).replace("-", "").lower()


def verify_totp(secret, code, last_step=None, for_time=None):
    """Return the time step ``code`` belongs to, or None when it is wrong or already used.

    ``last_step`` is the step of the last code accepted for this person: a code of that
    step or an earlier one is refused, so a code seen over a shoulder cannot be replayed
    within its 30 seconds. ``for_time`` (a UNIX time or datetime) fixes the clock in tests.
    """
    code = normalize_code(code)
    if not secret or len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=INTERVAL)
    if for_time is None:
        for_time = time.time()
    elif hasattr(for_time, "timestamp"):
        for_time = for_time.timestamp()
    matched = None
    # Compare every candidate (constant work whichever step matches).
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        moment = for_time + offset * INTERVAL
        if hmac.compare_digest(totp.at(moment), code):
            matched = int(moment // INTERVAL)
    if matched is None or (last_step is not None and matched <= last_step):
        return None
    return matched


def current_code(secret, for_time=None):
    """Return the code an authenticator shows now (or at ``for_time``): for the demo and tests."""
    return pyotp.TOTP(secret, interval=INTERVAL).at(for_time if for_time is not None else time.time())


def new_recovery_codes(count=RECOVERY_CODE_COUNT):
    """Return ``count`` new recovery codes as shown to the person: ``abcde-fghjk`` (about 50 bits each)."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(code):
    """Return the stored form of a recovery code.

    A plain SHA-256 is enough: the codes are random with 50 bits, not chosen by
    people, so a slow password hash would only slow the login down.
    """
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def looks_like_recovery_code(code):
    """Return True if ``code`` has the shape of a recovery code (ten letters and digits)."""
    code = normalize_code(code)
    return len(code) == 10 and all(c in _ALPHABET for c in code)
