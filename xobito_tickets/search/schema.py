"""The database-specific half of the search index, beside the portable ``tickets_search_documents`` table.

- SQLite: an FTS5 table over the documents (external content, so the text is stored
  once), ``unicode61 remove_diacritics 2`` (case- and accent-insensitive) with prefix
  indexes for two and three characters, kept in step by triggers on the documents.
- PostgreSQL: the ``unaccent`` extension, one text search configuration per language
  (``tickets_english`` …: unaccent, then that language's stemmer), a weighted
  ``search_vector`` column (A subject, B customer-facing text, D notes) and its GIN index,
  and the vocabulary (``tickets_search_lexemes``: every word lexeme of the vectors, in byte
  order), which turns a prefix into the lexemes it stands for (see :mod:`.results`).

Created with the table (``metadata.create_all``) and by the ``search`` migration. Alembic
cannot describe these objects, so :func:`include_object` keeps them out of autogenerate.
"""

import sqlalchemy as sa

from .models import SearchDocument

FTS_TABLE = "tickets_search_fts"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "ix_tickets_search_documents_vector"
#: PostgreSQL: every lexeme of the vectors but the filter tokens and the numbers, kept with
#: each write (it only grows; a reindex makes it again). A GIN index answers a prefix
#: (``'invoic':*``) by reading every posting list it covers, whole: linear in the word's
#: matches. A search reads the lexemes of the prefix here first and asks the GIN for them
#: exactly, which it intersects with the other words and filters, skipping.
LEXEME_TABLE = "tickets_search_lexemes"
#: SQLite: every term of the documents' text that a prefix search may stand for (see :mod:`.terms`).
TERM_TABLE = "tickets_search_terms"
#: The shortest term the vocabulary keeps: a prefix of 2 or 3 characters has FTS5's own
#: prefix index (as fast as an exact term), and a term shorter than the prefix cannot start with it.
MIN_TERM = 4
#: A lexeme the vocabulary keeps: not a filter token (``=sopen``), not a pair of words
#: (``~export timeout``), not a number (digits are searched whole, never as a prefix).
LEXEME_KEPT = "{} !~ '^(=|~|[0-9]+$)'"
#: PostgreSQL: every two lexemes at neighbouring positions of a vector are also one lexeme
#: of it, without positions: ``~export timeout`` when both words are customer-facing
#: (weights A, B), ``~~export timeout`` when either is in the notes (D). A two-word phrase
#: is then one GIN entry, exact, where ``'export' <-> 'timeout'`` intersects both words'
#: lists and reads each candidate's vector to compare positions (as Elasticsearch's
#: ``index_phrases`` indexes word pairs). No word makes a lexeme starting with ``~``: the
#: text reaches the parser as runs of letters and digits (:func:`.query.tokens_of`).
PAIR_MARK = "~"
NOTE_PAIR_MARK = "~~"
#: PostgreSQL: the function returning a vector with its pairs added. PL/pgSQL, so its
#: statement is planned once per connection, not with each write (0.2 ms of planning each);
#: the pairs cost about 0.1 ms for a document of a few messages.
PAIRS_FUNCTION = "tickets_search_with_pairs"
#: Each lexeme with the one at the position before it (one lexeme per position: the parser
#: is given runs of letters and digits, each a word of one lexeme), from position ``since``
#: on (a message appended: the pairs before it are in the vector already). Lexemes without
#: positions (filter tokens, pairs already made) make none; ``array_to_tsvector`` drops
#: duplicates.
PG_PAIRS_FUNCTION = f"""CREATE OR REPLACE FUNCTION {PAIRS_FUNCTION}(vector tsvector, since integer DEFAULT 0)
    RETURNS tsvector LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    BEGIN
        RETURN vector || array_to_tsvector(ARRAY(
            SELECT CASE WHEN s.w = 'D' OR s.pw = 'D' THEN '{NOTE_PAIR_MARK}' ELSE '{PAIR_MARK}' END
                || s.pl || ' ' || s.l
            FROM (SELECT u.lexeme AS l, x.p, x.w, lag(u.lexeme) OVER o AS pl, lag(x.p) OVER o AS pp,
                      lag(x.w) OVER o AS pw
                  FROM unnest(vector) AS u, unnest(u.positions, u.weights) AS x(p, w)
                  WHERE x.p >= since
                  WINDOW o AS (ORDER BY x.p)) AS s
            WHERE s.pp = s.p - 1));
    END $$"""
