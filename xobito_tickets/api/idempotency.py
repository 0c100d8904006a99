"""``Idempotency-Key`` on a POST: the first answer is kept for a day and sent again for a repeat.

The key is claimed (a row without an answer, committed) before the view runs, so two
copies of one request arriving together cannot both act: the second finds the claim and
gets 409. The answer is stored after the view; an answer of 500 or more, a 429 or a 422
(fields refused: nothing was done) releases the key, so the client may try again with it.
"""

import functools
import hashlib
import json
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, request

from ..db import begin_write, session
from ..jobs import job
from ..models import utcnow
from ..tickets.transaction import commit_keeping_state
from .models import ApiIdempotencyKey

#: How long a key and its answer are kept.
KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def _fingerprint():
    """Return a hash of what makes this request this request: method, path and content."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.mimetype == "multipart/form-data":
        # The multipart boundary differs between two sends of the same request: hash the parts.
        for key in sorted(request.form):
            for value in request.form.getlist(key):
                digest.update(f"{key}={value}\n".encode())
        for key in sorted(request.files):
            for upload in request.files.getlist(key):
                upload.stream.seek(0)
                digest.update(f"{key}:{upload.filename}:".encode() + hashlib.sha256(upload.stream.read()).digest())
                upload.stream.seek(0)
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(row):
    response = current_app.response_class(row.response_body, status=row.status_code, mimetype="application/json")
    if row.location:
        response.headers["Location"] = row.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _json_error(status, payload):
    return current_app.response_class(json.dumps(payload), status=status, mimetype="application/json")


def idempotent(view):
    """Decorator of a POST view: honour ``Idempotency-Key`` for the request's token."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return _json_error(
                422, {"errors": {"Idempotency-Key": [f"Use 1 to {MAX_KEY_LENGTH} printable characters."]}}
            )
        token = g.api_token
        fingerprint = _fingerprint()
        found = session.scalar(
            sa.select(ApiIdempotencyKey).where(ApiIdempotencyKey.token_id == token.id, ApiIdempotencyKey.key == key)
        )
        if found is not None and found.created_at < utcnow() - KEEP:
            begin_write()
            session.execute(sa.delete(ApiIdempotencyKey).where(ApiIdempotencyKey.id == found.id))
            commit_keeping_state()
            found = None
        if found is None:
            claim = ApiIdempotencyKey(
                tenant_id=token.tenant_id, token_id=token.id, key=key, request_fingerprint=fingerprint
            )
            begin_write()
            session.add(claim)
            try:
                commit_keeping_state()
            except sa.exc.IntegrityError:
                session.rollback()
                found = session.scalar(
                    sa.select(ApiIdempotencyKey).where(
                        ApiIdempotencyKey.token_id == token.id, ApiIdempotencyKey.key == key
                    )
                )
            else:
                claim_id = claim.id
                return _run_and_keep(view, claim_id, args, kwargs)
        if found.request_fingerprint != fingerprint:
            return _json_error(
                422, {"errors": {"Idempotency-Key": ["This key was already used for a different request."]}}
            )
        if found.status_code is None:
            return _json_error(409, {"error": "A request with this Idempotency-Key is still being handled."})
        return _replay(found)

    return wrapper


def _run_and_keep(view, claim_id, args, kwargs):
    """Run the view, then store its answer under the claimed key (or release the key on a 5xx)."""
    try:
        response = current_app.make_response(view(*args, **kwargs))
    except Exception as exc:
        # An HTTP error (404, 403, 413, …) is an answer like any other: keep it.
        code = getattr(exc, "code", None)
        # A 5xx, or a 429 (try again later), is no answer to keep: the key is released.
        if code is None or code >= 500 or code == 429:
            _release(claim_id)
            raise
        response = current_app.handle_user_exception(exc)
        response = current_app.make_response(response)
    if response.status_code >= 500 or response.status_code == 429:
        _release(claim_id)
        return response
    session.rollback()
    begin_write()
    session.execute(
        sa.update(ApiIdempotencyKey)
        .where(ApiIdempotencyKey.id == claim_id)
        .values(
            status_code=response.status_code,
            response_body=response.get_data(as_text=True),
            location=response.headers.get("Location"),
        )
    )
    commit_keeping_state()
    return response


def _release(claim_id):
    session.rollback()
    begin_write()
    session.execute(sa.delete(ApiIdempotencyKey).where(ApiIdempotencyKey.id == claim_id))
    commit_keeping_state()


def purge_expired():
    """Delete the keys older than a day; return how many."""
    expired = ApiIdempotencyKey.created_at < utcnow() - KEEP
    if session.scalar(sa.select(ApiIdempotencyKey.id).where(expired).limit(1)) is None:
        commit_keeping_state()
        return 0
    begin_write()
    count = session.execute(sa.delete(ApiIdempotencyKey).where(expired)).rowcount
    commit_keeping_state()
    return count


@job("api-idempotency-keys")
def purge_idempotency_keys(app):
    """Worker job: forget the Idempotency-Keys older than a day."""
    return purge_expired()
