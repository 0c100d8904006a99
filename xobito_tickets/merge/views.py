"""Merging on the staff side, and where a merged ticket's page leads."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..db import session
from ..errors import ServiceError
from ..models import Ticket
from ..tenancy.current import get_current_user
from ..tickets.access import get_ticket_or_404, visible_tickets_clause
from ..web.staff import bp
from .forms import MergeForm
from .services import merge_ticket


def _find_target(user, text):
    """Return the ticket numbered ``text`` (``TKT-000042`` or ``42``) that ``user`` may see, or None."""
    text = (text or "").strip().upper()
    digits = text[4:] if text.startswith("TKT-") else text
    if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
        return None
    number = int(digits)
    if not (0 < number <= 2**31 - 1):
        return None
    return session.scalar(sa.select(Ticket).where(Ticket.number == number, visible_tickets_clause(user)))


def _render(ticket, form, status):
    return render_template("xobito_tickets/merge/page.html", ticket=ticket, form=form), status


@bp.get("/tickets/<ticket>/merge")
def ticket_merge_form(ticket):
    """Show the merge form of a ticket."""
    ticket = get_ticket_or_404(ticket, get_current_user())
    return _render(ticket, MergeForm(formdata=None), 200)


@bp.post("/tickets/<ticket>/merge")
def ticket_merge(ticket):
    """Merge the ticket into the one numbered ``into``; a refusal shows the form again (422)."""
    user = get_current_user()
    source = get_ticket_or_404(ticket, user)
    form = MergeForm()
    if form.validate_on_submit():
        target = _find_target(user, form.into.data)
        try:
            target = merge_ticket(source, target, user)
        except ServiceError as exc:
            session.rollback()
            form.into.errors = [exc.message]
        else:
            flash(
                _("%(source)s is merged into %(target)s.", source=source.display_number, target=target.display_number),
                "success",
            )
            return redirect(url_for("tickets.admin.ticket_detail", ticket=target.display_number), 303)
    return _render(get_ticket_or_404(ticket, user), form, 422)


@bp.app_template_global("tickets_merge_form")
def tickets_merge_form():
    """Return an empty merge form for the staff ticket page."""
    return MergeForm(formdata=None)
