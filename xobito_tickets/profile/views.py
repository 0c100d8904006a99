"""The person's own page: ``/{subdomain}/profile`` and its forms."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_babel import refresh

from ..auth import secretbox, twofactor, twofactor_service
from ..tenancy import current_tenant, get_current_user
from ..web.forms import ActionForm
from . import services
from .forms import PasswordChangeForm, ProfileForm, TwoFactorConfirmForm, TwoFactorDisableForm

bp = Blueprint("profile", __name__)


def _standalone():
    return current_app.config.get("TICKETS_AUTH", "standalone") == "standalone"


def _page(form=None, password_form=None, disable_form=None, status=200):
    user = get_current_user()
    if form is None:
        form = ProfileForm(
            formdata=None,
            name=user.name,
            language=user.language or "",
            timezone=user.timezone or "UTC",
            notifications=[k for k in services.NOTIFICATION_KINDS if not services.muted(user, k)],
        )
    standalone = _standalone()
    context = {
        "form": form,
        "password_form": (password_form or PasswordChangeForm(formdata=None)) if standalone else None,
        "disable_form": disable_form or TwoFactorDisableForm(formdata=None),
        "action_form": ActionForm(formdata=None),
        "recovery_left": twofactor_service.unused_recovery_codes(user) if user.has_two_factor else 0,
        "two_factor_required": twofactor_service.needs_enrolment_if_off(user, current_tenant),
        # Everyone with the API on may have tokens (a customer's see what the customer sees);
        # nobody held at two-factor enrolment gets this far.
        "tokens_allowed": current_app.config["TICKETS_API"] and user.active,
    }
    return render_template("xobito_tickets/profile/profile.html", **context), status


@bp.route("/profile", methods=["GET"])
def profile():
    """Show the person's profile."""
    return _page()


@bp.route("/profile", methods=["POST"])
def profile_update():
    """Save name, language, time zone and (staff) the emails wanted."""
    form = ProfileForm()
    if not form.validate():
        return _page(form=form, status=422)
    wanted = set(form.notifications.data or ())
    services.update_profile(
        get_current_user(),
        form.name.data,
        form.language.data,
        "" if form.timezone.data == "UTC" else form.timezone.data,
        [kind for kind in services.NOTIFICATION_KINDS if kind not in wanted],
    )
    refresh()  # the flash below is already in the newly chosen language
    flash(_("Your profile was saved."), "success")
    return redirect(url_for("tickets.profile.profile"), 303)


@bp.route("/profile/password", methods=["POST"])
def password_change():
    """Change the password; the current one is asked first."""
    if not _standalone():
        return redirect(url_for("tickets.profile.profile"), 303)
    form = PasswordChangeForm()
    if form.validate():
        if services.change_password(get_current_user(), form.current_password.data, form.new_password.data):
            flash(_("Your password was changed. Your other devices were logged out."), "success")
            return redirect(url_for("tickets.profile.profile"), 303)
        form.current_password.errors.append(_("This is not your current password."))
    return _page(password_form=form, status=422)


#: Session key of the secret being set up, until a code confirms it.
PENDING_SECRET = "tickets_totp_pending"


def _stored_pending_secret():
    """Return the secret of the set-up in progress, or None."""
    sealed = cookie_session.get(PENDING_SECRET)
    secret = secretbox.unseal(sealed) if isinstance(sealed, str) else None
    return secret if secret is not None and len(secret) == 32 else None


def _pending_secret():
    """Return the secret of the set-up in progress, made on the first visit and kept in the session.

    Sealed like the stored secrets: Flask's session is a cookie that is signed, not encrypted,
    and copies of it outlive the set-up.
    """
    secret = _stored_pending_secret()
    if secret is None:
        secret = twofactor.new_secret()
        cookie_session[PENDING_SECRET] = secretbox.seal(secret)
    return secret


def _secret_groups(secret):
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@bp.route("/profile/two-factor", methods=["GET", "POST"])
def two_factor_enrol():
    """Set up two-factor login: scan the QR code, confirm with a code, get the recovery codes."""
    user = get_current_user()
    if not _standalone() or user.has_two_factor:
        return redirect(url_for("tickets.profile.profile"), 303)
    secret = _pending_secret()
    form = TwoFactorConfirmForm()
    if form.validate_on_submit():
        codes = twofactor_service.confirm_enrolment(user, secret, form.code.data)
        if codes is not None:
            cookie_session.pop(PENDING_SECRET, None)
            response = render_template(
                "xobito_tickets/profile/recovery_codes.html",
                codes=codes,
                next_url=url_for("tickets.profile.profile"),
            )
            return response, 200, {"Cache-Control": "no-store"}
        form.code.errors.append(_("That code is not right. Check the time on your phone and try the newest code."))
    status = 422 if request.method == "POST" else 200
    page = render_template(
        "xobito_tickets/profile/two_factor_enrol.html",
        form=form,
        secret_groups=_secret_groups(secret),
        required=twofactor_service.needs_enrolment(user, current_tenant),
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.route("/profile/two-factor/qr.svg")
def two_factor_qr():
    """Serve the QR code of the pending secret as SVG, made here (the secret never leaves the app)."""
    user = get_current_user()
    secret = _stored_pending_secret()
    if not _standalone() or user.has_two_factor or secret is None:
        return "", 404
    uri = twofactor.provisioning_uri(secret, user.email, current_tenant.name)
    return twofactor.qr_svg(uri), 200, {"Content-Type": "image/svg+xml", "Cache-Control": "no-store"}


@bp.route("/profile/two-factor/recovery-codes", methods=["POST"])
def recovery_codes_new():
    """Replace the recovery codes and show the new ones once."""
    codes = twofactor_service.new_recovery_codes(get_current_user())
    if codes is None:
        return redirect(url_for("tickets.profile.profile"), 303)
    page = render_template(
        "xobito_tickets/profile/recovery_codes.html", codes=codes, next_url=url_for("tickets.profile.profile")
    )
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/profile/two-factor/off", methods=["POST"])
def two_factor_disable():
    """Switch two-factor login off (password asked; refused where the workspace requires it)."""
    user = get_current_user()
    form = TwoFactorDisableForm()
    if twofactor_service.needs_enrolment_if_off(user, current_tenant):
        flash(_("Your workspace requires two-factor login for staff, so it cannot be turned off."), "error")
        return redirect(url_for("tickets.profile.profile"), 303)
    if form.validate() and services.password_matches(user, form.current_password.data):
        twofactor_service.disable(user)
        flash(_("Two-factor login is off."), "success")
        return redirect(url_for("tickets.profile.profile"), 303)
    if not form.current_password.errors:
        form.current_password.errors.append(_("This is not your current password."))
    return _page(disable_form=form, status=422)
