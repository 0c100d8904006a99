"""Tickets, messages and attachments as the API's dictionaries (before the schemas dump them).

One place builds what a ticket looks like to the API and to webhooks: ``staff`` decides
whether the staff-only fields are read at all, and the customer schemas then drop anything
that is not theirs (see :mod:`.schemas`).
"""

from datetime import UTC

from flask import current_app

from ..mail.outbox import external_url
from ..models import Priority, format_ticket_number
from ..workspace.services import ticket_tags

#: The API's download route (built into every attachment's ``download_url``).
DOWNLOAD_ENDPOINT = "tickets_api.attachment_download"
_PRIORITY_KEYS = {int(p): p.key for p in Priority}


def person(user_id, name, email):
    """Return a person as the API shows one."""
    return {"id": user_id, "name": name, "email": email}


def ticket_url(slug, number, staff):
    """Return the web page of ticket ``number`` for staff or for its customer."""
    endpoint = "tickets.admin.ticket_detail" if staff else "tickets.portal.ticket_detail"
    return external_url(endpoint, tenant=slug, ticket=format_ticket_number(number))


def attachment(slug, number, row):
    """Return an attachment with the URL that downloads it: the API's, or the staff page's when the API is off."""
    if current_app.config["TICKETS_API"]:
        url = external_url(DOWNLOAD_ENDPOINT, tenant=slug, number=format_ticket_number(number), attachment_id=row.id)
    else:
        url = external_url(
            "tickets.admin.ticket_download", tenant=slug, ticket=format_ticket_number(number), attachment=row.id
        )
    return {"id": row.id, "name": row.filename, "size": row.size, "content_type": row.content_type, "download_url": url}


def iso(value):
    """Return a time as the API writes it (the schemas' format): ``2026-12-07T01:21:20Z``, or None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


#: A number no ticket has, built into a link once per page and replaced by each row's number.
_PLACEHOLDER = "TKT-000000"


class ListPresenter:
    """Turn the rows of one list page into the answer's dictionaries, ready for JSON.

    A list is the API's busiest answer: its rows are built here in their final form (a
    marshmallow dump cost more than the query, about 1.5 ms a row), with the link of the
    page built once. The schemas (CustomerTicketSchema, StaffTicketSchema) still describe
    these rows in the document; tests/api checks that a dump through them changes nothing
    and every answer against the document.
    """

    def __init__(self, slug, department_names, staff):
        self.department_names = department_names
        self.staff = staff
        self.link = ticket_url(slug, 0, staff)

    def row(self, row, closed_at=None, tags=()):
        """Return one :class:`~xobito_tickets.tickets.listing.TicketRow` (with people) as a ticket.

        ``tags``: the ticket's tag names, sorted as :func:`~xobito_tickets.workspace.services.ticket_tags` does.
        """
        number = format_ticket_number(row.number)
        requester = row.requester
        data = {
            "number": number,
            "subject": row.subject,
            "status": row.status,
            "priority": _PRIORITY_KEYS[row.priority],
            "department": {"id": row.department_id, "name": self.department_names.get(row.department_id, "")},
            "requester": {"id": requester.id, "name": requester.name, "email": requester.email},
            "created_at": iso(row.created_at),
            "last_activity_at": iso(row.last_reply_at),
            "closed_at": iso(closed_at),
            "url": self.link.replace(_PLACEHOLDER, number),
        }
        if self.staff:
            assignee = row.assignee
            data["assignee"] = person(assignee.id, assignee.name, assignee.email) if assignee is not None else None
            data["tags"] = list(tags)
            data["due"] = iso(row.due_at)
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
        data["tags"] = ticket_tags(ticket)
        data["due"] = ticket.due_at
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
