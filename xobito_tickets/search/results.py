"""Ranked search pages and capped counts, on SQLite (FTS5, bm25) and PostgreSQL (tsvector, ts_rank).

A word search reads the index in ticket order, newest first, keeps the tickets the
person may see that pass the other filters, and stops at TICKETS_SEARCH_LIMIT of them;
those are ranked by relevance and paged by keyset over ``(rank, id)``. So a search costs
about the same at 10,000 and at 1,000,000 tickets, and the counts say "1,000+" past the
limit instead of counting every match (Zendesk's search also stops at 1,000 results).
"""

import base64
import binascii
import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import REGCONFIG

from ..db import session
from ..models import MAX_ROW_ID, Ticket
from .models import SearchDocument
from .query import fts5_expression, tsquery_text
from .schema import FTS_TABLE, VECTOR_COLUMN
from .snippets import make_snippet

#: Column weights of bm25 (subject, customer-facing text, notes) and of ts_rank (D, C, B, A).
BM25_WEIGHTS = (4.0, 1.0, 1.0)
TS_RANK_WEIGHTS = "'{0.4, 0.2, 0.4, 1.0}'::float4[]"


@dataclass(frozen=True)
class Scope:
    """Whose search it is: the tenant, the SQL condition of the tickets they may see, and their side."""

    tenant_id: int
    visibility: object
    #: Staff searches read notes; customers' never do.
    staff: bool
    #: PostgreSQL text search configuration of the tenant (``tickets_english`` …).
    configuration: str = "tickets_simple"


class CappedCount(int):
    """A count that stopped at the search limit: ``capped`` means "at least this many"."""

    def __new__(cls, value, capped=False):
        count = super().__new__(cls, value)
        count.capped = capped
        return count

    @property
    def label(self):
        """The count as a tab shows it: ``12`` or ``1,000+``."""
        return f"{int(self):,}+" if self.capped else f"{int(self):,}"


@dataclass
class SearchPage:
    """One page of ranked results: ticket ids in rank order, their snippets, and the cursors around it."""

    ids: list
    snippets: dict
    next_cursor: str | None
    prev_cursor: str | None
    is_first: bool


def _window(query, scope, conditions, columns, limit):
    """Return the statement of the newest ``limit`` visible matches, selecting ``columns`` (and the rank)."""
    if session.get_bind().dialect.name == "postgresql":
        documents = SearchDocument.__table__
        vector = sa.literal_column(f"{documents.name}.{VECTOR_COLUMN}")
        tsquery = sa.func.to_tsquery(
            sa.cast(sa.bindparam("search_config", scope.configuration), REGCONFIG),
            sa.bindparam("search_query", tsquery_text(query, staff=scope.staff)),
        )
        rank = sa.func.ts_rank(sa.literal_column(TS_RANK_WEIGHTS), vector, tsquery)
        stmt = (
            sa.select(*columns, (-rank).label("rank"))
            .select_from(documents)
            .join(Ticket, Ticket.id == documents.c.ticket_id)
            .where(documents.c.tenant_id == scope.tenant_id, vector.op("@@")(tsquery))
            .order_by(documents.c.ticket_id.desc())
        )
    else:
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        rank = sa.func.bm25(sa.literal_column(FTS_TABLE), *BM25_WEIGHTS)
        # "+rowid": the index drives the join (newest match first, each ticket found by
        # its key), instead of every visible ticket probing the index.
        stmt = (
            sa.select(*columns, rank.label("rank"))
            .select_from(fts)
            .join(Ticket, Ticket.id == sa.literal_column(f"+{FTS_TABLE}.rowid"))
            .where(
                sa.literal_column(FTS_TABLE).op("MATCH")(
                    sa.bindparam("search_query", fts5_expression(query, staff=scope.staff))
                )
            )
            .order_by(fts.c.rowid.desc())
        )
    return stmt.where(Ticket.tenant_id == scope.tenant_id, scope.visibility, *conditions).limit(limit)


def search_page(query, scope, conditions=(), cursor=None, before=None, per_page=25, limit=1000):
    """Return a :class:`SearchPage` of the tickets in ``scope`` matching ``query`` and ``conditions``, best first."""
    window = _window(query, scope, conditions, [Ticket.id.label("id")], limit).subquery("matches")
    stmt = sa.select(window.c.id, window.c.rank)
    going_back = False
    position = decode_cursor(before) if before else None
    if position is not None:
        going_back = True
        rank, ticket_id = position
        stmt = stmt.where(
            sa.or_(window.c.rank < rank, sa.and_(window.c.rank == rank, window.c.id > ticket_id))
        ).order_by(window.c.rank.desc(), window.c.id.asc())
    else:
        position = decode_cursor(cursor) if cursor else None
        if position is not None:
            rank, ticket_id = position
            stmt = stmt.where(sa.or_(window.c.rank > rank, sa.and_(window.c.rank == rank, window.c.id < ticket_id)))
        stmt = stmt.order_by(window.c.rank.asc(), window.c.id.desc())
    page = stmt.limit(per_page + 1).subquery("page")
    documents = SearchDocument.__table__
    rows = session.execute(
        sa.select(
            page.c.id,
            page.c.rank,
            documents.c.public_text,
            documents.c.staff_text if scope.staff else sa.null(),
        ).join(documents, documents.c.ticket_id == page.c.id)
    ).all()
    rows.sort(key=lambda row: (row[1], -row[0]), reverse=going_back)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if going_back:
        rows.reverse()
        is_first = not more
        next_cursor = encode_cursor(*rows[-1][:2]) if rows else None
        prev_cursor = encode_cursor(*rows[0][:2]) if rows and more else None
    else:
        is_first = position is None
        next_cursor = encode_cursor(*rows[-1][:2]) if rows and more else None
        prev_cursor = encode_cursor(*rows[0][:2]) if rows and not is_first else None
    snippets = {row[0]: make_snippet(query, row[2] or "", row[3] if scope.staff else None) for row in rows}
    return SearchPage(
        ids=[row[0] for row in rows],
        snippets=snippets,
        next_cursor=next_cursor,
        prev_cursor=prev_cursor,
        is_first=is_first,
    )


def count_matches(query, scope, conditions=(), by=None, limit=1000):
    """Count the matches in ``scope``, up to ``limit``: ``{value of by: CappedCount}`` (or one CappedCount).

    Past ``limit`` every number is "at least" (``capped``): only the newest matches were read.
    """
    key = (by if by is not None else sa.literal(None)).label("key")
    window = _window(query, scope, conditions, [key], limit + 1).subquery("matches")
    counts = dict(session.execute(sa.select(window.c.key, sa.func.count()).group_by(window.c.key)).all())
    capped = sum(counts.values()) > limit
    if by is None:
        return CappedCount(min(sum(counts.values()), limit), capped)
    return {value: CappedCount(n, capped) for value, n in counts.items()}


def encode_cursor(rank, ticket_id):
    """Return the opaque cursor of the result ``(rank, ticket_id)``."""
    raw = f"{float(rank)!r}~{int(ticket_id)}"
    return "s" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """Return ``(rank, ticket_id)`` of a cursor, or None if it is not one of ours."""
    if not cursor or len(cursor) > 200 or not cursor.startswith("s"):
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor[1:] + "=" * (-len(cursor[1:]) % 4)).decode()
        rank_text, id_text = raw.split("~")
        rank, ticket_id = float(rank_text), int(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not math.isfinite(rank) or not 0 < ticket_id <= MAX_ROW_ID:
        return None
    return rank, ticket_id
