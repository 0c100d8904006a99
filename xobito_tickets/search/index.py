"""Keep the search documents in step with the tickets, in the transaction of each change.

A document is rebuilt whole from the ticket, its requester and its messages whenever
one of them changes (a new ticket, a reply, a note, a merge): the receivers below run
inside the service's transaction (see :mod:`xobito_tickets.signals`), so a change that
fails leaves no trace in the index. :func:`reindex` rebuilds the documents of imported
or changed data (``flask tickets reindex``).
"""

import time

import sqlalchemy as sa
from flask import current_app

from .. import signals
from ..db import begin_write, session
from ..models import Reply, Tenant, Ticket, User, format_ticket_number
from .filters import document_tokens, ticket_tokens
from .models import SearchDocument
from .query import tokens_of
from .schema import (
    FTS_TABLE,
    LANGUAGES,
    LEXEME_KEPT,
    LEXEME_TABLE,
    TERM_TABLE,
    VECTOR_COLUMN,
    VECTOR_INDEX,
    create_index_structures,
    fill_lexemes,
    has_filter_column,
    with_pairs,
)
from .terms import add_terms, document_terms, driver_connect, forget, text_terms

#: Tickets per batch when the index is rebuilt.
CHUNK = 2000

_SQLITE_UPSERT = sa.text(
    "INSERT INTO tickets_search_documents (ticket_id, tenant_id, subject, public_text, staff_text, filter_text) "
    "VALUES (:ticket_id, :tenant_id, :subject, :public_text, :staff_text, :filter_text) "
    "ON CONFLICT (ticket_id) DO UPDATE SET tenant_id = excluded.tenant_id, subject = excluded.subject, "
    "public_text = excluded.public_text, staff_text = excluded.staff_text, filter_text = excluded.filter_text "
    # An unchanged document is not written again: on SQLite each write re-tokenizes it twice.
    "WHERE subject IS NOT excluded.subject OR public_text IS NOT excluded.public_text "
    "OR staff_text IS NOT excluded.staff_text OR tenant_id IS NOT excluded.tenant_id "
    "OR filter_text IS NOT excluded.filter_text"
)

#: The filter tokens as lexemes without positions (``=sopen`` …): no word becomes one.
_PG_FILTERS = "array_to_tsvector(string_to_array({}, ' '))"
#: The words with their weights, their pairs (see ``schema.PAIR_MARK``) and the filter tokens.
_PG_VECTOR = with_pairs(
    "setweight(to_tsvector(CAST(:config AS regconfig), :subject_words), 'A') || "
    "setweight(to_tsvector(CAST(:config AS regconfig), :public_words), 'B') || "
    "setweight(to_tsvector(CAST(:config AS regconfig), :staff_words), 'D') || " + _PG_FILTERS.format(":filter_text")
)
_PG_UPSERT_DOCUMENT = (
    "INSERT INTO tickets_search_documents "
    "(ticket_id, tenant_id, subject, public_text, staff_text, filter_text, search_vector) "
    f"VALUES (:ticket_id, :tenant_id, :subject, :public_text, :staff_text, :filter_text, {_PG_VECTOR}) "
    "ON CONFLICT (ticket_id) DO UPDATE SET tenant_id = excluded.tenant_id, subject = excluded.subject, "
    "public_text = excluded.public_text, staff_text = excluded.staff_text, filter_text = excluded.filter_text, "
    "search_vector = excluded.search_vector"
)
#: The vocabulary gains the lexemes it lacks (in byte order: two transactions adding the
#: same new words wait for each other in one order, never in a cycle).
_PG_ADD_LEXEMES = (
    f"INSERT INTO {LEXEME_TABLE} (lexeme) SELECT DISTINCT lexeme FROM {{}} AS lexeme "
    f"WHERE {LEXEME_KEPT.format('lexeme')} ORDER BY lexeme ON CONFLICT DO NOTHING"
)
#: The document and the new words of its vocabulary, in one statement.
_PG_UPSERT = sa.text(
    f"WITH document AS ({_PG_UPSERT_DOCUMENT} RETURNING {VECTOR_COLUMN}) "
    + _PG_ADD_LEXEMES.format(f"document, unnest(tsvector_to_array(document.{VECTOR_COLUMN}))")
)
#: Without the vocabulary: a whole reindex makes it once at the end.
_PG_UPSERT_ONLY = sa.text(_PG_UPSERT_DOCUMENT)
#: The vector with the old filter tokens (still in the row's ``filter_text``) swapped for ``:filter_text``.
_PG_SWAP_FILTERS = (
    f"ts_delete(coalesce({VECTOR_COLUMN}, ''::tsvector), string_to_array(filter_text, ' ')) || "
    + _PG_FILTERS.format(":filter_text")
)


