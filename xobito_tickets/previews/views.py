"""The preview routes: a stored image shown inline, to whoever may see its ticket (portal: public messages only)."""

from flask import request

from ..tenancy.current import get_current_user
from ..tickets.access import get_attachment_or_404, get_ticket_or_404
from ..tickets.portal import bp as portal_bp
from ..web.staff import bp as staff_bp
from .images import is_previewable, send_image_inline


@staff_bp.get("/tickets/<ticket>/preview")
def ticket_preview(ticket):
    """Show an image attachment of a ticket the person may see, inline."""
    ticket = get_ticket_or_404(ticket, get_current_user())
    return send_image_inline(get_attachment_or_404(ticket, request.args.get("attachment"), include_notes=True))


@portal_bp.get("/tickets/<ticket>/preview", endpoint="ticket_preview")
def ticket_preview_portal(ticket):
    """Show an image attached to the customer's ticket or to a reply they can see, inline (a note's: 404)."""
    ticket = get_ticket_or_404(ticket, get_current_user())
    return send_image_inline(get_attachment_or_404(ticket, request.args.get("attachment")))


@staff_bp.app_template_test("tickets_previewable")
def tickets_previewable(attachment):
    """Jinja test: ``a is tickets_previewable`` when the thread may show a thumbnail of ``a``."""
    return is_previewable(attachment)
