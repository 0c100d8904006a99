"""CSV files: the queue's export, streamed in keyset batches, and the report tables; no formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return before one) as a formula, and a ticket's subject or a customer's name is anyone's
text. Such a cell is written with a leading ``'`` (OWASP's advice), which the spreadsheet
shows as text.
"""

import csv
import io

from ..models import format_ticket_number

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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


def safe_cell(value):
    """Return ``value`` as CSV cell text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_line(values):
    """Return one CSV line (CRLF-terminated) of ``values``, each made safe."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(v) for v in values])
    return buffer.getvalue()


def _time(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def queue_lines(pages, department_names):
    """Yield the export's CSV lines: the header, then one per ticket of each page of ``pages``.

    ``pages(cursor)`` returns one :class:`~xobito_tickets.listing.Page` after ``cursor``
    (None: the first), so only one batch of tickets is in memory at a time.
    """
    yield csv_line(QUEUE_COLUMNS)
    cursor = None
    while True:
        page = pages(cursor)
        for ticket in page.items:
            yield csv_line(
                (
                    format_ticket_number(ticket.number),
                    ticket.subject,
                    department_names.get(ticket.department_id, ""),
                    ticket.priority_enum.label,
                    ticket.status.capitalize(),
                    ticket.requester.name if ticket.requester else "",
                    ticket.requester.email if ticket.requester else "",
                    ticket.assignee.name if ticket.assignee else "",
                    _time(ticket.created_at),
                    _time(ticket.last_reply_at),
                )
            )
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def table_lines(columns, rows):
    """Yield the CSV lines of a report table."""
    yield csv_line(columns)
    for row in rows:
        yield csv_line(["" if value is None else value for value in row])
