"""Response headers of SPEC §13 and the CSRF check on every POST."""

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

#: No inline script or style, nothing from other origins, never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def apply_security_headers(response):
    """after_request: add the security headers; no-store on pages of a logged-in user."""
    if not current_app.config.get("TICKETS_SECURITY_HEADERS", True):
        return response
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if g.get("tickets_user") is not None or request.method == "POST":
        headers["Cache-Control"] = headers.get("Cache-Control") or "no-store"
        if "no-store" not in headers["Cache-Control"]:
            headers["Cache-Control"] = "private, no-store"
        headers.add_header("Vary", "Cookie")
    return response


def check_csrf():
    """before_request: refuse a POST without a valid CSRF token (400)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
    try:
        validate_csrf(token)
    except ValidationError as exc:
        raise CSRFError(exc.args[0] if exc.args else "The CSRF token is missing.") from None
