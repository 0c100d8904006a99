"""The filter tokens of a search document: what the queue filters on, written where the index can intersect it.

A document's ``filter_text`` is a line of tokens such as ``=t1 =sopen =d3 =a0 =r42 =p2 =b24 =xopen3``
(tenant, status, department, assignee or 0, requester, priority, id range, and status and
department together: a department's Open tickets are one list, a tenth of a department's). A search adds
the tokens of the person's visibility and of the chosen filters to its words, so the index
answers "invoice, Open, in department 3, that I may see" in one probe instead of reading
every match of "invoice" and checking the rest row by row.

No typed word can match a token: on SQLite the words are searched in the text columns only
(the tokens are alone in their FTS5 column), on PostgreSQL the tokens are lexemes starting
with ``=``, which no word of the text search parser becomes. The tokens only narrow a search:
the SQL conditions of visibility and of the filters are still checked on every match.
"""

from ..models import department_members

#: Ticket ids per id-range token (``=b24`` is ids 24 × ID_RANGE … 25 × ID_RANGE - 1). PostgreSQL's
#: search reads the newest ranges first, so a common word costs the same at any size.
ID_RANGE = 4096


def document_tokens(ticket_id, tenant_id, status, department_id, assignee_id, requester_id, priority):
    """Return the ``filter_text`` of a ticket from its columns."""
    return " ".join(
        (
            f"=t{int(tenant_id)}",
            f"=s{status}",
            f"=d{int(department_id or 0)}",
            f"=a{int(assignee_id or 0)}",
            f"=r{int(requester_id or 0)}",
            f"=p{int(priority)}",
            f"=b{int(ticket_id) // ID_RANGE}",
            status_department_token(status, department_id),
        )
    )


def status_department_token(status, department_id):
    """Return the token of a status in a department (``=xopen3``; statuses end in a letter, never a digit)."""
    return f"=x{status}{int(department_id or 0)}"


#: At most this many status × department tokens stand for a status group and a department group.
COMBINED_MAX = 8


def combined_groups(groups):
    """Return ``groups`` with a status group and a department group as one group of their tokens together.

    "Open and in department 3" is then one list of the index (``=xopen3``), not the
    intersection of two long ones (at 1,000,000 tickets: 11,000 entries against 56,000
    and 200,000). Unchanged when there is not exactly one of each, or they stand for more
    than COMBINED_MAX tokens.
    """
    statuses = [group for group in groups if group and all(token.startswith("=s") for token in group)]
    departments = [group for group in groups if group and all(token.startswith("=d") for token in group)]
    if len(statuses) != 1 or len(departments) != 1 or len(statuses[0]) * len(departments[0]) > COMBINED_MAX:
        return groups
    combined = tuple(
        status_department_token(status[2:], int(department[2:]))
        for status in statuses[0]
        for department in departments[0]
    )
    return (*(group for group in groups if group not in (statuses[0], departments[0])), combined)


def ticket_tokens(ticket):
    """Return the ``filter_text`` of a :class:`~xobito_tickets.models.Ticket` in hand."""
    return document_tokens(
        ticket.id,
        ticket.tenant_id,
        ticket.status,
        ticket.department_id,
        ticket.assignee_id,
        ticket.requester_id,
        ticket.priority,
    )


def visibility_tokens(user, db):
    """Return the tokens of which a ticket ``user`` may see has at least one (the rule of ``tickets.access``).

    Customers: their own tickets; staff: their departments' and those assigned to them;
    admins: the tenant's. A superset is safe (visibility is checked on every match too).
    """
    if user.is_admin:
        return (f"=t{int(user.tenant_id)}",)
    if user.is_staff:
        departments = db.scalars(
            department_members.select()
            .with_only_columns(department_members.c.department_id)
            .where(department_members.c.user_id == user.id)
            .order_by(department_members.c.department_id)
        ).all()
        return (*[f"=d{int(d)}" for d in departments], f"=a{int(user.id)}")
    return (f"=r{int(user.id)}",)


def narrow_tokens(tokens):
    """Return True if ``tokens`` (an OR) hold for few tickets: a customer's, not a department's or a tenant's."""
    return all(token.startswith("=r") for token in tokens)


def filter_groups(statuses=(), department_id=None, assignee_id=None, priorities=()):
    """Return the token groups (each an OR of tokens; all must hold) of the queue's filters.

    ``assignee_id``: a staff id, or 0 for "unassigned"; None for no filter.
    """
    groups = []
    if statuses:
        if not all(str(status).isalnum() for status in statuses):
            raise ValueError(f"not a status: {statuses!r}")
        groups.append(tuple(f"=s{status}" for status in statuses))
    if department_id is not None:
        groups.append((f"=d{int(department_id)}",))
    if assignee_id is not None:
        groups.append((f"=a{int(assignee_id)}",))
    if priorities:
        groups.append(tuple(f"=p{int(priority)}" for priority in priorities))
    return tuple(groups)


def id_range_tokens(first, last):
    """Return the id-range tokens of the ranges ``first`` … ``last`` (numbers, inclusive)."""
    return tuple(f"=b{number}" for number in range(first, last + 1))


def fts5_filter(groups):
    """Return the FTS5 expression of ``groups`` on the ``filter_text`` column, or None."""
    groups = [group for group in groups if group]
    if not groups:
        return None
    # The tokenizer drops the "=": "=sopen" is indexed as sopen, alone in its column.
    parts = ["(" + " OR ".join(f'"{token[1:]}"' for token in group) + ")" for group in groups]
    return "filter_text : (" + " AND ".join(parts) + ")"


def tsquery_filter(groups):
    """Return the ``tsquery`` text (read as written, no parser) of ``groups``, or None."""
    groups = [group for group in groups if group]
    if not groups:
        return None
    return " & ".join("(" + " | ".join(f"'{token}'" for token in group) + ")" for group in groups)
