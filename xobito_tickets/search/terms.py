"""SQLite's search vocabulary: every word FTS5 indexed, so a prefix can be searched as those words.

FTS5 answers a prefix longer than its prefix indexes (``"invoic"*``) by merging the lists of
every term that starts with it before the first match, and at a million tickets that costs
several milliseconds whatever the prefix matches (``"kerber"*`` 3.5 ms, ``"invoic"*`` 4.8 ms;
an exact term 0.01 ms). So each term of the documents' text is also kept in
``tickets_search_terms`` (a ``WITHOUT ROWID`` table: one b-tree of terms in byte order), and a
search reads the terms of its prefixes there first and asks FTS5 for those exactly
(``"invoice" OR "invoices"``); the matches are the same.

The vocabulary must hold every term FTS5 made, or a search would miss the documents of
the terms it lacks. So the terms are cut and folded exactly as FTS5's tokenizer does
(``unicode61 remove_diacritics 2``): ASCII letters and digits in Python, and each other
character as FTS5 itself treats it (a separator, dropped, or folded to a character), asked
once per character and process from an in-memory FTS5 table opened with the app's own SQLite
driver (the same library).

Written in the transaction of each document write: a process remembers the terms it has
seen committed and writes only new ones (none, usually: one statement more for a message
with a word new to the process). A whole reindex makes the table again.
"""

import re
import threading
import weakref

import sqlalchemy as sa

from .schema import MIN_TERM, TERM_TABLE

#: The process forgets what it has seen past this many terms (it writes them again, ignored).
KNOWN_MAX = 200_000

_ASCII_WORD = re.compile(r"[a-z0-9]+")
#: ``str.translate`` table of the characters FTS5's tokenizer was asked about: separators
#: become a space, dropped characters (combining accents) nothing, the others their folding.
_FOLD = {code: (chr(code).lower() if chr(code).isalnum() else " ") for code in range(128)}
_probe_lock = threading.Lock()
_probe_connection = None

#: Per engine (a process may serve several databases, as the tests do): the terms seen committed.
_known = weakref.WeakKeyDictionary()
_known_lock = threading.Lock()
_PENDING = "xobito_tickets_search_terms"

_INSERT = sa.text(f"INSERT OR IGNORE INTO {TERM_TABLE} (term) VALUES (:term)")


def _probe(characters, connect):
    """Ask FTS5 how it tokenizes each of ``characters`` (a separator, dropped, or folded to what)."""
    global _probe_connection
    with _probe_lock:
        missing = sorted(c for c in characters if ord(c) not in _FOLD)
        if not missing:
            return
        if _probe_connection is None:
            connection = connect(":memory:", check_same_thread=False)
            connection.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='unicode61 remove_diacritics 2')")
            connection.execute("CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, instance)")
            _probe_connection = connection
        connection = _probe_connection
        # "q<c>q" is one term "q…q" when c is part of a word (folded, or dropped: "qq"),
        # and twice the term "q" when c separates words.
        connection.executemany("INSERT INTO probe (rowid, text) VALUES (?, ?)", [(ord(c), f"q{c}q") for c in missing])
        found = {}
        for term, row in connection.execute("SELECT term, doc FROM probe_terms"):
            found.setdefault(row, []).append(term)
        connection.execute("DELETE FROM probe")
        for c in missing:
            terms = found.get(ord(c), [])
            if len(terms) == 1 and len(terms[0]) >= 2:
                _FOLD[ord(c)] = terms[0][1:-1]
            else:
                _FOLD[ord(c)] = " "


def fts5_terms(text, connect):
    """Return the terms FTS5's tokenizer makes of ``text``, in order (repeats kept).

    ``connect``: the DB-API ``connect`` of the app's SQLite driver (the same library as
    the index, :func:`driver_connect`).
    """
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())
    return fold(text, connect).split()


def fold(text, connect):
    """Return ``text`` folded as FTS5's tokenizer folds it, for text that is not all ASCII.

    Each character becomes what FTS5 makes of it: a space for a separator, nothing for a
    dropped one (a combining accent), its folding for a token's character. So the terms
    are the runs of characters between spaces.
    """
    unknown = {c for c in set(text) if ord(c) not in _FOLD}
    if unknown:
        _probe(unknown, connect)
    return text.translate(_FOLD)


def text_terms(*texts, connect):
    """Return the set of terms of ``texts`` the vocabulary keeps (no short terms, no numbers)."""
    terms = set()
    for text in texts:
        terms.update(fts5_terms(text or "", connect))
    return {term for term in terms if len(term) >= MIN_TERM and not term.isdigit()}


def document_terms(document, connect):
    """Return :func:`text_terms` of a document's text columns (a dict: subject, public and staff text)."""
    return text_terms(document.get("subject"), document.get("public_text"), document.get("staff_text"), connect=connect)


def driver_connect(db):
    """Return the DB-API ``connect`` of the driver of ``db`` (a session or a connection): its SQLite library."""
    engine = db.get_bind() if hasattr(db, "get_bind") else db.engine
    return engine.dialect.dbapi.connect


def add_terms(db, terms):
    """Write the ``terms`` this process has not seen committed in ``db``'s database, in ``db``'s transaction.

    ``db``: a session (the terms count as seen once it commits) or a connection (a
    migration, a reindex: the terms are simply written).
    """
    engine = db.get_bind() if isinstance(db, sa.orm.Session) else db.engine
    with _known_lock:
        known = _known.get(engine, ())
        new = [term for term in terms if term not in known]
    if not new:
        return
    new.sort()  # byte order: two writers of the same new terms take their pages in one order
    db.execute(_INSERT, [{"term": term} for term in new])
    if isinstance(db, sa.orm.Session):
        _pending_of(db).update(new)


def _pending_of(db):
    """Return the set of terms written in ``db``'s transaction, remembered when it commits."""
    pending = db.info.get(_PENDING)
    if pending is None:
        pending = db.info[_PENDING] = set()
        sa.event.listen(db, "after_commit", _committed)
        sa.event.listen(db, "after_rollback", _rolled_back)
    return pending


def _committed(db):
    pending = db.info.get(_PENDING)
    if pending:
        engine = db.get_bind()
        with _known_lock:
            known = _known.setdefault(engine, set())
            if len(known) + len(pending) > KNOWN_MAX:
                known.clear()
            known.update(pending)
        pending.clear()


def _rolled_back(db):
    pending = db.info.get(_PENDING)
    if pending:
        pending.clear()


def forget(engine):
    """Forget the terms this process has seen in ``engine``'s database (a reindex made the table again)."""
    with _known_lock:
        _known.pop(engine, None)
