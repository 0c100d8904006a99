"""Mandatory two-factor login: a staff member who must have it and has not is held at enrolment."""

from flask import redirect, request, url_for

from ..auth.twofactor_service import held_at_enrolment

#: What such a person may still open: the enrolment page and its QR code, the login pages
#: (logout) and the language switch. Every other page, GET or POST, leads to enrolment.
ALLOWED_ENDPOINTS = frozenset(
    {"tickets.profile.two_factor_enrol", "tickets.profile.two_factor_qr", "tickets.language.language_set"}
)
ALLOWED_BLUEPRINTS = frozenset({"tickets.auth", "tickets_assets"})


def enforce_two_factor(user, tenant):
    """Return a redirect to enrolment when ``tenant`` requires two-factor login of ``user`` and it is off."""
    if not held_at_enrolment(user, tenant):
        return None
    if request.endpoint in ALLOWED_ENDPOINTS or request.blueprint in ALLOWED_BLUEPRINTS:
        return None
    # 303: a refused POST must not be repeated by the browser at the enrolment page.
    return redirect(url_for("tickets.profile.two_factor_enrol"), 303)
