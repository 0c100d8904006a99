"""Standalone login, logout and customer sign-up, one tenant at a time."""

import secrets
import time
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.exceptions import HTTPException, TooManyRequests
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import begin_write
from ..db import session as db_session
from ..models import LoginSession, User, utcnow
from ..team.services import normalize_email
from ..tenancy.current import get_current_user
from ..tenancy.resolve import current_tenant
from . import limits as loginlimit
from .forms import LoginForm

bp = Blueprint("auth", __name__)

#: Session key of a login waiting for its second factor: who, which tenant, since when, where to.
PENDING = "tickets_2fa_pending"
#: Seconds between a correct password and the code before the login starts again.
PENDING_MAX_AGE = 300


@lru_cache(maxsize=4)
def _dummy_hash(method):
    """The hash an unknown email is checked against, so both failures take the same time."""
    return generate_password_hash("xobito-tickets-timing-equaliser", method=method)


@bp.before_request
def _standalone_only():
    if current_app.config.get("TICKETS_AUTH", "standalone") != "standalone":
        abort(404)


def safe_next(target):
    """Return ``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not isinstance(target, str):
        return None
    if not target.startswith("/") or target.startswith("//") or target.startswith("/\\"):
        return None
    if any(c in target for c in "\\\r\n\t\x00") or any(ord(c) < 32 for c in target):
        return None
    return target


def _page_for(target):
    """Return ``target``, or the page its form is on if it is a form's action, or None.

    An anonymous POST (a reply form left open past a logout) is sent to the login page
    with the form's action as ``next``; after login the browser would GET it (a 405,
    or for ``/tickets/store`` a ticket that does not exist). The page above the
    action (the ticket for ``/reply``, the list for ``/store``) is where they were.
    """
    if target is None:
        return None
    adapter = current_app.create_url_adapter(request)

    def endpoint(path, method):
        try:
            return adapter.match(path, method=method)[0]
        except HTTPException:  # not found, wrong method, or a slash redirect
            return None

    path = target.split("?", 1)[0]
    post_endpoint = endpoint(path, "POST")
    if post_endpoint is None or endpoint(path, "GET") == post_endpoint:
        return target
    parent = path.rsplit("/", 1)[0]
    return parent if endpoint(parent, "GET") is not None else None


def home_for(user):
    """Return where ``user`` lands after login: the staff queue, or the customer's ticket list."""
    if user.is_staff and "tickets.admin.ticket_queue" in current_app.view_functions:
        return url_for("tickets.admin.ticket_queue")
    return url_for("tickets.portal.ticket_list")


def start_session(user):
    """Log ``user`` in with a fresh session and a server-side session record."""
    old_sid = session.get("tickets_sid")
    session.clear()
    sid = secrets.token_urlsafe(32)
    begin_write()  # on SQLite, take the write lock before writing (see db.begin_write)
    if old_sid:
        # A copy of this browser's cookie from before must not stay logged in.
        db_session.execute(sa.delete(LoginSession).where(LoginSession.id == str(old_sid)))
    db_session.add(LoginSession(id=sid, user_id=user.id))
    db_session.commit()
    session["tickets_sid"] = sid
    login_user(user)


def ask_for_code(user, next_path):
    """Remember that ``user`` gave the right password and send them to the code step.

    Nothing of a login exists yet: no session record, no Flask-Login user; only a note
    in the cookie, valid for PENDING_MAX_AGE seconds, of who it was and where they go.
    """
    session.pop("tickets_sid", None)
    session[PENDING] = {"u": user.id, "t": user.tenant_id, "at": int(time.time()), "next": next_path}
    return redirect(url_for("tickets.auth.login_code"), 303)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log the user in."""
    form = LoginForm()
    next_path = _page_for(safe_next(request.values.get("next")))
    if get_current_user() is not None and request.method == "GET":
        return redirect(next_path or home_for(get_current_user()))
    if form.validate_on_submit():
        email = normalize_email(form.email.data)
        attempt = loginlimit.start_attempt(current_tenant, email)
        if attempt.wait:
            exc = TooManyRequests()
            exc.retry_after = attempt.wait
            raise exc
        user = db_session.scalar(sa.select(User).where(User.tenant_id == current_tenant.id, User.email == email))
        password_ok = check_password_hash(
            user.password_hash
            if user is not None and user.password_hash
            else _dummy_hash(current_app.config["TICKETS_PASSWORD_HASH_METHOD"]),
            form.password.data,
        )
        if user is not None and user.password_hash and password_ok and user.active:
            if user.has_two_factor:
                attempt.passed_first_step()
                return ask_for_code(user, next_path)
            attempt.succeeded()
            start_session(user)
            return redirect(next_path or home_for(user))
        attempt.failed()
        # One message for the whole form (it is about the pair, not one field), said once.
        form.form_errors.append(_("Wrong email or password."))
        return render_template("xobito_tickets/auth/login.html", form=form, next=next_path), 422
    status = 422 if request.method == "POST" else 200
    return render_template("xobito_tickets/auth/login.html", form=form, next=next_path), status


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session, on the server too."""
    sid = session.get("tickets_sid")
    if sid:
        begin_write()
        db_session.execute(sa.delete(LoginSession).where(LoginSession.id == sid))
        db_session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("tickets.auth.login"))


#: Runs on every request of a logged-in user; built once, the statement keeps its SQL
#: cache key (building it per request cost as much as running it).
_LIVE_SESSION = sa.select(LoginSession).where(
    LoginSession.id == sa.bindparam("sid"), LoginSession.user_id == sa.bindparam("user_id")
)


def load_standalone_user(user_id):
    """Flask-Login user loader: the user of a live server-side session, or None."""
    sid = session.get("tickets_sid")
    if not sid or not str(user_id).isdigit():
        return None
    # Usually read already, with the tenant (tenancy.load_active_tenant).
    prefetched = g.pop("tickets_login_record", None)
    if prefetched is not None and prefetched[0] == (str(sid), int(user_id)):
        record = prefetched[1]
    else:
        record = db_session.scalar(_LIVE_SESSION, {"sid": sid, "user_id": int(user_id)})
    if record is None or not record.user.active:
        return None
    lifetime = current_app.config.get("TICKETS_LOGIN_SESSION_LIFETIME")
    if lifetime and record.created_at < utcnow() - timedelta(seconds=lifetime):
        begin_write()
        db_session.execute(sa.delete(LoginSession).where(LoginSession.id == sid))
        db_session.commit()
        return None
    return record.user
