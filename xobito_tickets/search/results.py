"""Ranked search pages and capped counts, on SQLite (FTS5, bm25) and PostgreSQL (tsvector, ts_rank).

A word search reads the index in ticket order, newest first, keeps the tickets the
person may see that pass the other filters, and stops at TICKETS_SEARCH_LIMIT of them;
those are ranked by relevance and paged by keyset over ``(rank, id)``. So a search costs
about the same at 10,000 and at 1,000,000 tickets, and the counts say "1,000+" past the
limit instead of counting every match (Zendesk's search also stops at 1,000 results).
"""

import base64
import binascii
import bisect
import functools
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, REGCONFIG, TSQUERY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

from ..db import session
from ..i18n.dates import number
from ..models import MAX_ROW_ID, Tenant, Ticket
from . import bm25
from .filters import (
    ID_RANGE,
    combined_groups,
    filter_groups,
    fts5_filter,
    id_range_tokens,
    narrow_tokens,
    tsquery_filter,
    visibility_tokens,
)
from .index import search_configuration
from .models import SEARCH_PROBE_INDEX, SearchDocument
from .query import fts5_expression, lexemes_tsquery_text, pairs_tsquery_text, tsquery_terms_text, tsquery_text
from .schema import FTS_TABLE, LEXEME_TABLE, MIN_TERM, NOTE_PAIR_MARK, PAIR_MARK, TERM_TABLE, VECTOR_COLUMN
from .snippets import make_snippet
from .terms import driver_connect, fts5_terms

#: Column weights of bm25 (subject, customer-facing text, notes, filter tokens) and of ts_rank (D, C, B, A).
#: The tokens weigh nothing: the rank is that of the words alone.
BM25_WEIGHTS = (4.0, 1.0, 1.0, 0.0)
TS_RANK_WEIGHTS = "'{0.4, 0.2, 0.4, 1.0}'::float4[]"
#: How many of the newest matches are ordered by relevance (the rest follow, newest first):
#: ranking costs a lookup per match, so it is kept to the first ten pages.
RANKED = 250
#: On SQLite, and at most this many ticket ids back from the newest match: bm25 reads every
#: match of the words between the first and the last ranked one (FTS5 reads a rowid range,
#: not a list), so a filtered search whose matches lie far apart would read all of them.
RANK_SPAN = 8192
#: On SQLite, a search of one term is ranked in Python (:mod:`.bm25`: the same order,
#: without bm25's pass over the whole index) when the index holds more than this many
#: documents (its newest id, an estimate) per document ranked. Python's counting costs about
#: 5.6 µs more per ranked document than bm25's own, and bm25's pass about 3 µs per thousand
#: documents of the index for a common word (``invoice`` on the benchmark's seeds: bm25 1.15
#: ms for 250 documents at 100,000 tickets, 3.1-4.3 ms at 1,000,000; Python 1.9-2.2 ms at both).
PYTHON_RANK_DOCUMENTS = 2_000
#: The rank of the matches after the ranked ones.
UNRANKED = float("inf")
#: PostgreSQL reads the newest id ranges first: this many ranges, then as many as the
#: matches found say (at most the last), then all. GIN answers in no order, so a common
#: word would otherwise cost a heap read per match.
ID_RANGE_SPANS = (16, 128)
#: PostgreSQL: all the ids are read at once when they hold at most this many times the
#: matches wanted (see :func:`_newest`).
FEW = 4
#: PostgreSQL: the first span of id ranges is chosen from the planner's statistics of the
#: vectors (the share of documents holding each common lexeme and filter token, see
#: :func:`_estimated_density`), taken as this many times too high: the words and the tokens
#: are assumed independent and an OR's tokens disjoint, and a span too short reads again.
ESTIMATE_MARGIN = 1.2
#: The statistics are read again after this many seconds (per database, per process).
STATISTICS_SECONDS = 600
#: A prefix standing for at most this many words of the vocabulary is searched as those
#: words (PostgreSQL: exact GIN entries, which skip; SQLite: exact FTS5 terms, see
#: :mod:`.terms`); a wider prefix as a prefix.
PREFIX_LEXEMES = 64


@dataclass(frozen=True)
class Scope:
    """Whose search it is: the tenant, the SQL condition of the tickets they may see, and their side."""

    tenant_id: int
    visibility: object
    #: Staff searches read notes; customers' never do.
    staff: bool
    #: PostgreSQL text search configuration of the tenant (``tickets_english`` …).
    configuration: str = "tickets_simple"
    #: Filter tokens of which each ticket the person may see has one (see :mod:`.filters`);
    #: empty: the index is not narrowed by visibility (``visibility`` still is checked).
    tokens: tuple = ()

    @classmethod
    def of(cls, user, visibility):
        """Return the scope of ``user``'s search, given their visibility (``access.visible_tickets_clause``)."""
        # The tenant by id: in a streamed export the person's row may be detached from the session.
        tenant = session.get(Tenant, user.tenant_id)
        if user.is_staff and not user.is_admin and session.get_bind().dialect.name != "postgresql":
            # SQLite checks a staff member's visibility in the probe index, never with the
            # departments' tokens (see _window): their statement is not needed.
            tokens = ()
        else:
            tokens = visibility_tokens(user, session)
        return cls(user.tenant_id, visibility, bool(user.is_staff), search_configuration(tenant), tokens)