#: How the function is named to drop it.
PAIRS_FUNCTION_SIGNATURE = f"{PAIRS_FUNCTION}(tsvector, integer)"


#: ANALYZE keeps the share of documents of ten times this many of the vectors' most common
#: elements (the search sizes its first span of ids from them, see ``results._estimated_density``).
#: At the default (100) the pairs of words took 890 of the 1,000 places at a million tickets
#: and pushed out the status-in-department tokens; at 1,000 it keeps about 8,000 (ANALYZE of
#: a million documents: 9 s instead of 1).
PG_VECTOR_STATISTICS = f"ALTER TABLE tickets_search_documents ALTER COLUMN {VECTOR_COLUMN} SET STATISTICS 1000"


def with_pairs(vector, since=None):
    """Return the SQL of the vector ``vector`` (an SQL expression) with its pairs of words (see PAIR_MARK).

    ``since``: an SQL expression, the position the new pairs start from (None: all of them).
    """
    return f"{PAIRS_FUNCTION}({vector})" if since is None else f"{PAIRS_FUNCTION}({vector}, {since})"


#: Languages with stemming on PostgreSQL: the name a tenant chooses -> PostgreSQL's dictionary.
#: ``simple`` folds case and accents without stemming (any language).
LANGUAGES = {
    "simple": "simple",
    "danish": "danish_stem",
    "dutch": "dutch_stem",
    "english": "english_stem",
    "finnish": "finnish_stem",
    "french": "french_stem",
    "german": "german_stem",
    "italian": "italian_stem",
    "norwegian": "norwegian_stem",
    "portuguese": "portuguese_stem",
    "russian": "russian_stem",
    "spanish": "spanish_stem",
    "swedish": "swedish_stem",
}

_FTS_COLUMNS = "subject, public_text, staff_text, filter_text"
_NEW = "new.subject, new.public_text, new.staff_text, new.filter_text"
_OLD = "old.subject, old.public_text, old.staff_text, old.filter_text"

#: Byte order (BINARY): the terms of a prefix are one range of the primary key.
SQLITE_TERM_DDL = f"CREATE TABLE IF NOT EXISTS {TERM_TABLE} (term TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID"

SQLITE_DDL = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        {_FTS_COLUMNS},
        content='tickets_search_documents', content_rowid='ticket_id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3')""",
    f"""CREATE TRIGGER IF NOT EXISTS tickets_search_documents_ai AFTER INSERT ON tickets_search_documents BEGIN
        INSERT INTO {FTS_TABLE}(rowid, {_FTS_COLUMNS}) VALUES (new.ticket_id, {_NEW});
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS tickets_search_documents_ad AFTER DELETE ON tickets_search_documents BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_FTS_COLUMNS}) VALUES ('delete', old.ticket_id, {_OLD});
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS tickets_search_documents_au AFTER UPDATE ON tickets_search_documents BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_FTS_COLUMNS}) VALUES ('delete', old.ticket_id, {_OLD});
        INSERT INTO {FTS_TABLE}(rowid, {_FTS_COLUMNS}) VALUES (new.ticket_id, {_NEW});
    END""",
    SQLITE_TERM_DDL,
]
SQLITE_DROP = [
    f"DROP TABLE IF EXISTS {TERM_TABLE}",
    "DROP TRIGGER IF EXISTS tickets_search_documents_ai",
    "DROP TRIGGER IF EXISTS tickets_search_documents_ad",
    "DROP TRIGGER IF EXISTS tickets_search_documents_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def _pg_configuration(language, dictionary):
    name = f"tickets_{language}"
    source = "simple" if language == "simple" else language
    return f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{name}') THEN
            CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{source});
            ALTER TEXT SEARCH CONFIGURATION {name}
                ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, hword, hword_part, word
                WITH unaccent, {dictionary};
            ALTER TEXT SEARCH CONFIGURATION {name}
                ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple;
        END IF;
    END $$"""


POSTGRESQL_DDL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    *[_pg_configuration(language, dictionary) for language, dictionary in LANGUAGES.items()],
    f"ALTER TABLE tickets_search_documents ADD COLUMN IF NOT EXISTS {VECTOR_COLUMN} tsvector",
    f"CREATE INDEX IF NOT EXISTS {VECTOR_INDEX} ON tickets_search_documents USING gin ({VECTOR_COLUMN})",
    PG_PAIRS_FUNCTION,
    PG_VECTOR_STATISTICS,
    # Byte order (COLLATE "C"): the lexemes of a prefix are one range of the primary key.
    f'CREATE TABLE IF NOT EXISTS {LEXEME_TABLE} (lexeme text COLLATE "C" NOT NULL, '
    f"CONSTRAINT pk_{LEXEME_TABLE} PRIMARY KEY (lexeme))",
]


