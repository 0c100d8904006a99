"""Full-text search over tickets: the index (one document per ticket), the query language and ranked pages.

Imports only ``models``, ``db`` and ``signals``; ``tickets`` (queue, portal, API) calls it, never the reverse.

The one entry point for a list that searches (the staff queue, the portal, the API's ``q``)::

    from xobito_tickets.search import Scope, parse, search
    query = parse(request.args["q"])              # never raises; bad syntax becomes plain words
    if query.has_words:
        page = search(query, Scope.of(user, visible_tickets_clause(user)), conditions, statuses,
                      cursor=cursor, per_page=25, limit=current_app.config["TICKETS_SEARCH_LIMIT"],
                      groups=filter_groups(department_id=…))  # the conditions as index tokens
        page.ids, page.snippets, page.next_cursor, page.status_counts, page.total

``number_clause(query)`` is the condition of a ``TKT-000042`` in the text, and
``match_clause(query, scope)`` the plain "text matches" condition for lists that keep
their own order (an export).
"""

from . import schema  # noqa: F401  (the dialect's index objects follow the documents table)
from .filters import filter_groups
from .index import connect_receivers, reindex
from .query import SearchQuery, parse
from .results import (
    CappedCount,
    Scope,
    SearchPage,
    StatusCounts,
    match_clause,
    number_clause,
    search,
    snippets_from,
    with_texts,
)

__all__ = [
    "CappedCount",
    "Scope",
    "SearchPage",
    "SearchQuery",
    "StatusCounts",
    "filter_groups",
    "init_app",
    "match_clause",
    "number_clause",
    "parse",
    "reindex",
    "search",
    "snippets_from",
    "with_texts",
]


def init_app(app):
    """Keep the index in step with the tickets in ``app`` (the receivers are process-wide, connected once)."""
    connect_receivers()