def configuration_of(language):
    """Return the PostgreSQL text search configuration of a tenant's search ``language`` (None: the app's)."""
    language = language or current_app.config["TICKETS_SEARCH_LANGUAGE"]
    return f"tickets_{language if language in LANGUAGES else 'simple'}"


def set_search_language(tenant, language):
    """Set the language whose stemming ``tenant``'s search uses (reindex the tenant after it)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown search language {language!r}")
    begin_write()
    session.execute(sa.update(Tenant).where(Tenant.id == tenant.id).values(search_language=language))
    session.commit()
    tenant.search_language = language


def search_configuration(tenant):
    """Return the PostgreSQL text search configuration of ``tenant`` (``tickets_english`` …)."""
    return configuration_of(tenant.search_language)


def _dialect_name(db):
    """Return the dialect name of a session or a connection."""
    return db.dialect.name if isinstance(db, sa.engine.Connection) else db.get_bind().dialect.name


def _is_note(kind):
    return kind == "note"


def build_documents(where, db=session):
    """Return the document rows (dicts) of the tickets selected by the SQL condition ``where``.

    ``db``: the session, or a connection (the migration that builds the first index).
    """
    tickets = db.execute(
        sa.select(
            Ticket.id,
            Ticket.tenant_id,
            Ticket.number,
            Ticket.subject,
            Ticket.body,
            User.name,
            User.email,
            Ticket.status,
            Ticket.department_id,
            Ticket.assignee_id,
            Ticket.requester_id,
            Ticket.priority,
        )
        .join(User, User.id == Ticket.requester_id)
        .where(where)
        .order_by(Ticket.id)
    ).all()
    if not tickets:
        return []
    ids = [row.id for row in tickets]
    public, staff = {}, {}
    replies = db.execute(
        sa.select(Reply.ticket_id, Reply.body, Reply.kind)
        .where(Reply.ticket_id.between(ids[0], ids[-1]) if len(ids) > 50 else Reply.ticket_id.in_(ids))
        .order_by(Reply.ticket_id, Reply.created_at, Reply.id)
    )
    for ticket_id, body, kind in replies:
        (staff if _is_note(kind) else public).setdefault(ticket_id, []).append(body)
    documents = []
    for row in tickets:
        # First line: what names the ticket and its customer (searched, never shown as a snippet).
        header = f"{format_ticket_number(row.number)} {row.number} {row.name} {row.email}"
        documents.append(
            {
                "ticket_id": row.id,
                "tenant_id": row.tenant_id,
                "subject": row.subject,
                "public_text": "\n".join([header, row.body, *public.get(row.id, ())]),
                "staff_text": "\n".join(staff.get(row.id, ())),
                "filter_text": document_tokens(
                    row.id,
                    row.tenant_id,
                    row.status,
                    row.department_id,
                    row.assignee_id,
                    row.requester_id,
                    row.priority,
                ),
            }
        )
    return documents


def write_documents(documents, configurations=None, db=session, lexemes=True):
    """Insert or replace ``documents`` in the index; ``configurations``: tenant id -> PostgreSQL configuration.

    ``lexemes``: also add their words to PostgreSQL's vocabulary (False: the caller fills it).
    """
    if not documents:
        return
    if isinstance(db, sa.engine.Connection) and not has_filter_column(db):
        # The ``search`` migration run with this code: ``search_tokens`` builds the index.
        return
    if _dialect_name(db) == "postgresql":
        configurations = {} if configurations is None else configurations
        rows = []
        for document in documents:
            tenant_id = document["tenant_id"]
            if tenant_id not in configurations:
                if db is session:
                    # In a request the tenant is in the session already: no query.
                    language = session.get(Tenant, tenant_id).search_language
                else:
                    language = db.execute(
                        sa.select(Tenant.search_language).where(Tenant.id == tenant_id)
                    ).scalar_one_or_none()
                configurations[tenant_id] = configuration_of(language)
            rows.append(
                {
                    **document,
                    "config": configurations[tenant_id],
                    "subject_words": " ".join(tokens_of(document["subject"])),
                    "public_words": " ".join(tokens_of(document["public_text"])),
                    "staff_words": " ".join(tokens_of(document["staff_text"])),
                }
            )
        db.execute(_PG_UPSERT if lexemes else _PG_UPSERT_ONLY, rows)
    else:
        db.execute(_SQLITE_UPSERT, documents)
        # The vocabulary's new terms, in the same transaction (see .terms).
        terms, connect = set(), driver_connect(db)
        for document in documents:
            terms |= document_terms(document, connect)
        add_terms(session() if db is session else db, terms)


def index_tickets(ticket_ids):
    """Rebuild the documents of ``ticket_ids`` in the current transaction."""
    ticket_ids = sorted(set(ticket_ids))
    if ticket_ids:
        write_documents(build_documents(Ticket.id.in_(ticket_ids)))


def document_of(ticket, requester, messages=()):
    """Return the document of ``ticket`` made from objects in hand: ``messages`` are (body, kind) pairs."""
    header = f"{format_ticket_number(ticket.number)} {ticket.number} {requester.name} {requester.email}"
    public = [body for body, kind in messages if not _is_note(kind)]
    return {
        "ticket_id": ticket.id,
        "tenant_id": ticket.tenant_id,
        "subject": ticket.subject,
        "public_text": "\n".join([header, ticket.body, *public]),
        "staff_text": "\n".join(body for body, kind in messages if _is_note(kind)),
        "filter_text": ticket_tokens(ticket),
    }


def append_message(ticket, body, kind="reply"):
    """Add one message to the end of ``ticket``'s document in one statement (rebuilt whole if it has none).

    The filter tokens are set in the same statement: a reply may change the status.
    """
    column = "staff_text" if _is_note(kind) else "public_text"
    params = {"ticket_id": ticket.id, "body": body, "separator": "\n", "filter_text": ticket_tokens(ticket)}
    # The text grows by the message; PostgreSQL's vector by the message's words (weights
    # as in write_documents: B customer-facing, D notes), positions after the old ones.
    assignments = [
        f"{column} = CASE WHEN {column} = '' THEN :body ELSE {column} || :separator || :body END",
        "filter_text = :filter_text",
    ]
    statement = "UPDATE tickets_search_documents SET {} WHERE ticket_id = :ticket_id"
    if session.get_bind().dialect.name == "postgresql":
        weight = "D" if _is_note(kind) else "B"
        # The message's pairs of words, and the one its first word makes with the last word
        # before it (at the old vector's last position; the pairs before are kept).
        message = f"setweight(to_tsvector(CAST(:config AS regconfig), :words), '{weight}')"
        last = f"(SELECT coalesce(max(x.p), 0) FROM unnest({VECTOR_COLUMN}) AS u, unnest(u.positions) AS x(p))"
        assignments.append(f"{VECTOR_COLUMN} = {with_pairs(f'{_PG_SWAP_FILTERS} || {message}', last)}")
        params.update(
            config=search_configuration(session.get(Tenant, ticket.tenant_id)), words=" ".join(tokens_of(body))
        )
        # The message's new words join the vocabulary in the same statement.
        words = "unnest(tsvector_to_array(to_tsvector(CAST(:config AS regconfig), :words)))"
        statement = (
            f"WITH document AS ({statement} RETURNING 1), "
            f"words AS ({_PG_ADD_LEXEMES.format(words)}) "
            "SELECT count(*) FROM document"
        ).format(", ".join(assignments))
        updated = session.execute(sa.text(statement), params).scalar()
    else:
        updated = session.execute(sa.text(statement.format(", ".join(assignments))), params).rowcount
        if updated:
            add_terms(session(), text_terms(body, connect=driver_connect(session)))
    if updated == 0:
        index_tickets([ticket.id])


def update_filters(ticket):
    """Set the filter tokens of ``ticket``'s document from the ticket in hand (its status, department …).

    One UPDATE, none when they are unchanged; a ticket without a document is indexed whole.
    """
    params = {"ticket_id": ticket.id, "filter_text": ticket_tokens(ticket)}
    assignments = ["filter_text = :filter_text"]
    if session.get_bind().dialect.name == "postgresql":
        assignments.append(f"{VECTOR_COLUMN} = {_PG_SWAP_FILTERS}")
    statement = (
        f"UPDATE tickets_search_documents SET {', '.join(assignments)} "
        "WHERE ticket_id = :ticket_id AND filter_text <> :filter_text"
    )
    if session.execute(sa.text(statement), params).rowcount == 0:
        exists = session.execute(
            sa.select(SearchDocument.ticket_id).where(SearchDocument.ticket_id == ticket.id)
        ).first()
        if exists is None:
            index_tickets([ticket.id])


def on_ticket_created(sender, ticket, **extra):
    """Index a new ticket from the objects in hand: one INSERT."""
    requester = session.get(User, ticket.requester_id)
    write_documents([document_of(ticket, requester)])


def on_reply_posted(sender, ticket, reply, **extra):
    """Add a reply to its ticket's document (and its status to the filter tokens): one UPDATE."""
    append_message(ticket, reply.body, _reply_kind(reply))