def fill_lexemes(connection):
    """Add every word lexeme of the documents' vectors to the vocabulary (PostgreSQL; a reindex, a migration)."""
    connection.exec_driver_sql(
        f"INSERT INTO {LEXEME_TABLE} (lexeme) SELECT DISTINCT lexeme "
        f"FROM tickets_search_documents, unnest(tsvector_to_array({VECTOR_COLUMN})) AS lexeme "
        f"WHERE {LEXEME_KEPT.format('lexeme')} ON CONFLICT DO NOTHING"
    )


def fill_terms(connection):
    """Add every term FTS5 indexed in the text columns to SQLite's vocabulary (a migration; see :mod:`.terms`).

    Read from FTS5's own vocabulary, so the table holds exactly its terms.
    """
    vocabulary = f"temp.{FTS_TABLE}_vocabulary"
    connection.exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {vocabulary} USING fts5vocab(main, {FTS_TABLE}, col)"
    )
    try:
        connection.exec_driver_sql(
            f"INSERT OR IGNORE INTO {TERM_TABLE} (term) SELECT DISTINCT term FROM {vocabulary} "
            f"WHERE col <> 'filter_text' AND length(term) >= {MIN_TERM} AND term GLOB '*[^0-9]*' ORDER BY term"
        )
    finally:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {vocabulary}")


def has_filter_column(connection):
    """Return True if the documents table has ``filter_text`` (the ``search_tokens`` migration ran).

    The ``search`` migration, run with this code before ``search_tokens``, leaves the
    FTS5 table and the first index to that migration, which builds them in this shape.
    """
    columns = sa.inspect(connection).get_columns(SearchDocument.__tablename__)
    return any(column["name"] == "filter_text" for column in columns)


def create_index_structures(connection):
    """Create the dialect's index objects over ``tickets_search_documents`` (idempotent)."""
    statements = {"sqlite": SQLITE_DDL, "postgresql": POSTGRESQL_DDL}.get(connection.dialect.name, [])
    if connection.dialect.name == "sqlite" and not has_filter_column(connection):
        statements = []
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_index_structures(connection):
    """Drop what :func:`create_index_structures` made that would outlive the documents table."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {LEXEME_TABLE}")


sa.event.listen(
    SearchDocument.__table__, "after_create", lambda target, connection, **kw: create_index_structures(connection)
)
sa.event.listen(
    SearchDocument.__table__, "before_drop", lambda target, connection, **kw: drop_index_structures(connection)
)


def include_object(obj, name, type_, reflected, compare_to):
    """Alembic ``include_object`` hook: leave the search index's own objects out of autogenerate.

    FTS5's virtual table and its shadow tables (``tickets_search_fts_data`` …) and the
    PostgreSQL vector column and GIN index are made by this module's DDL, not by models.
    """
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE) and name not in (LEXEME_TABLE, TERM_TABLE)
    table = getattr(obj, "table", None)
    table_name = getattr(table, "name", None)
    if table_name is not None and (table_name.startswith(FTS_TABLE) or table_name in (LEXEME_TABLE, TERM_TABLE)):
        return False
    if type_ == "column" and table_name == SearchDocument.__tablename__ and name == VECTOR_COLUMN:
        return False
    if type_ == "index" and name == VECTOR_INDEX:
        return False
    return True


def is_searchable_object(name):
    """Return True if the table ``name`` belongs to the dialect half of the search index."""
    return bool(name) and (name.startswith(FTS_TABLE) or name in (LEXEME_TABLE, TERM_TABLE))


def remove_index_structures(connection):
    """Drop every object :func:`create_index_structures` made (the ``search`` migration's downgrade)."""
    drop_index_structures(connection)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {VECTOR_INDEX}")
        connection.exec_driver_sql(f"ALTER TABLE tickets_search_documents DROP COLUMN IF EXISTS {VECTOR_COLUMN}")
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {PAIRS_FUNCTION_SIGNATURE}")
        for language in LANGUAGES:
            connection.exec_driver_sql(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS tickets_{language}")
