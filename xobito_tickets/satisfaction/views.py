"""The rating page a customer reaches from the closed email: no login, the signed token is the authority.

A GET shows the form with the choice of the link pre-selected and changes nothing; the
POST (with its CSRF token) saves the rating. A token of another tenant or ticket, or
one tampered with, is 404 like anything else one may not see; an expired one says so.
"""

from flask import Blueprint, abort, redirect, render_template, request, url_for

from ..db import session
from ..errors import ServiceError
from ..models import Ticket, parse_ticket_number
from ..tenancy import current_tenant
from .forms import RatingForm
from .models import RatingChoice
from .services import rate_ticket, rating_of
from .tokens import RatingLinkExpired, RatingLinkInvalid, read_rating_token

bp = Blueprint("satisfaction", __name__)


def _ticket_of_link(number_text, token):
    """Return the ticket the link names, or answer 404 (410 for an expired link)."""
    number = parse_ticket_number(number_text)
    try:
        tenant_id, ticket_id = read_rating_token(token)
    except RatingLinkExpired:
        abort(410)
    except RatingLinkInvalid:
        abort(404)
    if number is None or tenant_id != current_tenant.id:
        abort(404)
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.tenant_id != current_tenant.id or ticket.number != number:
        abort(404)
    return ticket


@bp.route("/rate/<ticket>/<token>", methods=["GET", "POST"])
def rate(ticket, token):
    """Show the rating form of a ticket (GET) or save the rating (POST)."""
    ticket_row = _ticket_of_link(ticket, token)
    existing = rating_of(ticket_row)
    status = 200
    if request.method == "POST":
        form = RatingForm()
        if form.validate():
            try:
                rate_ticket(ticket_row, form.rating.data, form.comment.data)
            except ServiceError as error:
                form[error.field or "rating"].errors.append(error.message)
            else:
                return redirect(url_for(".rate", ticket=ticket, token=token, saved=1), code=303)
        status = 422
    else:
        form = RatingForm(formdata=None)
        choice = request.args.get("rating")
        if choice in RatingChoice._value2member_map_:
            form.rating.data = choice
        elif existing is not None:
            form.rating.data = existing.rating
        if existing is not None:
            form.comment.data = existing.comment
    return (
        render_template(
            "xobito_tickets/satisfaction/rate.html",
            form=form,
            ticket=ticket_row,
            existing=existing,
            saved=request.method == "GET" and request.args.get("saved") == "1" and existing is not None,
        ),
        status,
    )
