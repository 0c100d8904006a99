"""CSV files: the queue's export, streamed in keyset batches, and the report tables; no formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return before one) as a formula, and a ticket's subject or a customer's name is anyone's
text. Such a cell is written with a leading ``'`` (OWASP's advice), which the spreadsheet
shows as text.
"""

import csv
import io

from ..models import Priority, format_ticket_number

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)  # each start is one character

QUEUE_COLUMNS = (
    "Ticket ID",
    "Subject",
    "Department",
    "Priority",
    "Status",
    "Requester",
    "Requester email",
    "Assignee",
    "Created (UTC)",
    "Last activity (UTC)",
)

#: Tickets read per query of the export.
BATCH = 1000

#: The labels of the export's fixed values (no user text, but made safe like any cell).
_PRIORITY_CELLS = {int(p): p.label for p in Priority}


def safe_cell(value):
    """Return ``value`` as CSV cell text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _FORMULA_FIRST else text


def csv_line(values):
    """Return one CSV line (CRLF-terminated) of ``values``, each made safe."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(v) for v in values])
    return buffer.getvalue()


def _time(moment):
    # ``YYYY-MM-DD HH:MM:SS`` of the stored UTC time, as strftime would write it (isoformat is faster).
    return moment.isoformat(" ", "seconds")[:19] if moment is not None else ""


def queue_lines(pages, department_names):
    """Yield the export's CSV text: the header, then the lines of each page of ``pages``, one chunk per page.

    ``pages(cursor)`` returns one :class:`~xobito_tickets.listing.Page` after ``cursor``
    (None: the first), so only one batch of tickets is in memory at a time. A batch is
    written by one ``csv.writer`` and sent as one chunk (a chunk per line cost a write per
    line to the server). Every cell that holds anyone's text (subject, names, email,
    department) goes through :func:`safe_cell`; the cells the export writes itself (number,
    priority, status, times) are made safe once per value.
    """
    yield csv_line(QUEUE_COLUMNS)
    departments = {key: safe_cell(name) for key, name in department_names.items()}
    priorities = {key: safe_cell(label) for key, label in _PRIORITY_CELLS.items()}
    statuses = {}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    cursor = None
    while True:
        page = pages(cursor)
        rows = []
        for ticket in page.items:
            requester, assignee = ticket.requester, ticket.assignee
            status = statuses.get(ticket.status)
            if status is None:
                status = statuses[ticket.status] = safe_cell(ticket.status.capitalize())
            rows.append(
                (
                    format_ticket_number(ticket.number),
                    safe_cell(ticket.subject),
                    departments.get(ticket.department_id, ""),
                    priorities.get(ticket.priority, ""),
                    status,
                    safe_cell(requester.name) if requester else "",
                    safe_cell(requester.email) if requester else "",
                    safe_cell(assignee.name) if assignee else "",
                    _time(ticket.created_at),
                    _time(ticket.last_reply_at),
                )
            )
        if rows:
            writer.writerows(rows)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def table_lines(columns, rows):
    """Yield the CSV lines of a report table."""
    yield csv_line(columns)
    for row in rows:
        yield csv_line(["" if value is None else value for value in row])
