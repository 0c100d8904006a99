"""The preview routes: a stored image shown inline, to whoever may see its ticket (portal: public messages only)."""

import sqlalchemy as sa
from flask import abort, request

from ..db import session
from ..models import MAX_ROW_ID, Attachment, Reply
from ..tenancy.current import get_current_user
from ..tickets.access import get_attachment_or_404, get_ticket_or_404
from ..tickets.portal import bp as portal_bp
from ..web.staff import bp as staff_bp
from .images import is_previewable, send_image_inline


def _public_attachment_or_404(ticket, attachment_id):
    """Load an attachment of ``ticket``'s body or of a customer-facing reply (never a note's), or answer 404."""
    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        abort(404)
    if not (0 < attachment_id <= MAX_ROW_ID):
        abort(404)
    public_reply = sa.select(Reply.id).where(Reply.ticket_id == ticket.id, Reply.kind == "reply")
    attachment = session.scalar(
        sa.select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.ticket_id == ticket.id,
            Attachment.tenant_id == ticket.tenant_id,
            sa.or_(Attachment.reply_id.is_(None), Attachment.reply_id.in_(public_reply)),
        )
    )
    if attachment is None:
        abort(404)
    return attachment


@staff_bp.get("/tickets/<ticket>/preview")
def ticket_preview(ticket):
    """Show an image attachment of a ticket the person may see, inline."""
    ticket = get_ticket_or_404(ticket, get_current_user())
    return send_image_inline(get_attachment_or_404(ticket, request.args.get("attachment")))


@portal_bp.get("/tickets/<ticket>/preview", endpoint="ticket_preview")
def ticket_preview_portal(ticket):
    """Show an image attached to the customer's ticket or to a reply they can see, inline."""
    ticket = get_ticket_or_404(ticket, get_current_user())
    return send_image_inline(_public_attachment_or_404(ticket, request.args.get("attachment")))


@staff_bp.app_template_test("tickets_previewable")
def tickets_previewable(attachment):
    """Jinja test: ``a is tickets_previewable`` when the thread may show a thumbnail of ``a``."""
    return is_previewable(attachment)
