"""Departments (admins only): list with open/answered counts, create, edit, (de)activate, delete."""

from functools import partial

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from ..db import session
from ..errors import ServiceError
from ..models import Department, Ticket, TicketStatus
from ..tenancy.current import get_current_user
from ..tenancy.resolve import current_tenant
from ..tickets.access import get_tenant_row_or_404, staff_members
from ..web.forms import ActionForm, form_again, show_service_error
from ..web.staff import admin_only, bp
from .forms import DepartmentForm
from .services import create_department, delete_department, set_department_active, update_department


def get_department_or_404(department_id):
    """Load a department of the current tenant, or answer 404."""
    return get_tenant_row_or_404(Department, department_id, current_tenant.id, selectinload(Department.members))


@bp.get("/departments")
@admin_only
def department_list():
    """List the tenant's departments with their members and open/answered counts."""
    has_tickets = (
        sa.exists().where(Ticket.tenant_id == Department.tenant_id, Ticket.department_id == Department.id).label("t")
    )
    rows = session.execute(
        sa.select(Department, has_tickets)
        .where(Department.tenant_id == current_tenant.id)
        .options(selectinload(Department.members))
        .order_by(Department.name)
    ).all()
    counts = {}
    open_states = (TicketStatus.OPEN.value, TicketStatus.ANSWERED.value)
    for department_id, status, count in session.execute(
        sa.select(Ticket.department_id, Ticket.status, sa.func.count())
        .where(Ticket.tenant_id == current_tenant.id, Ticket.status.in_(open_states))
        .group_by(Ticket.department_id, Ticket.status)
    ):
        counts[(department_id, status)] = count
    return render_template(
        "xobito_tickets/admin/departments.html",
        rows=rows,
        counts=counts,
        action_form=ActionForm(formdata=None),
    )


def _department_form(department=None, submitted=False):
    """Return the department form; members are chosen from the tenant's active staff and admins."""
    form = DepartmentForm() if submitted else DepartmentForm(formdata=None, obj=department)
    people = list(staff_members(current_tenant.id))
    if department is not None:
        # Keep deactivated members listed, so saving the form does not drop them unasked.
        people += [m for m in department.members if not m.active and m.is_staff]
    form.members.choices = [
        SelectChoice(p.id, p.name + ("" if p.active else " (deactivated)"), render_kw={"data-email": p.email})
        for p in people
    ]
    form.people = {p.id: p for p in people}
    if not submitted:
        form.members.data = [m.id for m in department.members] if department is not None else []
    return form


def _members_of(form):
    return [form.people[member_id] for member_id in form.members.data or []]


@bp.route("/departments/create", methods=["GET", "POST"])
@admin_only
def department_create():
    """Create a department."""
    form = _department_form(submitted=_is_post())
    if form.validate_on_submit():
        try:
            department = create_department(
                current_tenant,
                form.name.data,
                form.description.data or "",
                active=form.active.data,
                members=_members_of(form),
            )
        except ServiceError as exc:
            show_service_error(form, exc, "name")
        else:
            flash(_("Department %(name)s was created.", name=department.name), "success")
            return redirect(url_for("tickets.admin.department_list"), 303)
    render = partial(render_template, "xobito_tickets/admin/department_form.html", form=form, department=None)
    return form_again(render) if _is_post() else render()


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@admin_only
def department_edit(department_id):
    """Change a department's name, description, state and members."""
    department = get_department_or_404(department_id)
    form = _department_form(department, submitted=_is_post())
    if form.validate_on_submit():
        try:
            update_department(
                get_current_user(),
                department,
                form.name.data,
                form.description.data or "",
                form.active.data,
                _members_of(form),
            )
        except ServiceError as exc:
            show_service_error(form, exc, "name")
        else:
            flash(_("Department %(name)s was saved.", name=form.name.data), "success")
            return redirect(url_for("tickets.admin.department_list"), 303)
    if _is_post():
        return form_again(
            lambda: render_template(
                "xobito_tickets/admin/department_form.html", form=form, department=get_department_or_404(department_id)
            )
        )
    return render_template("xobito_tickets/admin/department_form.html", form=form, department=department)


def _is_post():
    return request.method == "POST"


def _state_action(department_id, active):
    department = get_department_or_404(department_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    set_department_active(get_current_user(), department, active)
    if active:
        flash(_("%(name)s is active: customers can choose it again.", name=department.name), "success")
    else:
        flash(
            _("%(name)s is deactivated: customers no longer see it; its tickets stay.", name=department.name), "success"
        )
    return redirect(url_for("tickets.admin.department_list"), 303)


@bp.post("/departments/<int:department_id>/activate")
@admin_only
def department_activate(department_id):
    """Make a department available to customers again."""
    return _state_action(department_id, True)


@bp.post("/departments/<int:department_id>/deactivate")
@admin_only
def department_deactivate(department_id):
    """Hide a department from customers; its tickets keep it."""
    return _state_action(department_id, False)


@bp.post("/departments/<int:department_id>/delete")
@admin_only
def department_delete(department_id):
    """Delete a department that has no tickets."""
    department = get_department_or_404(department_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = department.name
    try:
        delete_department(get_current_user(), department)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("tickets.admin.department_edit", department_id=department_id), 303)
    flash(_("Department %(name)s was deleted.", name=name), "success")
    return redirect(url_for("tickets.admin.department_list"), 303)
