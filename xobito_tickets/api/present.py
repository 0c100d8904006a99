"""Tickets, messages and attachments as the API's dictionaries (before the schemas dump them).

One place builds what a ticket looks like to the API and to webhooks: ``staff`` decides
whether the staff-only fields are read at all, and the customer schemas then drop anything
that is not theirs (see :mod:`.schemas`).
"""

from flask import current_app

from ..mail.outbox import external_url
from ..models import Priority, format_ticket_number

#: The API's download route (built into every attachment's ``download_url``).
DOWNLOAD_ENDPOINT = "tickets_api.attachment_download"
_PRIORITY_KEYS = {int(p): p.key for p in Priority}


def person(user_id, name, email):
    """Return a person as the API shows one."""
    return {"id": user_id, "name": name, "email": email}


def ticket_url(slug, number, staff):
    """Return the web page of ticket ``number`` for staff or for its customer."""
    endpoint = "tickets.portal.ticket_detail"
    if staff and "tickets.admin.ticket_detail" in current_app.view_functions:
        endpoint = "tickets.admin.ticket_detail"
    return external_url(endpoint, tenant=slug, ticket=format_ticket_number(number))


def attachment(slug, number, row):
    """Return an attachment with the API URL that downloads it."""
    return {
        "id": row.id,
        "name": row.filename,
        "size": row.size,
        "content_type": row.content_type,
        "download_url": external_url(
            DOWNLOAD_ENDPOINT, tenant=slug, number=format_ticket_number(number), attachment_id=row.id
        )
        if DOWNLOAD_ENDPOINT in current_app.view_functions
        else None,
    }


def ticket_from_row(row, slug, department_names, staff, closed_at=None):
    """Return a list row (:class:`~xobito_tickets.tickets.listing.TicketRow` with people) as a ticket."""
    data = {
        "number": format_ticket_number(row.number),
        "subject": row.subject,
        "status": row.status,
        "priority": _PRIORITY_KEYS[row.priority],
        "department": {"id": row.department_id, "name": department_names.get(row.department_id, "")},
        "requester": person(row.requester.id, row.requester.name, row.requester.email),
        "created_at": row.created_at,
        "last_activity_at": row.last_reply_at,
        "closed_at": closed_at,
        "url": ticket_url(slug, row.number, staff),
    }
    if staff:
        assignee = row.assignee
        data["assignee"] = person(assignee.id, assignee.name, assignee.email) if assignee is not None else None
    return data


def ticket(ticket, slug, staff):
    """Return a :class:`~xobito_tickets.models.Ticket` (department and people loaded) as a ticket."""
    requester = ticket.requester
    data = {
        "number": ticket.display_number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": _PRIORITY_KEYS[ticket.priority],
        "department": {"id": ticket.department.id, "name": ticket.department.name},
        "requester": person(requester.id, requester.name, requester.email),
        "created_at": ticket.created_at,
        "last_activity_at": ticket.last_reply_at,
        "closed_at": ticket.closed_at,
        "url": ticket_url(slug, ticket.number, staff),
    }
    if staff:
        assignee = ticket.assignee
        data["assignee"] = person(assignee.id, assignee.name, assignee.email) if assignee is not None else None
    return data


def message(reply, slug, number, files, kind="reply"):
    """Return a reply or note with its attachments."""
    author = reply.author
    return {
        "id": reply.id,
        "kind": kind,
        "author": {"id": author.id, "name": author.name, "role": author.role},
        "body": reply.body,
        "created_at": reply.created_at,
        "attachments": [attachment(slug, number, f) for f in files or ()],
    }