class CappedCount(int):
    """A count that stopped at the search limit: ``capped`` means "at least this many"."""

    def __new__(cls, value, capped=False):
        count = super().__new__(cls, value)
        count.capped = capped
        return count

    @property
    def label(self):
        """The count as a tab shows it: ``12`` or ``1,000+`` (``1.000+`` in German)."""
        return f"{number(int(self))}+" if self.capped else str(int(self))

    __str__ = label.fget


class StatusCounts(dict):
    """``{status: CappedCount}`` of a search, with the ``total`` of every status."""

    def __init__(self, counts, total):
        super().__init__(counts)
        self.total = total

    def __missing__(self, status):
        return CappedCount(0, self.total.capped)


@dataclass
class SearchPage:
    """One page of ranked results: ticket ids best first, their snippets, the cursors around it, the counts."""

    ids: list
    snippets: dict
    next_cursor: str | None
    prev_cursor: str | None
    is_first: bool
    #: :class:`StatusCounts` of the matches with every filter but the status (None: not
    #: asked for, ``search(counts=False)`` with a status chosen).
    status_counts: dict | None = field(default_factory=dict)
    #: Every match with every filter (the list's own total), a :class:`CappedCount`.
    total: CappedCount = CappedCount(0)


#: The columns of a search's first window: the tickets' ids and statuses (the tabs' counts).
_WINDOW_COLUMNS = (Ticket.id, Ticket.status)


def _window(query, scope, conditions, columns, limit, groups=(), before=None, words=None, exact=True, visibility=True):
    """Return the statement of the newest ``limit`` matches in ``scope`` passing ``conditions``, as ``columns``.

    ``groups``: the filter tokens the index intersects with the words (each an OR of
    tokens); the visibility's tokens are added here. ``conditions`` are still checked.
    ``before``: only the tickets older than this id. ``words``: :attr:`_Prepared.words`
    (by default the query's own, prefixes as prefixes).

    ``exact=False`` (PostgreSQL): the newest ``limit`` documents the index matches are cut
    first and only those are checked against the tickets, with the number the index
    matched as the last column (see :func:`_window_rows`). ``visibility=False``
    (PostgreSQL): the index is not narrowed by the visibility's tokens (see :func:`_newest`).
    """
    tokens = (scope.tokens,) if scope.tokens and visibility else ()
    groups = combined_groups(_narrowest(tokens + tuple(groups)))
    if session.get_bind().dialect.name == "postgresql":
        documents = SearchDocument.__table__
        vector = sa.literal_column(f"{documents.name}.{VECTOR_COLUMN}")
        matching = (
            documents.c.tenant_id == scope.tenant_id,
            vector.op("@@")(_tsquery(query, scope) if words is None else words),
            *_tokens_match(vector, groups),
            *([documents.c.ticket_id < before] if before is not None else []),
        )
        checks = (Ticket.tenant_id == scope.tenant_id, scope.visibility, *conditions)
        if not exact:
            newest = (
                sa.select(documents.c.ticket_id, sa.func.count().over().label("matched"))
                .where(*matching)
                # "+ 0": not the primary key's order, which the planner would walk backwards,
                # checking each document's vector, instead of asking the GIN index.
                .order_by((documents.c.ticket_id + 0).desc())
                .limit(limit)
                .subquery("newest")
            )
            return (
                sa.select(*columns, newest.c.matched)
                .select_from(newest)
                .join(Ticket, Ticket.id == newest.c.ticket_id)
                .where(*checks)
                .order_by(Ticket.id.desc())
            )
        return (
            sa.select(*columns)
            .select_from(documents)
            .join(Ticket, Ticket.id == documents.c.ticket_id)
            .where(*matching, *checks)
            .order_by(documents.c.ticket_id.desc())
            .limit(limit)
        )
    if scope.tokens and not narrow_tokens(scope.tokens):
        # FTS5 intersects lists newest first by stepping back through them page by page:
        # a department's list, a fifth of the tickets, costs more to step through than the
        # probe of each match costs (2 ms for a rare word at 1,000,000 tickets, against
        # 0.1): the visibility is then checked in the probe index alone.
        groups = tuple(group for group in groups if group != scope.tokens)
    fts = _FTS
    return (
        sa.select(*columns)
        .select_from(_PROBE_JOIN)
        .where(
            _fts_match(query, scope, groups, words),
            Ticket.tenant_id == scope.tenant_id,
            scope.visibility,
            *conditions,
            *([fts.c.rowid < before] if before is not None else []),
        )
        .order_by(fts.c.rowid.desc())
        .limit(limit)
    )


def _narrowest(groups):
    """Return ``groups`` without those another one implies (a department chosen among one's departments).

    A group holds when any of its tokens does, so a group containing every token of another
    is implied by it: the index then merges one list of matches less.
    """
    sets = [frozenset(group) for group in groups]
    kept = []
    for index, group in enumerate(sets):
        implied = any(other < group or (other == group and j < index) for j, other in enumerate(sets) if j != index)
        if not implied:
            kept.append(groups[index])
    return tuple(kept)


