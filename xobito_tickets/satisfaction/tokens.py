"""The signed token of a rating link: it names the tenant and the ticket and lasts 30 days.

The link comes from an email and opens without a login, so the token is the only
authority: signed with the app's secret key under its own salt (a token made for
anything else never verifies here), checked against the tenant and ticket of the URL.
"""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

SALT = "xobito-tickets.satisfaction-rating"

#: How long a rating link works, in seconds (SPEC §16: 30 days).
MAX_AGE = 30 * 24 * 60 * 60


class RatingLinkExpired(Exception):
    """A genuine rating link, older than :data:`MAX_AGE`."""


class RatingLinkInvalid(Exception):
    """Not a rating link of ours: tampered with, made for something else, or malformed."""


def _serializer(issued_at=None):
    signer_kwargs = {}
    if issued_at is not None:
        # A signer that stamps a given time: tokens issued in the past, for checks of expiry.
        signer_kwargs["signer"] = type("_Stamped", (TimestampSigner,), {"get_timestamp": lambda self: int(issued_at)})
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, **signer_kwargs)


def make_rating_token(tenant_id, ticket_id, issued_at=None):
    """Return the token of the rating link of ticket ``ticket_id`` of tenant ``tenant_id``."""
    return _serializer(issued_at).dumps([int(tenant_id), int(ticket_id)])


def read_rating_token(token):
    """Return ``(tenant_id, ticket_id)`` named by ``token``; raise RatingLinkExpired or RatingLinkInvalid."""
    if not isinstance(token, str) or not token or len(token) > 300:
        raise RatingLinkInvalid()
    try:
        payload = _serializer().loads(token, max_age=MAX_AGE)
    except SignatureExpired as error:
        raise RatingLinkExpired() from error
    except (BadSignature, ValueError, TypeError) as error:
        raise RatingLinkInvalid() from error
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in payload)
    ):
        raise RatingLinkInvalid()
    return payload[0], payload[1]
