"""Sign-up, invitation links and the login's second step, added to the ``auth`` blueprint.

``tickets.auth.register``: sign up (the same answer for every address);
``tickets.auth.invitation_accept``: set the password with an invitation or sign-up link;
``tickets.auth.login_code``: the TOTP or recovery code after a correct password.
"""

import time

from flask import abort, current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from ..db import session as db_session
from ..models import User
from ..team import invitations
from ..team.services import normalize_email
from ..tenancy import current_tenant
from . import limits, signup, twofactor_service
from .account_forms import LoginCodeForm, SetPasswordForm, SignUpForm
from .views import PENDING, PENDING_MAX_AGE, ask_for_code, bp, home_for, start_session


def _no_store(response):
    # These pages' URLs carry a token: keep them out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Sign a customer up by email, if the workspace allows it; reveals nothing about existing accounts."""
    if not current_tenant.allow_signup:
        abort(404)
    form = SignUpForm()
    if form.validate_on_submit():
        language = str(get_locale()) if get_locale() is not None else None
        signup.sign_up(current_tenant, normalize_email(form.email.data), form.name.data, language=language)
        return render_template("xobito_tickets/auth/register_sent.html", email=normalize_email(form.email.data))
    status = 422 if request.method == "POST" else 200
    return render_template("xobito_tickets/auth/register.html", form=form), status


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def invitation_accept(token):
    """Let an invited or newly signed-up person choose their password, then log them in."""
    person = invitations.user_for_invitation_token(token, current_tenant)
    if person is None:
        return _no_store(make_response(render_template("xobito_tickets/auth/invitation_invalid.html"), 400))
    form = SetPasswordForm()
    if form.validate_on_submit():
        person = invitations.accept_invitation(token, current_tenant, form.password.data)
        if person is None:
            return _no_store(make_response(render_template("xobito_tickets/auth/invitation_invalid.html"), 400))
        return begin_login(person, None)
    status = 422 if request.method == "POST" else 200
    page = render_template("xobito_tickets/auth/invitation_accept.html", form=form, token=token, person=person)
    return _no_store(make_response(page, status))


def begin_login(user, next_path):
    """Log ``user`` in after a correct password, or ask for the second factor first."""
    if user.has_two_factor:
        return ask_for_code(user, next_path)
    start_session(user)
    return redirect(next_path or home_for(user), 303)


def _pending_user():
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("t") != current_tenant.id:
        return None, None
    if not isinstance(pending.get("at"), int) or time.time() - pending["at"] > PENDING_MAX_AGE:
        return None, None
    user = db_session.get(User, pending.get("u")) if isinstance(pending.get("u"), int) else None
    if user is None or user.tenant_id != current_tenant.id or not user.active or not user.has_two_factor:
        return None, None
    return user, pending.get("next")


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """Ask for the TOTP or a recovery code; the login's rate limits count wrong codes too."""
    user, next_path = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        return redirect(url_for("tickets.auth.login"), 303)
    form = LoginCodeForm()
    if form.validate_on_submit():
        attempt = limits.start_attempt(current_tenant, user.email)
        if attempt.wait:
            exc = TooManyRequests()
            exc.retry_after = attempt.wait
            raise exc
        used = twofactor_service.check_login_code(user, form.code.data)
        if used is not None:
            attempt.succeeded()
            session.pop(PENDING, None)
            start_session(user)
            if used == "recovery":
                current_app.logger.info("user %s logged in with a recovery code", user.id)
            return redirect(next_path or home_for(user), 303)
        attempt.failed()
        form.code.errors.append(_("Wrong code. Enter the current code from your app, or a recovery code."))
    status = 422 if request.method == "POST" else 200
    return render_template("xobito_tickets/auth/login_code.html", form=form), status