class _ProbeJoin(Join):
    """The index joined to the tickets, read through the probe index (SQLite: ``INDEXED BY …``)."""

    inherit_cache = True


#: The FTS5 table (its rowid is the ticket's id), and its column of the whole row (MATCH, bm25).
_FTS = sa.table(FTS_TABLE, sa.column("rowid"))
_FTS_ROW = sa.literal_column(FTS_TABLE)
#: The index drives the join, newest match first ("+rowid": the tickets never drive it), and
#: each match is checked in the probe index, a few bytes per ticket, rather than in its whole
#: row (``INDEXED BY`` on the tickets table, so the filters and the visibility apply as they
#: are, without being copied onto an alias on each search). Built once: statements are immutable.
_PROBE_JOIN = _ProbeJoin(_FTS, Ticket.__table__, Ticket.id == sa.literal_column(f"+{FTS_TABLE}.rowid"))
_BM25 = sa.func.bm25(_FTS_ROW, *BM25_WEIGHTS)


@compiles(_ProbeJoin)
def _render_probe_join(join, compiler, from_linter=None, **kw):
    sql = compiler.visit_join(join, from_linter=from_linter, **kw)
    if compiler.dialect.name != "sqlite":
        return sql
    table = compiler.preparer.format_table(join.right)
    head, on = sql.rsplit(f" JOIN {table} ON ", 1)
    return f"{head} JOIN {table} INDEXED BY {SEARCH_PROBE_INDEX.name} ON {on}"


def search(
    query,
    scope,
    conditions=(),
    statuses=(),
    cursor=None,
    before=None,
    per_page=25,
    limit=1000,
    groups=(),
    texts=True,
    counts=True,
):
    """Return the :class:`SearchPage` of the tickets in ``scope`` matching ``query``, best first.

    ``conditions``: the other filters (SQL conditions on ``Ticket``); ``statuses``: the
    status filter, which the counts leave out (the counts are those of the status tabs).
    ``groups``: the same filters as tokens (:func:`.filters.filter_groups`), for the index.
    The newest ``limit`` matches are ranked; counts stop at ``limit`` ("1,000+").
    One scan of the index serves the counts and the list when no status is chosen.
    ``counts=False``: the caller shows no status counts (``status_counts`` is None), so a
    search with a status chosen reads only the matches of that status.
    ``texts=False``: the snippets are left to the caller, who reads the page's rows anyway
    (:func:`with_texts`, then :func:`snippets_from`): one statement less.
    """
    prepared = _prepare(query, scope)
    if prepared.nothing:
        empty = StatusCounts({}, CappedCount(0))
        return _page(query, scope, [], CappedCount(0), empty, cursor, before, per_page, texts)
    newest, words = prepared.newest, prepared.words
    # The filters with the chosen statuses' tokens, for the windows of those statuses alone.
    chosen = (*groups, *filter_groups(statuses=statuses))
    if statuses and not counts:
        # The chosen statuses' matches alone, from the newest (their tokens narrow the index).
        density = _estimated_density(prepared.share, scope, chosen)
        ids = _status_ids(query, scope, conditions, chosen, statuses, limit + 1, newest, words, density)
        capped = len(ids) > limit
        return _ranked(query, scope, prepared, ids[:limit], capped, None, cursor, before, per_page, texts)
    density = _estimated_density(prepared.share, scope, groups)
    rows = _newest(query, scope, conditions, groups, _WINDOW_COLUMNS, limit + 1, newest, words=words, density=density)
    capped = len(rows) > limit
    del rows[limit:]
    tally = Counter(map(itemgetter(1), rows))
    status_counts = StatusCounts(
        {status: CappedCount(n, capped) for status, n in tally.items()}, CappedCount(len(rows), capped)
    )
    if not statuses:
        ids = [row[0] for row in rows]
    elif not capped:
        # Every match was read: the chosen statuses are among them.
        ids = [ticket_id for ticket_id, status in rows if status in statuses]
    else:
        # Those of the chosen statuses among the matches read, then the older ones.
        ids = [ticket_id for ticket_id, status in rows if status in statuses]
        oldest = rows[-1][0]
        # The chosen statuses' share of the matches read: how densely the older ones lie.
        density = len(ids) / max(rows[0][0] - oldest + 1, 1)
        top = oldest - 1 if newest is not None else None
        ids += _status_ids(
            query, scope, conditions, chosen, statuses, limit + 1 - len(ids), top, words, density, oldest
        )
        capped = len(ids) > limit
        del ids[limit:]
    return _ranked(query, scope, prepared, ids, capped, status_counts, cursor, before, per_page, texts)


def _status_ids(query, scope, conditions, groups, statuses, limit, top, words, density, before=None):
    """Return the ids of the newest ``limit`` matches of ``statuses`` older than ``before``.

    ``groups``: the filters' tokens with the statuses' (see :func:`search`).
    """
    rows = _newest(
        query,
        scope,
        [*conditions, Ticket.status.in_(statuses)],
        groups,
        [Ticket.id],
        limit,
        top,
        before=before,
        words=words,
        density=density,
    )
    return [row[0] for row in rows]


