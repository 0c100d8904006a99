"""The canned-reply pages of the staff side: list (with search), create, edit, delete."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from ..db import session
from ..errors import ServiceError
from ..tenancy.current import get_current_user
from ..tenancy.resolve import current_tenant
from ..tickets.access import department_choices
from ..web.forms import ActionForm
from ..web.staff import bp
from .forms import CannedReplyForm
from .services import (
    composer_text,
    create_canned_reply,
    delete_canned_reply,
    department_for,
    get_canned_reply_or_404,
    may_manage,
    ticket_page_tools,
    update_canned_reply,
    visible_canned_replies,
)
from .templating import VARIABLE_NAMES


def _form(canned=None, submitted=True):
    """Return the form; its department choices are this tenant's departments (inactive ones only if chosen)."""
    form = CannedReplyForm() if submitted else CannedReplyForm(formdata=None, obj=canned)
    chosen = canned.department_id if canned is not None else None
    form.department.choices = [SelectChoice("", _("Every department"))] + [
        SelectChoice(d.id, d.name if d.active else f"{d.name} {_('(inactive)')}")
        for d in department_choices(current_tenant.id)
        if d.active or d.id == chosen
    ]
    if not submitted:
        form.department.data = chosen if chosen is not None else ""
        if canned is None:
            form.personal.data = True
    return form


def _render_form(form, canned, status=200):
    return render_template(
        "xobito_tickets/canned/form.html", form=form, canned=canned, variables=VARIABLE_NAMES
    ), status


def _save(form, user, canned=None):
    """Validate and save; return a redirect, or None with the errors set on ``form``."""
    if not form.validate_on_submit():
        return None
    try:
        department = department_for(user, form.department.data or None)
        if canned is None:
            create_canned_reply(user, form.title.data, form.body.data, department, form.personal.data)
        else:
            update_canned_reply(user, canned, form.title.data, form.body.data, department, form.personal.data)
    except ServiceError as exc:
        session.rollback()
        getattr(form, exc.field or "title").errors.append(exc.message)
        return None
    flash(_("The canned reply is saved."), "success")
    return redirect(url_for("tickets.admin.canned_reply_list"), 303)


@bp.get("/canned-replies")
def canned_reply_list():
    """List the canned replies the person may see, filtered by ``q``."""
    user = get_current_user()
    q = " ".join(request.args.get("q", "").split())[:200]
    replies = visible_canned_replies(user, q=q or None)
    return render_template(
        "xobito_tickets/canned/list.html",
        replies=replies,
        q=q,
        manageable={c.id for c in replies if may_manage(user, c)},
        action_form=ActionForm(formdata=None),
        variables=VARIABLE_NAMES,
    )


@bp.route("/canned-replies/create", methods=["GET", "POST"])
def canned_reply_create():
    """Create a canned reply (staff: personal; admins: personal or shared).

    A POST with ``prefill=1`` (the composer's "Save as canned reply") only shows the
    form filled with the composer's text; nothing is saved until the form is sent.
    """
    user = get_current_user()
    if request.method == "POST" and request.form.get("prefill"):
        if not ActionForm().validate_on_submit():
            abort(400)
        form = _form(submitted=False)
        form.body.data = (request.form.get("body") or "").replace("\r\n", "\n").strip()[:2000]
        return _render_form(form, None)
    if request.method == "GET":
        return _render_form(_form(submitted=False), None)
    form = _form()
    done = _save(form, user)
    return done or _render_form(form, None, 422)


@bp.route("/canned-replies/<int:canned_id>/edit", methods=["GET", "POST"])
def canned_reply_edit(canned_id):
    """Change a canned reply the person may manage (others: 404)."""
    user = get_current_user()
    canned = get_canned_reply_or_404(user, canned_id, manage=True)
    if request.method == "GET":
        return _render_form(_form(canned, submitted=False), canned)
    form = _form(canned)
    done = _save(form, user, canned)
    return done or _render_form(form, canned, 422)


@bp.post("/canned-replies/<int:canned_id>/delete")
def canned_reply_delete(canned_id):
    """Delete a canned reply the person may manage (others: 404)."""
    user = get_current_user()
    canned = get_canned_reply_or_404(user, canned_id, manage=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    title = canned.title
    delete_canned_reply(user, canned)
    flash(_("“%(title)s” is deleted.", title=title), "success")
    return redirect(url_for("tickets.admin.canned_reply_list"), 303)


@bp.app_template_global("tickets_ticket_tools")
def tickets_ticket_tools(ticket, q=""):
    """Return the staff ticket page's canned-reply offers (``q`` filters them) and CC addresses, read once."""
    key = (ticket.id, q)
    cached = g.get("tickets_ticket_tools")
    if cached is None or cached[0] != key:
        q = " ".join((q or "").split()) or None
        cached = g.tickets_ticket_tools = (key, ticket_page_tools(ticket, get_current_user(), q=q))
    return cached[1]


@bp.app_template_global("tickets_canned_fill")
def tickets_canned_fill(ticket, body_field):
    """Fill the composer's empty ``body_field`` with the canned reply named by ``?canned=ID`` (if offered); return ''.

    The staff ticket page calls it before rendering the composer, so ``?canned=ID`` works without JavaScript.
    """
    canned_id = request.args.get("canned")
    if canned_id and not body_field.data:
        text = composer_text(ticket, get_current_user(), canned_id)
        if text is not None:
            body_field.data = text
    return ""