def on_note_added(sender, ticket, note, **extra):
    """Add an internal note to the staff-only half of its ticket's document: one UPDATE."""
    append_message(ticket, note.body, "note")


def on_ticket_changed(sender, ticket, **extra):
    """Follow a change of status, department, assignee or priority in the document's filter tokens."""
    update_filters(ticket)


def on_ticket_merged(sender, ticket, target, **extra):
    """Rebuild both documents of a merge: the source is closed, its messages now belong to ``target``."""
    index_tickets([ticket.id, target.id])


def _reply_kind(reply):
    return reply.kind or "reply"


_connected = False


def connect_receivers():
    """Subscribe the index to the signals of the changes that alter a ticket's text (once per process)."""
    global _connected
    if _connected:
        return
    signals.ticket_created.connect(on_ticket_created)
    signals.reply_posted.connect(on_reply_posted)
    signals.note_added.connect(on_note_added)
    for signal in (signals.ticket_closed, signals.ticket_reopened, signals.ticket_assigned, signals.priority_changed):
        signal.connect(on_ticket_changed)
    signals.ticket_merged.connect(on_ticket_merged)
    _connected = True


def reindex(tenant_id=None, log=None):
    """Rebuild the documents of one tenant (or of every tenant) in one transaction; return (tickets, seconds).

    Searches keep reading the old index until the new one is committed.
    """
    started = time.monotonic()
    begin_write()
    dialect = session.get_bind().dialect.name
    in_scope = Ticket.tenant_id == tenant_id if tenant_id is not None else sa.true()
    if tenant_id is None and dialect == "sqlite":
        # Emptying the FTS index in one step beats deleting its entries one document at a time.
        session.execute(sa.text("DROP TRIGGER IF EXISTS tickets_search_documents_ad"))
        session.execute(sa.text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')"))
        session.execute(sa.delete(SearchDocument))
        create_index_structures(session.connection())
        # The vocabulary is made again from the documents written below.
        session.execute(sa.text(f"DELETE FROM {TERM_TABLE}"))
        forget(session.get_bind())
    elif tenant_id is None and dialect == "postgresql":
        # One GIN build at the end is many times faster than a million index insertions;
        # the vocabulary too is made once, from the new vectors.
        session.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
        session.execute(sa.text(f"DROP INDEX IF EXISTS {VECTOR_INDEX}"))
        session.execute(sa.delete(SearchDocument))
        session.execute(sa.text(f"TRUNCATE {LEXEME_TABLE}"))
    else:
        session.execute(sa.delete(SearchDocument).where(SearchDocument.tenant_id == tenant_id))
    whole_pg = tenant_id is None and dialect == "postgresql"
    bounds = session.execute(sa.select(sa.func.min(Ticket.id), sa.func.max(Ticket.id)).where(in_scope)).one()
    count = 0
    configurations = {}
    if bounds[0] is not None:
        for first in range(bounds[0], bounds[1] + 1, CHUNK):
            documents = build_documents(sa.and_(in_scope, Ticket.id.between(first, first + CHUNK - 1)))
            write_documents(documents, configurations, lexemes=not whole_pg)
            count += len(documents)
            if log is not None and count and count % (CHUNK * 50) < len(documents):
                log(f"  indexed {count:,} tickets ({time.monotonic() - started:.0f} s)")
    if whole_pg:
        create_index_structures(session.connection())
        fill_lexemes(session.connection())
    session.commit()
    optimize()
    return count, time.monotonic() - started


def optimize():
    """Merge the index's segments (SQLite) or refresh the planner's statistics (PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        begin_write()
        session.execute(sa.text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"))
        session.commit()
    elif dialect == "postgresql":
        session.execute(sa.text("ANALYZE tickets_search_documents"))
        session.execute(sa.text(f"ANALYZE {LEXEME_TABLE}"))
        session.commit()
