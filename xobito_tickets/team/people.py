"""The team page (admins only): the tenant's people with role and state; invite, edit, (de)activate.

Admins never choose a password: a new person gets an invitation link by email (resend
and revoke it here), and a person who forgot theirs can be sent a link to choose a new one.
"""

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..db import session
from ..errors import ServiceError
from ..i18n.setup import lazy_gettext as _l
from ..models import Role, User
from ..tenancy.current import get_current_user
from ..tenancy.resolve import current_tenant
from ..tickets.access import get_tenant_row_or_404
from ..web.forms import ActionForm, parse_row_id, show_service_error
from ..web.staff import admin_only, bp
from . import invitations
from .forms import PersonCreateForm, PersonForm, TwoFactorPolicyForm
from .services import (
    create_user,
    deactivate_person,
    reactivate_person,
    set_two_factor_required,
    update_person,
)

#: The tabs of the team page: key -> (label, roles shown).
ROLE_TABS = {
    "team": (_l("Staff and admins"), (Role.STAFF.value, Role.ADMIN.value)),
    "customers": (_l("Customers"), (Role.CUSTOMER.value,)),
    "everyone": (_l("Everyone"), tuple(r.value for r in Role)),
}
PER_PAGE = 50


def get_person_or_404(user_id):
    """Load a person of the current tenant, or answer 404."""
    return get_tenant_row_or_404(User, user_id, current_tenant.id, selectinload(User.departments))


@bp.get("/team")
@admin_only
def team_list():
    """List the tenant's people (staff and admins first), searchable, 50 at a time by name."""
    tab = request.args.get("show", "team")
    if tab not in ROLE_TABS:
        tab = "team"
    q = " ".join(request.args.get("q", "").split())[:200]
    stmt = sa.select(User).where(User.tenant_id == current_tenant.id, User.role.in_(ROLE_TABS[tab][1]))
    if q:
        stmt = stmt.where(sa.or_(User.name.icontains(q, autoescape=True), User.email.icontains(q, autoescape=True)))
    after = parse_row_id(request.args.get("after", ""))
    if after is not None:
        mark = session.execute(
            sa.select(User.name, User.id).where(User.id == after, User.tenant_id == current_tenant.id)
        ).first()
        if mark is not None:
            stmt = stmt.where(sa.tuple_(User.name, User.id) > sa.tuple_(*mark))
    people = session.scalars(
        stmt.options(selectinload(User.departments)).order_by(User.name, User.id).limit(PER_PAGE + 1)
    ).all()
    more = len(people) > PER_PAGE
    people = people[:PER_PAGE]
    return render_template(
        "xobito_tickets/admin/team.html",
        people=people,
        next_after=people[-1].id if more else None,
        tab=tab,
        tabs=ROLE_TABS,
        q=q,
        paged=bool(after),
        action_form=ActionForm(formdata=None),
        me=get_current_user(),
        two_factor_form=TwoFactorPolicyForm(formdata=None, require_two_factor=current_tenant.require_two_factor)
        if _standalone()
        else None,
    )


@bp.post("/team/two-factor")
@admin_only
def team_two_factor():
    """Make two-factor login mandatory for staff and admins, or optional again (standalone login only)."""
    if not _standalone():
        abort(404)  # an embedding site's own login decides about second factors
    required = TwoFactorPolicyForm().require_two_factor.data  # the CSRF token was checked for every POST
    try:
        set_two_factor_required(get_current_user(), current_tenant, required)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        if required:
            flash(_("Two-factor login is now required: staff and admins without it are sent to set it up."), "success")
        else:
            flash(_("Two-factor login is now optional for staff and admins."), "success")
    return redirect(url_for("tickets.admin.team_list"), 303)


def _standalone():
    return current_app.config.get("TICKETS_AUTH", "standalone") == "standalone"


