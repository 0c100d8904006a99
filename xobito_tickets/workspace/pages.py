"""The staff workspace's two pages, rendered: the queue and the ticket view.

Other features add to the ticket view without an import cycle: a function appended to
:data:`DETAIL_CONTEXT` (``fn(ticket, user) -> dict``) adds template values, and the
template includes ``admin/_composer_tools.html`` (in the composer) and
``admin/_side_panels.html`` (in the side panel) when they exist.
"""

from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app, render_template, request

from ..db import session
from ..models import Priority, Ticket, TicketEvent, TicketStatus, User
from ..tenancy.current import get_current_user
from ..tenancy.resolve import current_tenant
from ..tickets.access import department_choices, staff_choices, visible_tickets_clause
from ..tickets.history import describe_event
from ..tickets.listing import SORT_LABELS, paginate_tickets, parse_number_query
from ..tickets.thread import staff_thread
from ..web.forms import ActionForm
from .bulk import ACTIONS
from .composer import detail_context
from .queue import TABS, QueueFilters, active_filter_chips, tab_counts
from .services import tags_of_tickets, tenant_tags

#: Functions ``fn(ticket, user) -> dict`` whose values join the ticket view's template context.
DETAIL_CONTEXT = []

#: A ticket's history as plain rows (what describe_event reads), oldest first.
_HISTORY = (
    sa.select(
        TicketEvent.kind,
        TicketEvent.old_value,
        TicketEvent.new_value,
        TicketEvent.created_at,
        User.name.label("actor_name"),
    )
    .outerjoin(User, User.id == TicketEvent.actor_id)
    .where(TicketEvent.ticket_id == sa.bindparam("ticket_id"), TicketEvent.tenant_id == sa.bindparam("tenant_id"))
    .order_by(TicketEvent.created_at, TicketEvent.id)
)


def render_detail(ticket, status=200, composer=None, panel=None, collision=None):
    """Render the staff ticket view: the staff thread (notes included), composer, properties panel, history."""
    replies, attachments = staff_thread(ticket)
    events = session.execute(_HISTORY, {"ticket_id": ticket.id, "tenant_id": ticket.tenant_id})
    context = dict(
        ticket=ticket,
        replies=replies,
        attachments=attachments,
        history=[describe_event(event) for event in events],
        action_form=ActionForm(formdata=None),
        **detail_context(ticket, replies, composer=composer, panel=panel, collision=collision),
    )
    user = get_current_user()
    for extend in DETAIL_CONTEXT:
        context.update(extend(ticket, user))
    return render_template("xobito_tickets/admin/detail.html", **context), status


def render_queue(args, status=200, bulk_errors=None, bulk_form=None, selected=()):
    """Render the queue for the URL arguments ``args``: a tab (default Needs reply) or filters, one page."""
    user = get_current_user()
    departments = department_choices(current_tenant.id)
    people = staff_choices(current_tenant.id)
    filters = QueueFilters.from_args(args, departments, people)
    visibility = visible_tickets_clause(user)
    page = paginate_tickets(
        visibility,
        filters,
        cursor=args.get("after"),
        before=args.get("before"),
        user=user,
        per_page=current_app.config["TICKETS_PAGE_SIZE"],
        with_people=True,
    )
    exact = None
    number = parse_number_query(filters.q)
    if number is not None:
        exact = session.scalar(sa.select(Ticket).where(Ticket.number == number, visibility))
    back = request.query_string.decode("ascii", "replace") if status == 200 else _query_string(args)
    return render_template(
        "xobito_tickets/admin/queue.html",
        page=page,
        filters=filters,
        tabs=TABS,
        tab_counts=tab_counts(user),
        tab_in_url=args.get("tab") in TABS,
        chips=active_filter_chips(filters, departments, people),
        tags_by_ticket=tags_of_tickets(current_tenant.id, [row.id for row in page.items]),
        all_tags=tenant_tags(current_tenant.id),
        exact=exact,
        departments=departments,
        department_names={d.id: d.name for d in departments},
        people=people,
        priorities=list(Priority),
        statuses=list(TicketStatus),
        sort_labels=SORT_LABELS,
        bulk_actions=ACTIONS,
        bulk_errors=bulk_errors or {},
        bulk_form=bulk_form or {},
        selected=set(selected),
        back_args=back,
    ), status


def _query_string(args):
    return urlencode(list(args.items(multi=True)))
