"""Password reset pages of the standalone login, added to the ``auth`` blueprint.

``tickets.auth.password_forgot``: ask for a link (the same answer for every address);
``tickets.auth.password_reset``: choose a new password with the link's token.
"""

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Regexp

from ..i18n.setup import lazy_gettext as _l
from ..tenancy.resolve import current_tenant
from ..web.forms import single_line
from . import reset as passwords
from .views import bp

SENT_MESSAGE = _l(
    "If an account with that address exists, we have sent it a link to choose a new password. "
    "Check your inbox (and the spam folder)."
)


class PasswordForgotForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[single_line],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254),
            # Not WTForms' Email(): it refuses special-use domains (.test, .local) that
            # real intranet accounts have, and only the lookup decides anything here.
            Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter a valid email address.")),
        ],
    )


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            InputRequired(_l("Choose a password.")),
            Length(min=8, max=200, message=_l("Use 8 to 200 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(_l("Repeat the password.")), EqualTo("password", _l("The two passwords differ."))],
    )


def _no_store(response):
    # The reset page's URL holds the token: keep it out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/password/forgot", methods=["GET", "POST"])
def password_forgot():
    """Ask for a reset link; answer the same whether the address has an account or not."""
    form = PasswordForgotForm()
    if form.validate_on_submit():
        passwords.request_password_reset(current_tenant, form.email.data)
        flash(str(SENT_MESSAGE), "success")
        return redirect(url_for("tickets.auth.password_forgot"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("xobito_tickets/auth/password_forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def password_reset(token):
    """Choose a new password with a reset link; ends every login session of the account."""
    if passwords.user_for_reset_token(token, current_tenant) is None:
        return _no_store(make_response(render_template("xobito_tickets/auth/password_invalid.html"), 400))
    form = PasswordResetForm()
    if form.validate_on_submit():
        if passwords.reset_password(token, current_tenant, form.password.data) is None:
            return _no_store(make_response(render_template("xobito_tickets/auth/password_invalid.html"), 400))
        flash(_("Your password was changed. Log in with the new password."), "success")
        return redirect(url_for("tickets.auth.login"), 303)
    status = 422 if request.method == "POST" else 200
    return _no_store(
        make_response(render_template("xobito_tickets/auth/password_reset.html", form=form, token=token), status)
    )
