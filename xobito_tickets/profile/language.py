"""The footer's language switch: ``POST /{subdomain}/language``."""

from flask import Blueprint, redirect, request, url_for

from ..auth.views import safe_next
from ..i18n import LANGUAGE_COOKIE, is_language
from ..tenancy import get_current_user
from . import services

bp = Blueprint("language", __name__)

#: How long a visitor's choice is kept (a year).
COOKIE_MAX_AGE = 365 * 24 * 3600


@bp.route("/language", methods=["POST"])
def language_set():
    """Remember the chosen language (a cookie; for a logged-in person, their profile too) and go back."""
    language = request.form.get("language", "")
    target = safe_next(request.form.get("next")) or url_for("tickets.portal.ticket_list")
    response = redirect(target, 303)
    if not is_language(language):
        return response
    user = get_current_user()
    if user is not None:
        services.set_language(user, language)
    response.set_cookie(
        LANGUAGE_COOKIE, language, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax", secure=request.is_secure
    )
    return response