def _ranked(query, scope, prepared, ids, capped, status_counts, cursor, before, per_page, texts):
    """Return the :class:`SearchPage` of the matches ``ids`` (newest first): the newest RANKED ranked, then paged."""
    ranks = _ranks(query, scope, ids[:RANKED], prepared.rank_words)
    # The newest RANKED matches by relevance; older ones after them, newest first: the
    # keys (rank, -id) sort best first (bm25 is negative, ts_rank is negated), then newest.
    keys = [(ranks.get(ticket_id, UNRANKED), -ticket_id) for ticket_id in ids]
    keys.sort()
    total = CappedCount(len(ids), capped)
    return _page(query, scope, keys, total, status_counts, cursor, before, per_page, texts)


@dataclass(frozen=True)
class _Prepared:
    """What a search reads before its windows: the words a prefix stands for, the newest id (PostgreSQL)."""

    #: The newest ticket id in the tenant's index (None on SQLite, or when it is empty).
    newest: int | None = None
    #: The words for the windows (None: the query's own): PostgreSQL's ``tsquery``; on
    #: SQLite ``{term: the index's terms it stands for}`` (:func:`.query.fts5_expression`).
    words: object = None
    #: A word stands for no lexeme of the vocabulary: nothing can match.
    nothing: bool = False
    #: SQLite: the words bm25 ranks by (None: the query's own): a whole word typed is ranked
    #: as that word alone (see :func:`_ranks`).
    rank_words: object = None
    #: PostgreSQL: the share of the index's documents the words match, as the planner's
    #: statistics estimate it (None: a word is too rare for them to say).
    share: float | None = None


#: The newest id of the tenant's index, and the lexemes of each word (one row per word;
#: none when there is none): the word as the tenant's configuration makes it lexemes
#: (stemmed, without accents; none for a stop word), then, for a prefix, the vocabulary's
#: lexemes starting with it: one range of its primary key, byte order, below the word and
#: U+10FFFF (the last character of UTF-8, which no letter is); last, a phrase's lexemes
#: in the order of their positions, and the positions (for its pairs, see _phrase_pairs).
#: The same statement turns parallel plans off for the rest of the transaction (the search's
#: statements and the page's): a window's plan with one worker cost 16 ms at 1,000,000
#: tickets against 10 ms without, the worker's start and the merge of its rows costing more
#: than it saves on a scan that stops at a thousand matches.
_PREPARE_PG = sa.text(
    "SELECT newest.id, word.i, word.lexemes, ARRAY("
    f"  SELECT v.lexeme FROM {LEXEME_TABLE} AS v"
    "   WHERE cardinality(word.lexemes) = 1"
    '   AND v.lexeme >= word.lexemes[1] COLLATE "C"'
    '   AND v.lexeme < (word.lexemes[1] || chr(1114111)) COLLATE "C"'
    "   ORDER BY v.lexeme LIMIT :most), "
    "  set_config('max_parallel_workers_per_gather', '0', true), "
    "  ARRAY(SELECT p.lexeme FROM unnest(word.vector) AS p, unnest(p.positions) AS x(n) ORDER BY x.n, p.lexeme), "
    "  ARRAY(SELECT x.n FROM unnest(word.vector) AS p, unnest(p.positions) AS x(n) ORDER BY x.n, p.lexeme) "
    "FROM (SELECT max(ticket_id) AS id FROM tickets_search_documents WHERE tenant_id = :tenant_id) AS newest "
    "LEFT JOIN LATERAL ("
    "  SELECT u.i, v.vector, tsvector_to_array(v.vector) AS lexemes"
    "  FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS u(word, i),"
    "  to_tsvector(CAST(:config AS regconfig), u.word) AS v(vector)"
    ") AS word ON true ORDER BY word.i"
)


