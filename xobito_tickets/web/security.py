"""Response headers of SPEC §13, the CSRF check on every POST and the NUL-byte guard.

Every tenant and every staff member share one browser origin (the tenant is a path
segment), so one stored script would reach them all: the policy below allows no
inline script or style and nothing from other origins, and pages are never framed.
"""

from flask import abort, current_app, g, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

#: No inline script or style, nothing from other origins, never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

#: "same-origin" and not "no-referrer": Flask-WTF's strict HTTPS check of the CSRF
#: token needs the Referer of same-site form posts; other sites never see our URLs
#: (ticket numbers, search terms).
REFERRER_POLICY = "same-origin"


def _is_personal(response):
    """Return True if ``response`` may carry one person's data and must not be stored."""
    if g.get("tickets_user") is not None:
        return True
    if request.method not in ("GET", "HEAD"):
        return True
    # Every tenant page is personal or, like the login form, carries a CSRF token bound
    # to this browser's session. (Reading ``session.accessed`` would itself mark the
    # session accessed.)
    return "tickets" in request.blueprints


def apply_security_headers(response):
    """after_request: add the security headers; no-store on pages of a logged-in user."""
    if not current_app.config.get("TICKETS_SECURITY_HEADERS", True):
        return response
    headers = response.headers
    # One pass over what the view set: each Headers lookup of a missing name raises and
    # catches an exception, and these run on every response.
    present = {name.lower(): value for name, value in headers.items()}
    policy = current_app.config.get("TICKETS_CONTENT_SECURITY_POLICY") or CONTENT_SECURITY_POLICY
    for name, value in (
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", REFERRER_POLICY),
        # A window opened from a ticket link cannot reach back into the helpdesk's window.
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ):
        if name.lower() not in present:
            headers.add(name, value)
    if _is_personal(response):
        if "no-store" not in present.get("cache-control", ""):
            headers["Cache-Control"] = "private, no-store"
        response.vary.add("Cookie")
    return response


def limit_urlencoded_body():
    """before_request: refuse a url-encoded form larger than MAX_FORM_MEMORY_SIZE (413).

    Such a body is all in memory once parsed; multipart forms are limited by the
    parser itself, but not every Werkzeug release applies the limit to url-encoded ones.
    """
    limit = current_app.config.get("MAX_FORM_MEMORY_SIZE")
    if limit and request.mimetype == "application/x-www-form-urlencoded" and (request.content_length or 0) > limit:
        abort(413)


def reject_nul_bytes():
    """before_request: answer 400 to a query or form value holding a NUL character.

    No person types one, PostgreSQL refuses to store or compare text with one (a 500
    on a search or a form), and C code further down a pipeline reads it as the end.
    """
    values = request.args.listvalues()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        values = [*values, *request.form.listvalues()]
    for group in values:
        if any("\x00" in value for value in group):
            abort(400)


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
