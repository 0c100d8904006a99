"""The staff side's one-button ticket actions: close, reopen, and attachment downloads.

The queue and the ticket view (composer, properties panel, bulk actions) are the staff
workspace's pages: :mod:`xobito_tickets.workspace.views`.
"""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..errors import ServiceError
from ..models import Ticket
from ..tenancy.current import get_current_user
from ..web.forms import ActionForm
from ..web.staff import bp
from .access import get_attachment_or_404, get_ticket_or_404
from .downloads import send_attachment
from .services import close_ticket, reopen_ticket

#: One ticket by number with its people (the notifications name them). A module-level
#: tuple, so access.get_ticket_or_404 reuses its built statement.
DETAIL_OPTIONS = (joinedload(Ticket.department), joinedload(Ticket.requester), joinedload(Ticket.assignee))


def load_ticket(number_text):
    """Load the ticket ``number_text`` that the current person may see, with its people, or answer 404."""
    return get_ticket_or_404(number_text, get_current_user(), *DETAIL_OPTIONS)


def _back_to(ticket):
    return redirect(url_for("tickets.admin.ticket_detail", ticket=ticket.display_number), 303)


def _run_action(ticket, action, success):
    """Run a button action (close, reopen): flash its outcome and go back to the ticket."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(ticket, get_current_user())
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(success, "success")
    return _back_to(ticket)


@bp.post("/tickets/<ticket>/close")
def ticket_close(ticket):
    """Close the ticket."""
    ticket = load_ticket(ticket)
    return _run_action(ticket, close_ticket, _("%(number)s is closed.", number=ticket.display_number))


@bp.post("/tickets/<ticket>/reopen")
def ticket_reopen(ticket):
    """Reopen a closed ticket (back to Open)."""
    ticket = load_ticket(ticket)
    return _run_action(ticket, reopen_ticket, _("%(number)s is open again.", number=ticket.display_number))


@bp.get("/tickets/<ticket>/download")
def ticket_download(ticket):
    """Send an attachment of a ticket the user may see, internal notes' files included."""
    ticket = get_ticket_or_404(ticket, get_current_user())
    attachment = get_attachment_or_404(ticket, request.args.get("attachment"), include_notes=True)
    return send_attachment(attachment)
