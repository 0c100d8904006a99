"""SQLite: a one-term search ranked in Python orders the matches exactly as FTS5's bm25 does.

Past a size of index (``results.PYTHON_RANK_DOCUMENTS``), a search of one term is ranked by
bm25's formula without its IDF (one factor common to every document), the term's
occurrences counted in the documents' texts as FTS5 counts them. Below, bm25 ranks, and its
scores are divided by the IDF, so that the ranks (and the cursors that hold them) are the
same either way. The test databases are small, so the tests choose the way.
"""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Ticket, User
from xobito_tickets.search import bm25, results
from xobito_tickets.search.query import parse
from xobito_tickets.search.terms import driver_connect
from xobito_tickets.workspace.services import add_note

from .conftest import scope_of, search

#: Python for every one-term search (no index is smaller than no documents), or never.
PYTHON, FTS5 = 0, 10**12


@pytest.fixture(autouse=True)
def sqlite_only(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite's bm25 (PostgreSQL ranks with ts_rank)")


@pytest.fixture
def texts(app, world, desk):
    desk.ticket("three", "Invoice overdue", "The invoice is late, the INVOICE is wrong.")
    desk.ticket("long", "Question", "An invoice. " + "Padding words of a long message. " * 40)
    desk.ticket("short", "Re: invoice", "Invoice?")
    desk.ticket("forms", "Invoices for March", "Two invoices and an invoiceable item, invoice_id 7.")
    desk.ticket("snake", "Ids", "foo_invoice and invoice-2 and e-mail the e mail")
    desk.ticket("accents", "Invoicé pour Müller", "La facture (invoicé) de Müller, Straße 5; MÜLLER zahlt.")
    desk.ticket("phrase", "Export timeout", "The export timeout again: export, timeout! Export the timeout.")
    desk.ticket("muller2", "Frage von Müller", "Müller fragt: export timeout beim Export?")
    desk.ticket("muller3", "Muller", "Mr Muller, the export-timeout is back at Straße 5.")
    desk.ticket("other", "Export failed", "Timeout during export; exporter timeouts.", requester="other_customer")
    desk.ticket(
        "replies",
        "Login trouble",
        "Cannot log in.",
        replies=[("staff", "Your invoice run is scheduled."), ("customer", "Thanks for the invoice, invoice.")],
    )
    with app.test_request_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == desk.numbers["short"]))
        add_note(ticket, session.get(User, world.staff_id), "Invoice invoice invoice: checked with export timeout.")
    return desk


def ranks(app, world, monkeypatch, text, who, way):
    """Return ``{ticket id: rank}`` of every match of ``text`` for ``who``, ranked ``way``."""
    with app.test_request_context():
        scope = scope_of(world, who)
        query = parse(text)
        prepared = results._prepare(query, scope)
        ids = sorted(results.search(query, scope, per_page=100).ids, reverse=True)
        with monkeypatch.context() as patch:
            patch.setattr(results, "PYTHON_RANK_DOCUMENTS", way)
            if way == PYTHON:
                # Not bm25's statement: the ranks are Python's own.
                patch.setattr(results, "_fts_match", lambda *args, **kwargs: pytest.fail("bm25's statement ran"))
            return results._ranks(query, scope, ids, prepared.rank_words)


@pytest.mark.parametrize(
    "text, who",
    [
        ("invoice", "admin"),  # a whole word: "invoices", "invoice_id"'s "invoice" as FTS5 cuts it
        ("INVOICE", "admin"),
        ("invoi", "admin"),  # a partial word: every form counts
        ("inv", "admin"),  # FTS5's own prefix index
        ("invoice -march", "admin"),
        ('"export timeout"', "admin"),  # a phrase: next to each other, whatever separates them
        ('"export timeout" -failed', "admin"),
        ("e-mail", "admin"),  # a word of two tokens, the last a prefix
        ("muller", "admin"),  # accents and case folded as FTS5 folds them (non-ASCII text)
        ("müll", "admin"),
        ("straße", "admin"),  # a character FTS5 keeps as it is
        ("invoice", "customer"),  # a customer's rank never counts notes
        ('"export timeout"', "customer"),
    ],
)
def test_python_ranks_are_bm25s_without_the_idf(app, world, texts, monkeypatch, text, who):
    in_python = ranks(app, world, monkeypatch, text, who, PYTHON)
    by_fts5 = ranks(app, world, monkeypatch, text, who, FTS5)
    assert by_fts5, text
    # bm25's scores divided by the IDF of one of them: the others fall on Python's (to the
    # rounding), so every score is Python's times the same factor.
    assert in_python == by_fts5
    order = sorted(by_fts5, key=lambda ticket_id: (by_fts5[ticket_id], -ticket_id))
    assert sorted(in_python, key=lambda ticket_id: (in_python[ticket_id], -ticket_id)) == order


