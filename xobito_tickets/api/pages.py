"""The person's API tokens page, ``/{subdomain}/profile/tokens``: list, make (shown once), revoke."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..models import MAX_ROW_ID
from ..tenancy.current import get_current_user
from ..web.forms import ActionForm
from .forms import TokenCreateForm
from .tokens import TokenError, create_token, revoke_token, tokens_of

bp = Blueprint("api_tokens", __name__)


def _render(form, status=200, token=None, created=None):
    user = get_current_user()
    return render_template(
        "xobito_tickets/api/tokens.html",
        tokens=tokens_of(user),
        form=form,
        token=token,
        created=created,
        api_on=current_app.config["TICKETS_API"],
        action_form=ActionForm(formdata=None),
    ), status


@bp.get("/profile/tokens")
def token_list():
    """List the person's tokens with a form to make one."""
    return _render(TokenCreateForm(formdata=None))


@bp.post("/profile/tokens")
def token_create():
    """Make a token and show it, once."""
    form = TokenCreateForm()
    if form.validate_on_submit():
        try:
            row, token = create_token(get_current_user(), form.name.data, read_only=form.read_only.data)
        except TokenError as exc:
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            # Shown in this answer only (never in a URL, a flash cookie or a later page).
            return _render(TokenCreateForm(formdata=None), 201, token=token, created=row)
    return _render(form, 422)


@bp.post("/profile/tokens/<int:token_id>/revoke")
def token_revoke(token_id):
    """Revoke one of the person's tokens (another person's token is 404)."""
    if not 0 < token_id <= MAX_ROW_ID:
        abort(404)
    row = revoke_token(get_current_user(), token_id)
    if row is None:
        abort(404)
    flash(_("The token “%(name)s” was revoked: it no longer works.", name=row.name), "success")
    return redirect(url_for("tickets.api_tokens.token_list"), 303)
