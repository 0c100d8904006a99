"""The HTTP door of inbound email: ``POST /_tickets/inbound/{subdomain}`` with a bearer token and raw MIME.

Not under the tenant's pages: no session, no cookies, no CSRF (the bearer token is the
credential), for a mail service's inbound webhook or an MTA's HTTP delivery.
"""

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from .ingest import TemporaryFailure, ingest, tenant_by_slug
from .parse import looks_like_message
from .settings import check_inbound_token

bp = Blueprint("tickets_inbound_api", __name__)

#: Types a message may be posted as; message/rfc822 is the one the SPEC names.
MESSAGE_TYPES = {"message/rfc822"}


def _answer(status, **body):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="inbound"'
    return response


def _bearer():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@bp.post("/<subdomain>")
def receive_message(subdomain):
    """Ingest one raw message posted by a mail service: 202, 401, 400 or 413."""
    tenant = tenant_by_slug(subdomain)
    if tenant is None or not check_inbound_token(tenant, _bearer()):
        return _answer(401, error="wrong or missing inbound token")
    limit = current_app.config["TICKETS_INBOUND_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        return _answer(413, error=f"the message is larger than {limit // (1024 * 1024)} MB")
    if request.mimetype not in MESSAGE_TYPES:
        return _answer(400, error="send the raw message with Content-Type: message/rfc822")
    request.max_content_length = limit
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _answer(413, error=f"the message is larger than {limit // (1024 * 1024)} MB")
    if not looks_like_message(raw):
        return _answer(400, error="the body is not an RFC 5322 message")
    try:
        result = ingest(tenant, raw, "http")
    except TemporaryFailure:
        response = _answer(503, error="could not store the message now; try again")
        response.headers["Retry-After"] = "60"
        return response
    return _answer(202, outcome=result.outcome, reason=result.reason, ticket=result.ticket_number)