def _prepare(query, scope):
    """Return the :class:`_Prepared` of a search: on PostgreSQL one statement, on SQLite none.

    A GIN index answers a prefix (``'invoic':*``) by collecting every posting list it
    covers, whole, before any other condition: the cost of a common word grows with the
    tenant. So each one-word prefix is replaced by the lexemes of the vocabulary it stands
    for (``'invoic' | 'invoice2'``, read as written), which the GIN intersects with the
    other words and the filter tokens, skipping through them; the matches are the same. A
    prefix of more than PREFIX_LEXEMES lexemes, a phrase and a whole word keep the parser.
    """
    if session.get_bind().dialect.name != "postgresql":
        return _prepare_sqlite(query)
    expandable = [term for term in query.terms if term.prefix and len(term.tokens) == 1]
    # The other words' lexemes too: a word's for the estimate of its share (see
    # _estimated_density), a phrase's for its pairs (an excluded phrase's too).
    others = [term for term in query.terms if term not in expandable and (not term.negated or len(term.tokens) > 1)]
    rows = session.execute(
        _PREPARE_PG,
        {
            "tenant_id": scope.tenant_id,
            "config": scope.configuration,
            "words": [term.tokens[0] for term in expandable] + [" ".join(term.tokens) for term in others],
            "most": PREFIX_LEXEMES + 1,
        },
    ).all()
    newest = rows[0][0]
    frequencies = _lexeme_frequencies()
    share = 1.0 if frequencies else None
    kept, exact = [term for term in query.terms if term not in expandable], []
    for term, row in zip(others, rows[len(expandable) :], strict=False):
        lexemes, pairs = row[2], _phrase_pairs(term, row[5], row[6])
        if pairs is not None and (len(pairs) == 1 or not term.negated):
            # Exact for two lexemes; for more, the pairs narrow the GIN's candidates and
            # the phrase (kept) checks their order.
            exact.append(pairs_tsquery_text(pairs, term.negated, staff=scope.staff))
            if len(pairs) == 1:
                kept.remove(term)
        if term.negated:
            continue
        if pairs is not None and len(pairs) == 1:
            # A phrase of two words: its pair's share (a pair in the notes, rarer, counts as none).
            marks = (PAIR_MARK, NOTE_PAIR_MARK) if scope.staff else (PAIR_MARK,)
            known = [frequencies.get(mark + pairs[0]) for mark in marks]
            share = share * sum(filter(None, known)) if share is not None and known[0] is not None else None
        elif len(term.tokens) > 1:
            # A longer phrase is not estimated: its words next to each other are rarer than
            # together, so its matches would be overestimated and the span too short (the
            # first span's matches say how rare it is).
            share = None
        else:
            # A word: its lexemes (a stop word has none).
            known = [frequencies.get(lexeme) for lexeme in lexemes or ()]
            share = share * math.prod(known) if share is not None and None not in known else None
    for term, (_, _, lexemes, found, *_) in zip(expandable, rows[: len(expandable)], strict=True):
        if not lexemes:
            continue  # a stop word: the parser drops it too
        if len(lexemes) > 1 or lexemes[0].isdigit() or len(found) > PREFIX_LEXEMES:
            kept.append(term)  # searched as a prefix (the vocabulary keeps no numbers)
            if not term.negated:
                share = None  # a prefix of too many words: no estimate
        elif found:
            exact.append(lexemes_tsquery_text(found, term.negated, staff=scope.staff))
            if not term.negated and share is not None:
                # Any of the words the prefix stands for: the common ones' shares added.
                known = sum(frequencies.get(lexeme, 0.0) for lexeme in found)
                share = share * min(known, 1.0) if known else None
        elif not term.negated:
            return _Prepared(newest, nothing=True)
    if not exact:
        return _Prepared(newest, share=share)
    words = sa.cast(sa.bindparam("search_lexemes", " & ".join(exact)), TSQUERY)
    if kept:
        parsed = sa.func.to_tsquery(
            sa.cast(sa.bindparam("search_config", scope.configuration), REGCONFIG),
            sa.bindparam("search_query_kept", tsquery_terms_text(kept, staff=scope.staff)),
        )
        words = parsed.op("&&")(words)
    return _Prepared(newest, words, share=share)


def _phrase_pairs(term, lexemes, positions):
    """Return the pairs of lexemes (``"export timeout"``) of a phrase ``term``, or None if it has none.

    ``lexemes`` and ``positions``: the phrase's, in the order of their positions (from
    _PREPARE_PG). Only a phrase whose lexemes stand one per position, with no gap (a stop
    word inside, "bill of sale", leaves one), is its pairs: the vectors pair the lexemes at
    neighbouring positions (see ``schema.PAIR_MARK``).
    """
    if len(term.tokens) < 2 or term.prefix or not lexemes or len(lexemes) < 2:
        return None
    if len(set(positions)) != len(positions) or positions[-1] - positions[0] != len(positions) - 1:
        return None
    return [f"{first} {second}" for first, second in zip(lexemes, lexemes[1:], strict=False)]


#: The most common elements of the vectors and the share of documents holding each, as
#: ANALYZE last counted them in a sample (PostgreSQL keeps up to ten times the column's
#: statistics target: the common words and the filter tokens of the departments and statuses).
_STATISTICS_PG = sa.text(
    "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
    "WHERE schemaname = ANY(current_schemas(false)) AND tablename = :table AND attname = :column LIMIT 1"
)
#: {database URL: (monotonic time read, {element: share})}
_statistics = {}


def _lexeme_frequencies():
    """Return ``{lexeme or filter token: share of documents}`` of the planner's statistics (empty: none yet).

    Read once per STATISTICS_SECONDS per database and process: the statistics change only
    when the table is analyzed.
    """
    key = session.get_bind().url.render_as_string(hide_password=True)
    now = time.monotonic()
    kept = _statistics.get(key)
    if kept is not None and now - kept[0] < STATISTICS_SECONDS:
        return kept[1]
    row = session.execute(_STATISTICS_PG, {"table": SearchDocument.__tablename__, "column": VECTOR_COLUMN}).first()
    frequencies = dict(zip(row[0], row[1], strict=False)) if row is not None and row[0] else {}
    _statistics[key] = (now, frequencies)
    return frequencies


def _estimated_density(share, scope, groups):
    """Return the estimated matches per ticket id of a window (PostgreSQL), or None if unknown.

    ``share``: :attr:`_Prepared.share` of the words. Each group of filter tokens (the
    visibility's and the filters', as :func:`_window` intersects them) multiplies it by the
    share of documents holding any of its tokens. None when the words or a token are too rare
    for the statistics to keep: the first span is then ID_RANGE_SPANS[0], and the matches it
    finds say how many more to read. Ticket ids are numbered across the tenants, so the
    share of all documents is the density per id.
    """
    if share is None:
        return None
    frequencies = _lexeme_frequencies()
    tokens = (scope.tokens,) if scope.tokens else ()
    for group in combined_groups(_narrowest(tokens + tuple(groups))):
        known = [frequencies.get(token) for token in group]
        if None in known:
            return None
        share *= min(sum(known), 1.0)
    return share / ESTIMATE_MARGIN