def test_scores_differ_where_bm25s_do(app, world, texts, monkeypatch):
    """Three times the word (once in the subject) ranks above once in a long message."""
    n = texts.numbers
    with monkeypatch.context() as patch:
        patch.setattr(results, "PYTHON_RANK_DOCUMENTS", PYTHON)
        found = search(app, world, "invoice", per_page=100)[0]
    assert found.index(n["three"]) < found.index(n["long"])
    assert len(set(ranks(app, world, monkeypatch, "invoice", "admin", PYTHON).values())) > 3


@pytest.mark.parametrize("text", ["invoice", "invoi", '"export timeout"', "muller", "invoice -march"])
@pytest.mark.parametrize("who", ["admin", "customer"])
def test_the_pages_are_the_same_either_way(app, world, texts, monkeypatch, text, who):
    """And a page's cursor, made one way, leads to the same next page the other way."""
    pages, cursors = [], []
    for way in (PYTHON, FTS5):
        with monkeypatch.context() as patch:
            patch.setattr(results, "PYTHON_RANK_DOCUMENTS", way)
            numbers, page = search(app, world, text, who, per_page=2)
            rank, ticket_id = results.decode_cursor(page.next_cursor)
            pages.append((numbers, ticket_id, int(page.total)))
            cursors.append((rank, page.next_cursor))
    assert pages[0] == pages[1]
    assert cursors[0][0] == cursors[1][0]
    following = []
    for way, (_, cursor) in zip((FTS5, PYTHON), cursors, strict=True):
        with monkeypatch.context() as patch:
            patch.setattr(results, "PYTHON_RANK_DOCUMENTS", way)
            following.append(search(app, world, text, who, per_page=2, cursor=cursor)[0])
    assert following[0] == following[1] and following[0]
    assert not set(following[0]) & set(pages[0][0])


def test_two_terms_are_ranked_by_bm25(app, world, texts):
    """Their IDFs weigh them against each other: only bm25 knows them."""
    with app.test_request_context():
        connect = driver_connect(session)
        assert bm25.one_term(parse("invoice overdue"), None, connect) is None
        assert bm25.one_term(parse("invoice -overdue"), None, connect) == (("invoice",), True)
        assert bm25.one_term(parse('"Export Timeout"'), None, connect) == (("export", "timeout"), False)


@pytest.mark.parametrize(
    "text, sequence, prefix, expected",
    [
        ("Invoice, invoice; INVOICE", ("invoice",), False, 3),
        ("invoices invoiced reinvoice", ("invoice",), False, 0),
        ("invoices invoiced reinvoice", ("invoice",), True, 2),
        ("foo_invoice invoice2 invoice-2", ("invoice",), False, 2),  # "_" and "-" separate; "invoice2" is one word
        ("export timeout, export: timeout, export the timeout", ("export", "timeout"), False, 2),
        ("export timeouts", ("export", "timeout"), False, 0),
        ("export timeouts", ("export", "timeout"), True, 1),
        ("exportexport timeout", ("export", "timeout"), False, 0),
        ("Invoicé INVOİCE invoice\u0301", ("invoice",), False, 3),  # folded as FTS5 folds them
        ("Müller MÜLLER mueller", ("muller",), False, 2),
        ("", ("invoice",), False, 0),
    ],
)
def test_occurrences_are_counted_as_fts5_counts_them(app, text, sequence, prefix, expected):
    with app.app_context():
        assert bm25.occurrences(text, sequence, prefix, driver_connect(session)) == expected


def test_varints_are_sqlites():
    assert bm25.varints(b"\x00\x7f\x81\x00\x82\x2c") == [0, 127, 128, 300]
    assert bm25.varints(b"\xff" * 9) == [2**64 - 1]
    assert bm25._total(b"\x05\x82\x2c\x00") == 305
