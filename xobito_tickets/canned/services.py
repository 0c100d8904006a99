"""Who may see and manage which canned reply; saving them (checked templates only); filling them for a ticket.

Visibility: a personal reply is its owner's alone; a shared one is seen by admins, and
by staff when it is for every department or for one of theirs. Managing: anyone
manages their own personal replies; only admins create, change or delete shared ones.
On a ticket, the picker offers what the person may see that fits the ticket's
department (the shared ones of that department too: whoever sees the ticket may answer it).
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _

from ..cc.models import TicketCC
from ..db import session
from ..errors import ServiceError
from ..models import MAX_ROW_ID, Department, department_members, utcnow
from .models import CannedReply
from .templating import TemplateRefused, check_template, render_template_text, template_context

TITLE_MAX = 200
BODY_MAX = 2000


def _mine_or_shared(user):
    """The condition for the canned replies ``user`` may see (see the module's rule)."""
    mine = sa.and_(CannedReply.personal.is_(True), CannedReply.owner_id == user.id)
    if user.is_admin:
        shared = CannedReply.personal.is_(False)
    else:
        member_of = sa.select(department_members.c.department_id).where(department_members.c.user_id == user.id)
        shared = sa.and_(
            CannedReply.personal.is_(False),
            sa.or_(CannedReply.department_id.is_(None), CannedReply.department_id.in_(member_of)),
        )
    return sa.and_(CannedReply.tenant_id == user.tenant_id, sa.or_(mine, shared))


def visible_canned_replies(user, q=None):
    """Return the canned replies ``user`` may see, by title (``q`` filters by title or text)."""
    stmt = sa.select(CannedReply).where(_mine_or_shared(user))
    if q:
        stmt = stmt.where(_matching(q))
    return session.scalars(stmt.order_by(CannedReply.title, CannedReply.id)).all()


def _offered_on(ticket, user):
    mine = sa.and_(CannedReply.personal.is_(True), CannedReply.owner_id == user.id)
    return sa.and_(
        CannedReply.tenant_id == ticket.tenant_id,
        sa.or_(mine, CannedReply.personal.is_(False)),
        sa.or_(CannedReply.department_id.is_(None), CannedReply.department_id == ticket.department_id),
    )


def _matching(q):
    """The condition "title or text contains ``q``" (case-insensitive, ``%`` and ``_`` taken literally)."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(CannedReply.title.ilike(pattern, escape="\\"), CannedReply.body.ilike(pattern, escape="\\"))


@dataclass(frozen=True)
class CannedOffer:
    """One line of the composer's picker."""

    id: int
    title: str
    personal: bool


def ticket_page_tools(ticket, user, q=None):
    """Return (canned-reply rows offered on ``ticket``, its CC addresses) for the staff ticket page, in one query.

    The page's query budget has room for one statement: the picker and the CC panel share it.
    """
    offers = sa.select(
        sa.literal("canned").label("kind"),
        CannedReply.id,
        CannedReply.title.label("label"),
        CannedReply.personal,
    ).where(_offered_on(ticket, user))
    if q:
        offers = offers.where(_matching(q))
    copied = sa.select(
        sa.literal("cc").label("kind"), TicketCC.id, TicketCC.email.label("label"), sa.literal(False).label("personal")
    ).where(TicketCC.ticket_id == ticket.id, TicketCC.tenant_id == ticket.tenant_id)
    rows = session.execute(sa.union_all(offers, copied)).all()
    canned = sorted(
        (CannedOffer(row.id, row.label, bool(row.personal)) for row in rows if row.kind == "canned"),
        key=lambda offer: (offer.title, offer.id),
    )
    ccs = [row.label for row in sorted((row for row in rows if row.kind == "cc"), key=lambda row: row.id)]
    return canned, ccs


def canned_reply_for_ticket(ticket, user, canned_id):
    """Return the canned reply ``canned_id`` if it is offered to ``user`` on ``ticket``, else None."""
    try:
        canned_id = int(canned_id)
    except (TypeError, ValueError):
        return None
    if not (0 < canned_id <= MAX_ROW_ID):
        return None
    return session.scalar(sa.select(CannedReply).where(CannedReply.id == canned_id, _offered_on(ticket, user)))


def fill_canned_reply(canned, ticket, agent):
    """Return ``canned`` filled for ``ticket`` answered by ``agent`` (None if it no longer passes the check)."""
    context = template_context(
        customer_name=ticket.requester.name,
        ticket_number=ticket.display_number,
        ticket_subject=ticket.subject,
        agent_name=agent.name,
        department_name=ticket.department.name,
    )
    try:
        return render_template_text(canned.body, context)
    except TemplateRefused:
        return None


def get_canned_reply_or_404(user, canned_id, manage=False):
    """Load a canned reply ``user`` may see (``manage``: may change), or answer 404."""
    if not (0 < canned_id <= MAX_ROW_ID):
        abort(404)
    canned = session.scalar(sa.select(CannedReply).where(CannedReply.id == canned_id, _mine_or_shared(user)))
    if canned is None or (manage and not may_manage(user, canned)):
        abort(404)
    return canned


def may_manage(user, canned):
    """Return True if ``user`` may change or delete ``canned``."""
    if canned.tenant_id != user.tenant_id:
        return False
    if canned.personal:
        return canned.owner_id == user.id
    return user.is_admin


def _check(user, title, body, department, personal):
    if department is not None and department.tenant_id != user.tenant_id:
        raise ServiceError(_("Choose one of the listed departments."), field="department")
    if not personal and not user.is_admin:
        raise ServiceError(_("Only admins can share canned replies. Keep this one personal."), field="personal")
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("Give the canned reply a title."), field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(_("At most %(most)s characters.", most=TITLE_MAX), field="title")
    if not (body or "").strip():
        raise ServiceError(_("Write the text of the reply."), field="body")
    if len(body) > BODY_MAX:
        raise ServiceError(_("At most %(most)s characters.", most=BODY_MAX), field="body")
    try:
        check_template(body)
    except TemplateRefused as refused:
        raise ServiceError(refused.message, field="body") from None
    return title


def create_canned_reply(user, title, body, department=None, personal=True):
    """Save a new canned reply owned by ``user``; its text must pass :func:`check_template`."""
    title = _check(user, title, body, department, personal)
    canned = CannedReply(
        tenant_id=user.tenant_id,
        owner_id=user.id,
        department_id=department.id if department is not None else None,
        personal=bool(personal),
        title=title,
        body=body,
    )
    session.add(canned)
    session.commit()
    return canned


def update_canned_reply(user, canned, title, body, department=None, personal=True):
    """Change a canned reply ``user`` may manage."""
    if not may_manage(user, canned):
        raise ServiceError(_("You cannot change this canned reply."))
    title = _check(user, title, body, department, personal)
    if canned.personal and not personal and canned.owner_id != user.id:
        raise ServiceError(_("You cannot share someone else's canned reply."), field="personal")
    canned.title, canned.body, canned.personal = title, body, bool(personal)
    canned.department_id = department.id if department is not None else None
    canned.updated_at = utcnow()
    session.commit()
    return canned


def delete_canned_reply(user, canned):
    """Delete a canned reply ``user`` may manage."""
    if not may_manage(user, canned):
        raise ServiceError(_("You cannot delete this canned reply."))
    session.delete(canned)
    session.commit()


def department_for(user, department_id):
    """Return the department ``department_id`` of ``user``'s tenant (None for "all"), or raise on ``department``."""
    if department_id in (None, ""):
        return None
    department = session.scalar(
        sa.select(Department).where(Department.id == department_id, Department.tenant_id == user.tenant_id)
    )
    if department is None:
        raise ServiceError(_("Choose one of the listed departments."), field="department")
    return department


def composer_text(ticket, user, canned_id):
    """Return the text of canned reply ``canned_id`` filled for ``ticket``, or None if it is not offered to ``user``."""
    if not canned_id:
        return None
    canned = canned_reply_for_ticket(ticket, user, canned_id)
    return fill_canned_reply(canned, ticket, user) if canned is not None else None