@functools.cache
def _terms_statement(count):
    """Return the statement reading the vocabulary's terms of ``count`` prefixes: ``(prefix's index, term)`` rows."""
    parts = [
        f"SELECT {i}, term FROM (SELECT term FROM {TERM_TABLE} WHERE term >= :p{i} AND term < :e{i} "
        f"ORDER BY term LIMIT :most)"
        for i in range(count)
    ]
    return sa.text(" UNION ALL ".join(parts))


def _prepare_sqlite(query):
    """Return the :class:`_Prepared` of a search on SQLite: its prefixes as the vocabulary's terms (one statement).

    A prefix as FTS5 folds it, of at least MIN_TERM characters (a shorter one has FTS5's
    prefix index), one word. A positive prefix that starts no term matches nothing.
    """
    expandable, connect = {}, driver_connect(session)
    for term in query.terms:
        if term.prefix and len(term.tokens) == 1:
            folded = fts5_terms(term.tokens[0], connect)
            if len(folded) == 1 and len(folded[0]) >= MIN_TERM:
                expandable[term] = folded[0]
    if not expandable:
        return _Prepared()
    params = {"most": PREFIX_LEXEMES + 1}
    for i, prefix in enumerate(expandable.values()):
        # U+10FFFF: the last character; every term starting with the prefix sorts below this.
        params[f"p{i}"], params[f"e{i}"] = prefix, prefix + "\U0010ffff"
    found = [[] for _ in expandable]
    for i, term in _rows(_terms_statement(len(expandable)), params):
        found[i].append(term)
    words, rank_words = {}, {}
    for (term, prefix), terms in zip(expandable.items(), found, strict=True):
        if len(terms) > PREFIX_LEXEMES:
            continue  # searched as a prefix
        if not terms and not term.negated:
            return _Prepared(nothing=True)
        words[term] = tuple(terms)  # (none: an exclusion that excludes nothing)
        if term.negated:
            rank_words[term] = words[term]  # the ranks' statement excludes the same, as cheaply
        elif prefix in terms:
            rank_words[term] = (prefix,)
    return _Prepared(words=words or None, rank_words=rank_words or None)


def _newest(query, scope, conditions, groups, columns, limit, top=None, before=None, words=None, density=None):
    """Return the rows of :func:`_window`; on PostgreSQL the newest id ranges (up to ``top``) are read first.

    When the newest ranges hold ``limit`` matches, they are the newest ``limit`` of all.
    How many ranges: ID_RANGE_SPANS[0], or as many as ``density`` (matches per id, an
    estimate) says hold ``limit`` matches with a quarter to spare; after a span too short,
    as many as the matches it held say. A span of more than MAX_SPAN ranges, or of more
    than half the ids, is not tried: every posting list of a range is read whole, and
    reading all costs little more. So a narrow filter (few matches per range) reads all
    at once instead of three times. Nor is a span when all the ids hold few matches (at most
    FEW times ``limit`` at ``density``): GIN steps through each range's list for each
    match, and reading those few matches costs less (a phrase's 4,000 visible matches at
    1,000,000 tickets: 12-16 ms, against 39 ms for the 78 ranges holding a thousand).

    When a span says the words are rare (fewer than a quarter of ``limit`` matches in all
    the ids at its density), all are read without the visibility's tokens, when they are
    wide (a department's): GIN steps through a department's list for each match (2.6 ms
    for a rare word at 1,000,000 tickets), while the few matches are checked in the probe
    index for less (1.2 ms, the others' too).
    """
    if top is None:
        return _window_rows(query, scope, conditions, columns, limit, groups, before, words)
    last = top // ID_RANGE
    span = ID_RANGE_SPANS[0] if density is None else _span_for(limit, density)
    rare = False
    for _ in range(2):
        if span > ID_RANGE_SPANS[-1] or span * 2 > last or density is not None and density * top <= limit * FEW:
            break
        ranges = id_range_tokens(last - span + 1, last)
        rows = _window_rows(query, scope, conditions, columns, limit, (*groups, ranges), before, words)
        if len(rows) >= limit:
            return rows
        rare = len(rows) * last * 4 < limit * span
        if not rows:
            break
        density = len(rows) / (span * ID_RANGE)
        span = max(span + 1, _span_for(limit, density))
    visibility = not (rare and scope.tokens and not narrow_tokens(scope.tokens))
    return _window_rows(query, scope, conditions, columns, limit, groups, before, words, visibility)


