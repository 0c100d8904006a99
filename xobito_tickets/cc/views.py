"""CC on the staff side and in the portal: add or remove an address; a refused one shows the CC page (422)."""

from flask import flash, redirect, render_template, url_for

from ..db import session
from ..errors import ServiceError
from ..i18n.setup import lazy_gettext as _l
from ..tenancy.current import get_current_user
from ..tickets.access import get_ticket_or_404
from ..tickets.portal import bp as portal_bp
from ..web.forms import ActionForm
from ..web.staff import bp as staff_bp
from .forms import CCForm
from .services import MAX_CCS, add_cc, cc_emails, remove_cc

_SIDES = {
    "staff": ("tickets.admin.ticket_detail", "tickets.admin.ticket_cc_add", "tickets.admin.ticket_cc_remove"),
    "portal": ("tickets.portal.ticket_detail", "tickets.portal.ticket_cc_add", "tickets.portal.ticket_cc_remove"),
}


def _render_cc_page(ticket, side, form, status):
    detail, add, remove = _SIDES[side]
    return render_template(
        "xobito_tickets/cc/page.html",
        ticket=ticket,
        form=form,
        ccs=cc_emails(ticket),
        max_ccs=MAX_CCS,
        detail_endpoint=detail,
        add_endpoint=add,
        remove_endpoint=remove,
        action_form=ActionForm(formdata=None),
    ), status


def _change(side, number, action, success):
    user = get_current_user()
    ticket = get_ticket_or_404(number, user)
    form = CCForm()
    if form.validate_on_submit():
        try:
            address = action(ticket, user, form.email.data)
        except ServiceError as exc:
            session.rollback()
            form.email.errors = [exc.message]
        else:
            flash(success % {"address": address or form.email.data.strip().lower()}, "success")
            return redirect(url_for(_SIDES[side][0], ticket=ticket.display_number) + "#xt-cc", 303)
    ticket = get_ticket_or_404(number, user)
    return _render_cc_page(ticket, side, form, 422)


@staff_bp.get("/tickets/<ticket>/cc")
def ticket_cc(ticket):
    """Show the CC addresses of a ticket with the form to add one."""
    return _render_cc_page(get_ticket_or_404(ticket, get_current_user()), "staff", CCForm(formdata=None), 200)


@staff_bp.post("/tickets/<ticket>/cc")
def ticket_cc_add(ticket):
    """Copy an address on the ticket's customer-facing emails."""
    return _change("staff", ticket, add_cc, _l("%(address)s will get copies of the customer's emails."))


@staff_bp.post("/tickets/<ticket>/cc/remove")
def ticket_cc_remove(ticket):
    """Stop copying an address."""
    return _change("staff", ticket, remove_cc, _l("%(address)s is no longer copied."))


@portal_bp.get("/tickets/<ticket>/cc", endpoint="ticket_cc")
def ticket_cc_portal(ticket):
    """Show the customer the addresses copied on their ticket (staff: the staff side's page)."""
    user = get_current_user()
    if user is not None and user.is_staff:
        return redirect(url_for("tickets.admin.ticket_cc", ticket=ticket))
    return _render_cc_page(get_ticket_or_404(ticket, get_current_user()), "portal", CCForm(formdata=None), 200)


@portal_bp.post("/tickets/<ticket>/cc", endpoint="ticket_cc_add")
def ticket_cc_add_portal(ticket):
    """Copy an address on the emails of the customer's ticket."""
    return _change("portal", ticket, add_cc, _l("%(address)s will get copies of the emails about this ticket."))


@portal_bp.post("/tickets/<ticket>/cc/remove", endpoint="ticket_cc_remove")
def ticket_cc_remove_portal(ticket):
    """Stop copying an address on the customer's ticket."""
    return _change("portal", ticket, remove_cc, _l("%(address)s is no longer copied."))


@staff_bp.app_template_global("tickets_cc_emails")
def tickets_cc_emails(ticket):
    """Return the CC addresses of ``ticket`` for its page's CC panel."""
    return cc_emails(ticket)


@staff_bp.app_template_global("tickets_cc_form")
def tickets_cc_form():
    """Return an empty CC form for a ticket page."""
    return CCForm(formdata=None)
