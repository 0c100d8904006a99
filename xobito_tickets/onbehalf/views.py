"""The staff page that opens a ticket for a customer."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from ..db import session
from ..errors import ServiceError
from ..models import Priority
from ..tenancy.current import get_current_user
from ..tenancy.resolve import current_tenant
from ..tickets.access import active_departments, can_see_ticket
from ..web.ratelimit import limit_posting
from ..web.staff import bp
from .forms import OnBehalfForm
from .services import open_ticket_on_behalf


def _form(submitted=True):
    form = OnBehalfForm() if submitted else OnBehalfForm(formdata=None)
    departments = active_departments(current_tenant.id)
    form.department.choices = [SelectChoice(d.id, d.name) for d in departments]
    form.department_rows = {d.id: d for d in departments}
    return form


def _render(form, status=200):
    return render_template("xobito_tickets/onbehalf/create.html", form=form), status


@bp.get("/tickets/create")
def ticket_create_on_behalf():
    """Show the form that opens a ticket for a customer."""
    return _render(_form(submitted=False))


@bp.post("/tickets/create")
@limit_posting("ticket")
def ticket_store_on_behalf():
    """Open a ticket for the customer named by ``customer`` (an account is made if needed)."""
    user = get_current_user()
    form = _form()
    if form.validate_on_submit():
        try:
            ticket = open_ticket_on_behalf(
                current_tenant,
                user,
                form.customer.data,
                form.department_rows.get(form.department.data),
                form.subject.data,
                form.body.data,
                priority=Priority.from_key(form.priority.data),
                files=form.attachments.uploads,
                customer_name=form.customer_name.data,
            )
        except ServiceError as exc:
            session.rollback()
            getattr(form, exc.field or "customer").errors.append(exc.message)
        else:
            flash(
                _(
                    "%(number)s is open for %(name)s; they got the usual receipt.",
                    number=ticket.display_number,
                    name=ticket.requester.name,
                ),
                "success",
            )
            if not can_see_ticket(user, ticket):
                # Opened in a department the staff member is not in: its page would be a 404.
                return redirect(url_for("tickets.admin.ticket_queue"), 303)
            return redirect(url_for("tickets.admin.ticket_detail", ticket=ticket.display_number), 303)
    return _render(form, 422)