def _window_rows(query, scope, conditions, columns, limit, groups, before, words, visibility=True):
    """Return the rows of :func:`_window`; on PostgreSQL the index's newest matches are cut before the check.

    GIN answers in no order: the window's plan checks every match the index gives in the
    tickets table (an index probe each, about 2.5 µs), then sorts them and keeps ``limit``.
    The newest ``limit`` of the index's matches are cut first instead, and only those are
    checked: the tokens mirror the visibility and the filters, so they pass. When some do
    not (a condition without a token, such as a tag) and the index had more than it cut,
    the window is read again the exact way.
    """
    if session.get_bind().dialect.name != "postgresql":
        return _rows(_window(query, scope, conditions, columns, limit, groups, before, words))
    window = functools.partial(_window, query, scope, conditions, columns, limit, groups, before, words)
    rows = _rows(window(exact=False, visibility=visibility))
    if len(rows) < limit and (not rows or rows[0][-1] > limit):
        return _rows(window(visibility=visibility))
    return [row[:-1] for row in rows]


def _connection():
    """Return the session's connection, after the flush ``session.execute`` would make first (autoflush).

    A statement of plain columns run on the connection skips the ORM's handling of its
    result, which costs more than the statement for a thousand rows.
    """
    if session.autoflush:
        session.flush()
    return session.connection()


def _rows(statement, params=None):
    """Return the rows of ``statement`` as plain tuples, read from the driver's cursor (no row objects)."""
    result = _connection().execute(statement, params)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _span_for(limit, density):
    """Return how many id ranges hold ``limit`` matches at ``density`` matches per id, with a quarter to spare."""
    if density <= 0:
        return ID_RANGE_SPANS[-1] + 1
    return math.ceil(limit * 1.25 / (density * ID_RANGE))


def _ranks(query, scope, ids, words=None):
    """Return ``{ticket id: rank}`` of ``ids`` (lower is better): bm25 on SQLite, negated ts_rank on PostgreSQL.

    ``words``: :attr:`_Prepared.rank_words`. PostgreSQL ranks the query as typed. SQLite
    ranks a whole word typed (``invoice``, a word of the vocabulary) as that word alone:
    bm25 counts the matches of each of its phrases in the whole index (its IDF), which
    for the prefix ``invoice*`` means merging every list the prefix covers (6.8 ms at
    1,000,000 tickets against 2.4 ms for the word). The matches with the word itself come
    first by relevance, those with only a longer word (``invoices``) after them, newest
    first. The words a prefix stands for are not ranked as an OR of them: bm25 would put
    the rarest form first (``invoiceable`` before three times ``invoice``). A partial word
    (``invoi``) is ranked as the prefix.

    A query of one term on SQLite is ranked by bm25 without the IDF (:mod:`.bm25`): in
    Python when the index is large for the documents ranked, else bm25's scores divided by
    the IDF; the same ranks either way.
    """
    if not ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        documents = SearchDocument.__table__
        vector = sa.literal_column(f"{documents.name}.{VECTOR_COLUMN}")
        rank = -sa.func.ts_rank(sa.literal_column(TS_RANK_WEIGHTS), vector, _tsquery(query, scope))
        # One array parameter, not an IN list of 250: the statement's text is the same on
        # every search (no expansion to render, no new text for the driver to parse).
        ranked = sa.bindparam("ranked_ids", list(ids), type_=ARRAY(sa.Integer))
        stmt = sa.select(documents.c.ticket_id, rank).where(documents.c.ticket_id == sa.any_(ranked))
    else:
        newest = max(ids)
        oldest = max(min(ids), newest - RANK_SPAN)
        connect = driver_connect(session)
        term = bm25.one_term(query, words, connect)
        ranked = [ticket_id for ticket_id in ids if ticket_id >= oldest]
        if term is not None and len(ranked) * PYTHON_RANK_DOCUMENTS < newest:
            # One term, and few documents to rank for the index's size: bm25's order
            # without its pass over the whole index.
            return _python_ranks(ranked, term, scope, connect)
        # FTS5 reads a rowid range natively; bm25 is computed for the wanted ids in it only
        # ("+rowid IN": checked on each match of the range, not a lookup of each id).
        # The words alone: bm25 reads the size of each phrase's whole doclist once (its
        # IDF), which the filter tokens' (a department's, a status's) would make large.
        fts = _FTS
        stmt = sa.select(fts.c.rowid, _BM25).where(
            _fts_match(query, scope, words=words),
            fts.c.rowid.between(oldest, newest),
            sa.literal_column(f"+{FTS_TABLE}.rowid").in_(ids),
        )
        found = dict(_rows(stmt))
        if term is not None and found:
            # One term: its IDF is one factor of every score. Divided by it (known from one
            # document ranked in Python), the ranks are those of the other way, so a page's
            # cursor holds whichever way ranks the next page (and whatever the writes in
            # between did to the IDF).
            sample = max(found)
            in_python = _python_ranks([sample], term, scope, connect, digits=None)
            if in_python.get(sample):
                idf = found[sample] / in_python[sample]
                found = {ticket_id: round(rank / idf, bm25.DIGITS) for ticket_id, rank in found.items()}
        return found
    return dict(_rows(stmt))


def _python_ranks(ids, term, scope, connect, digits=bm25.DIGITS):
    """Return :func:`.bm25.ranks` of the documents ``ids`` for ``term`` (:func:`.bm25.one_term`), in one statement."""
    rows = _rows(bm25.statement(scope.staff), bm25.ids_parameter(ids))
    return bm25.ranks(rows, *term, BM25_WEIGHTS[:3], connect, digits=digits)