@bp.route("/team/create", methods=["GET", "POST"])
@admin_only
def team_create():
    """Add a person: staff, admin or customer; in a standalone workspace they get an invitation link."""
    posted = request.method == "POST"
    form = PersonCreateForm() if posted else PersonCreateForm(formdata=None)
    if form.validate_on_submit():
        try:
            person = create_user(current_tenant, form.email.data, form.name.data, Role(form.role.data), None)
        except ServiceError as exc:
            show_service_error(form, exc, "email")
        else:
            if _standalone():
                invitations.invite(person, current_tenant, get_current_user())
                flash(
                    _(
                        "%(name)s was invited: an email with a link to choose a password is on its way.",
                        name=person.name,
                    ),
                    "success",
                )
            else:
                # The host owns logins and passwords; the module only needs to know the person.
                flash(_("%(name)s was added.", name=person.name), "success")
            return redirect(url_for("tickets.admin.team_list", show=_tab_of(person)), 303)
    if posted:
        session.rollback()
    return render_template("xobito_tickets/admin/person_form.html", form=form, person=None), 422 if posted else 200


def _tab_of(person):
    return "team" if person.is_staff else "customers"


@bp.route("/team/<int:user_id>/edit", methods=["GET", "POST"])
@admin_only
def team_edit(user_id):
    """Change a person's name, email and role."""
    person = get_person_or_404(user_id)
    posted = request.method == "POST"
    form = PersonForm() if posted else PersonForm(formdata=None, obj=person)
    if form.validate_on_submit():
        try:
            update_person(get_current_user(), person, form.name.data, form.email.data, form.role.data)
        except ServiceError as exc:
            show_service_error(form, exc, "name")
        else:
            flash(_("%(name)s was saved.", name=form.name.data), "success")
            return redirect(url_for("tickets.admin.team_list", show=_tab_of(get_person_or_404(user_id))), 303)
    if posted:
        session.rollback()
        person = get_person_or_404(user_id)
    return render_template(
        "xobito_tickets/admin/person_form.html",
        form=form,
        person=person,
        me=get_current_user(),
        action_form=ActionForm(formdata=None),
    ), 422 if posted else 200


def _state_action(user_id, action, message):
    person = get_person_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(get_current_user(), person)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(message % {"name": person.name}, "success")
    return redirect(url_for("tickets.admin.team_list", show=_tab_of(person)), 303)


@bp.post("/team/<int:user_id>/deactivate")
@admin_only
def team_deactivate(user_id):
    """Deactivate a person: no login, no email; their history stays."""
    return _state_action(user_id, deactivate_person, _("%(name)s is deactivated and can no longer log in."))


@bp.post("/team/<int:user_id>/reactivate")
@admin_only
def team_reactivate(user_id):
    """Let a deactivated person log in again."""
    return _state_action(user_id, reactivate_person, _("%(name)s is active again."))


def _link_action(user_id, act):
    """Check the form and the standalone login, then run ``act(person)`` and go back to the person."""
    person = get_person_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not _standalone():
        abort(404)  # the host's login owns passwords and invitations
    if act is _send_invitation and not person.active and person.password_hash:
        flash(_("%(name)s is deactivated: reactivate them first.", name=person.name), "error")
    else:
        act(person)
    return redirect(url_for("tickets.admin.team_edit", user_id=person.id), 303)


def _send_invitation(person):
    kind = invitations.PASSWORD_LINK if person.password_hash else invitations.INVITATION
    invitations.invite(person, current_tenant, get_current_user(), kind=kind)
    if kind == invitations.PASSWORD_LINK:
        flash(_("A link to choose a new password was emailed to %(email)s.", email=person.email), "success")
    else:
        flash(
            _("A new invitation was emailed to %(email)s; earlier links no longer work.", email=person.email), "success"
        )


def _revoke(person):
    if invitations.revoke_invitation(person):
        flash(_("The link sent to %(email)s no longer works.", email=person.email), "success")


@bp.post("/team/<int:user_id>/invite")
@admin_only
def team_invite(user_id):
    """Email a (new) invitation link, or to a person with a password a link to choose a new one."""
    return _link_action(user_id, _send_invitation)


@bp.post("/team/<int:user_id>/invite/revoke")
@admin_only
def team_invite_revoke(user_id):
    """Void the pending link; a person who never set a password is deactivated."""
    return _link_action(user_id, _revoke)
