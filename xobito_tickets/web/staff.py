"""The staff side: ticket queue and handling for staff and admins; departments and team for admins.

One guard covers the whole blueprint: anonymous visitors were already sent to the
login page by the parent blueprint, customers get 404, and pages marked
:func:`admin_only` answer 404 to staff. Which tickets a staff member sees is decided
in :mod:`xobito_tickets.tickets.access` alone. The views (tickets.staff,
team.departments, team.people) register themselves on ``bp``.
"""

from flask import Blueprint, abort, current_app, request

from ..tenancy.current import get_current_user

bp = Blueprint("admin", __name__)


def admin_only(view):
    """Mark a view of this blueprint as reserved to admins (staff get 404)."""
    view.admin_only = True
    return view


@bp.before_request
def _staff_only():
    """Let staff and admins in; keep admin-only pages to admins. Everyone else: 404."""
    user = get_current_user()
    if user is None or not user.is_staff:
        abort(404)
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "admin_only", False) and not user.is_admin:
        abort(404)