def _tsquery(query, scope):
    return sa.func.to_tsquery(
        sa.cast(sa.bindparam("search_config", scope.configuration), REGCONFIG),
        sa.bindparam("search_query", tsquery_text(query, staff=scope.staff)),
    )


def _tokens_match(vector, groups):
    """Return the condition that ``vector`` has the filter tokens of ``groups`` (none if there are none).

    A second ``@@`` on the same GIN index, not one query joined with ``&&``: words that
    are all stop words make an empty query, which must match nothing, not every ticket.
    """
    tokens = tsquery_filter(groups)
    if tokens is None:
        return []
    # Read as written (a cast, not the parser): "=sopen" stays one lexeme.
    return [vector.op("@@")(sa.cast(sa.bindparam("search_filters", tokens), TSQUERY))]


def _fts_match(query, scope, groups=(), words=None):
    expression = fts5_expression(query, staff=scope.staff, words=words)
    tokens = fts5_filter(groups)
    if tokens is not None:
        expression = f"({expression}) AND {tokens}"
    return _FTS_ROW.op("MATCH")(sa.bindparam("search_query", expression))


def _page(query, scope, keys, total, status_counts, cursor, before, per_page, texts=True):
    """Cut one page of ``keys`` (``(rank, -id)`` pairs, sorted: best first) by keyset and make its snippets."""
    position = decode_cursor(before) if before else None
    going_back = position is not None
    if going_back:
        # The page ending just before the cursor's result.
        end = bisect.bisect_left(keys, (position[0], -position[1]))
        rows = keys[max(end - (per_page + 1), 0) : end]
        more = len(rows) > per_page
        rows = rows[-per_page:] if more else rows
        is_first = not more
        next_cursor = _cursor_of(rows[-1]) if rows else None
        prev_cursor = _cursor_of(rows[0]) if rows and more else None
    else:
        position = decode_cursor(cursor) if cursor else None
        # The page starting just after the cursor's result.
        start = bisect.bisect_right(keys, (position[0], -position[1])) if position is not None else 0
        rows = keys[start : start + per_page + 1]
        more = len(rows) > per_page
        rows = rows[:per_page]
        is_first = position is None
        next_cursor = _cursor_of(rows[-1]) if rows and more else None
        prev_cursor = _cursor_of(rows[0]) if rows and not is_first else None
    ids = [-key[1] for key in rows]
    return SearchPage(
        ids=ids,
        snippets=snippets_of(query, ids, staff=scope.staff) if texts else {},
        next_cursor=next_cursor,
        prev_cursor=prev_cursor,
        is_first=is_first,
        status_counts=status_counts,
        total=total,
    )


def _cursor_of(key):
    """Return the cursor of the result whose sort key is ``key`` (``(rank, -id)``)."""
    return encode_cursor(key[0], -key[1])


def snippets_of(query, ticket_ids, staff):
    """Return ``{ticket id: Snippet or None}``; customers' snippets never come from notes."""
    if not ticket_ids:
        return {}
    documents = SearchDocument.__table__
    texts = session.execute(
        sa.select(documents.c.ticket_id, documents.c.public_text, documents.c.staff_text if staff else sa.null()).where(
            documents.c.ticket_id.in_(ticket_ids)
        )
    ).all()
    return snippets_from(query, texts, staff)


def with_texts(statement, staff):
    """Return ``statement`` (a select of ``Ticket`` rows) with the two texts of snippets as its last columns.

    For a caller of ``search(…, texts=False)``: the page's rows and their snippets' texts in
    one statement; pass ``(ticket id, *the last two columns)`` of each row to :func:`snippets_from`.
    """
    documents = SearchDocument.__table__
    return statement.add_columns(documents.c.public_text, documents.c.staff_text if staff else sa.null()).outerjoin(
        documents, documents.c.ticket_id == Ticket.id
    )


def snippets_from(query, texts, staff):
    """Return ``{ticket id: Snippet or None}`` of ``(ticket id, public text, staff text)`` rows."""
    return {
        ticket_id: make_snippet(query, public or "", staff_text if staff else None)
        for ticket_id, public, staff_text in texts
    }


def match_clause(query, scope):
    """Return a SQL condition on ``Ticket.id``: the ticket's text matches ``query`` (unranked, unlimited).

    For lists that keep their own order and read every match (a CSV export, an API sorted
    by date). Visibility is not part of it: combine it with the person's visibility.
    """
    if not query.has_words:
        return sa.true()
    if session.get_bind().dialect.name == "postgresql":
        documents = SearchDocument.__table__
        vector = sa.literal_column(f"{documents.name}.{VECTOR_COLUMN}")
        return Ticket.id.in_(
            sa.select(documents.c.ticket_id).where(
                documents.c.tenant_id == scope.tenant_id, vector.op("@@")(_tsquery(query, scope))
            )
        )
    return Ticket.id.in_(sa.select(_FTS.c.rowid).where(_fts_match(query, scope)))


def number_clause(query):
    """Return the SQL condition of the ticket numbers ``query`` names (``TKT-000042``, ``#42``), or None."""
    if query.impossible:
        return sa.false()
    if query.numbers:
        return Ticket.number.in_(query.numbers)
    return None


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
    if math.isnan(rank) or rank == -math.inf or not 0 < ticket_id <= MAX_ROW_ID:
        return None
    return rank, ticket_id
