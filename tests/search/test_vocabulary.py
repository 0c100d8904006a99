"""Prefixes read as the words they stand for (the vocabularies: PostgreSQL's lexemes, SQLite's terms).

A search asks the index for the words a prefix stands for instead of the prefix; the
answer (the tickets, their order, the counts) must be the one of the prefix itself.
"""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Ticket, User
from xobito_tickets.search import index, results
from xobito_tickets.search.query import parse
from xobito_tickets.search.schema import LEXEME_TABLE, TERM_TABLE
from xobito_tickets.tickets.access import visible_tickets_clause
from xobito_tickets.tickets.services import post_reply
from xobito_tickets.workspace.services import add_note

from .conftest import search


def is_postgresql(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture
def words(desk):
    desk.ticket("overdue", "Invoice overdue", "The invoice is late, the invoice is wrong.")
    desk.ticket("march", "Invoices for March", "Two invoices attached.")
    desk.ticket("how", "Invoicing question", "How does invoicing work?", requester="other_customer")
    desk.ticket("items", "Invoiceable items", "Which items are invoiceable?", department="billing")
    desk.ticket("stock", "Inventory", "The inventory count is off.")
    desk.ticket(
        "reply",
        "Login trouble",
        "Cannot log in.",
        replies=[("staff", "Your invoicerun is scheduled."), ("customer", "Thanks for the invoice.")],
    )
    return desk


def both_ways(app, world, monkeypatch, text, who="admin", **options):
    """Return ``(numbers, total)`` of ``text`` with its prefixes read as words, then read as prefixes."""
    numbers, page = search(app, world, text, who, **options)
    expanded = (numbers, (int(page.total), page.total.capped) if page else None)
    with monkeypatch.context() as patch:
        # No prefix stands for fewer words than none: every prefix is read as a prefix.
        patch.setattr(results, "PREFIX_LEXEMES", 0)
        numbers, page = search(app, world, text, who, **options)
    return expanded, (numbers, (int(page.total), page.total.capped) if page else None)


def prepared(app, world, text, who="admin"):
    with app.test_request_context():
        user = session.get(User, getattr(world, who + "_id"))
        return results._prepare(parse(text), results.Scope.of(user, visible_tickets_clause(user)))


@pytest.mark.parametrize(
    "text",
    [
        "invoice",
        "invoic",
        "Invoi",
        "inv",
        "invoice -march",
        "invoice -invoicing",
        "invoice items",
        '"the invoice" invoi',
        "invoicerun",
        "inventory -invoice",
    ],
)
def test_a_prefix_read_as_its_words_finds_what_the_prefix_finds(app, world, words, monkeypatch, text):
    expanded, as_prefix = both_ways(app, world, monkeypatch, text)
    if is_postgresql(app):
        assert expanded == as_prefix
    else:
        # The same tickets and counts; SQLite ranks a whole word typed as that word (below).
        assert sorted(expanded[0]) == sorted(as_prefix[0]) and expanded[1] == as_prefix[1]
    # (PostgreSQL's English stemming makes "invoicing" an "invoice": nothing is left.)
    assert expanded[0] or text == "invoice -invoicing", text


def test_the_words_are_those_of_the_index(app, world, words):
    n = words.numbers
    found = search(app, world, "invoi")[0]
    assert sorted(found) == sorted([n["overdue"], n["march"], n["how"], n["items"], n["reply"]])
    if is_postgresql(app):
        # The prefix was read as the lexemes it stands for (GIN entries).
        assert prepared(app, world, "invoi").words is not None


def test_sqlite_ranks_a_whole_word_first_then_the_longer_words_newest_first(app, world, words):
    if is_postgresql(app):
        pytest.skip("PostgreSQL ranks the query as typed (its stemmer makes these words one)")
    n = words.numbers
    found = search(app, world, "invoice")[0]
    # Three times "invoice" (once in the subject), then once; then "invoices", "invoiceable"
    # and "invoicerun" only, newest first.
    assert found == [n["overdue"], n["reply"], n["items"], n["march"]]
    # A partial word is ranked as the prefix: every form counts.
    assert search(app, world, "invoi")[0][0] == n["overdue"]
    # The ranks' statement excludes what the window excluded, as the words it stands for.
    ranked = {term.tokens[0]: words for term, words in prepared(app, world, "invoice -invoicin").rank_words.items()}
    assert ranked == {"invoice": ("invoice",), "invoicin": ("invoicing",)}
    assert search(app, world, "invoice -invoicin")[0] == [n["overdue"], n["reply"], n["items"], n["march"]]


def test_order_and_counts_are_those_of_the_prefix_across_pages(app, world, desk, monkeypatch):
    for n in range(9):
        desk.ticket(f"t{n}", f"Walrus {n}", "walrus " * (n % 4 + 1) + ("walruses" if n % 3 == 0 else ""))
    for options in ({"limit": 5, "per_page": 2}, {"limit": 50, "per_page": 4}):
        pages = []
        for as_prefix in (False, True):
            with monkeypatch.context() as patch:
                if as_prefix:
                    patch.setattr(results, "PREFIX_LEXEMES", 0)
                numbers, page = search(app, world, "walru", **options)
                seen = [numbers]
                while page.next_cursor:
                    numbers, page = search(app, world, "walru", cursor=page.next_cursor, **options)
                    seen.append(numbers)
                pages.append(seen)
        assert pages[0] == pages[1]


def test_a_word_in_no_ticket_answers_without_reading_the_index(app, world, words):
    assert search(app, world, "zyxwvut")[0] == []
    assert prepared(app, world, "zyxwvut").nothing
    # Excluding it leaves the others; a stop word is left out as the parser does.
    assert not prepared(app, world, "invoice -zyxwvut").nothing
    assert not prepared(app, world, "the invoice").nothing
    assert len(search(app, world, "invoice -zyxwvut")[0]) == len(search(app, world, "invoice")[0]) > 0


def test_a_prefix_of_too_many_words_stays_a_prefix(app, world, words, monkeypatch):
    monkeypatch.setattr(results, "PREFIX_LEXEMES", 1)
    expanded, as_prefix = both_ways(app, world, monkeypatch, "invoi")
    assert expanded == as_prefix and len(expanded[0]) == 5


def test_customers_never_find_a_word_of_a_note_through_its_prefix(app, world, words, monkeypatch):
    with app.test_request_context():
        staff = session.get(User, world.staff_id)
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == words.numbers["overdue"]))
        add_note(ticket, staff, "The invoicexyz batch failed.")
    assert search(app, world, "invoicex")[0] == [words.numbers["overdue"]]
    expanded, as_prefix = both_ways(app, world, monkeypatch, "invoicex", who="customer")
    assert expanded == as_prefix and expanded[0] == []
    # The customer's own words are found by prefix.
    expanded, as_prefix = both_ways(app, world, monkeypatch, "invoi", who="customer")
    assert expanded == as_prefix and words.numbers["overdue"] in expanded[0]


def test_a_word_a_reply_brings_is_found_by_its_prefix_at_once(app, world, words):
    assert search(app, world, "frobnic")[0] == []
    with app.test_request_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == words.numbers["stock"]))
        post_reply(ticket, session.get(User, world.staff_id), "The frobnicator is back.")
    assert search(app, world, "frobnic")[0] == [words.numbers["stock"]]


def vocabulary(app):
    table, column = (LEXEME_TABLE, "lexeme") if is_postgresql(app) else (TERM_TABLE, "term")
    with app.app_context():
        return set(session.scalars(sa.text(f"SELECT {column} FROM {table}")))


def test_the_vocabulary_kept_by_each_change_is_the_one_a_reindex_builds(app, world, words):
    with app.test_request_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == words.numbers["stock"]))
        add_note(ticket, session.get(User, world.staff_id), "Stocktaking on Thursday, order 55012.")
    kept = vocabulary(app)
    if is_postgresql(app):
        assert {"invoic", "invoicerun", "inventori", "stocktak"} <= kept
        assert not any(lexeme.startswith("=") or lexeme.isdigit() for lexeme in kept)
    else:
        assert {"invoice", "invoicerun", "inventory", "stocktaking", "thursday"} <= kept
        # Not the filter tokens, numbers, or words a prefix index answers (3 characters or fewer).
        assert not any(term.isdigit() or len(term) < 4 or term.startswith(("sopen", "t1")) for term in kept)
    with app.app_context():
        index.reindex()
    assert vocabulary(app) == kept


def test_sqlites_vocabulary_is_the_one_fts5_made(app, world, desk):
    """The terms are cut and folded in Python as FTS5 does: the table equals FTS5's own vocabulary."""
    if is_postgresql(app):
        pytest.skip("SQLite's FTS5")
    texts = [
        "Müller's Straße: Ørsted, Ærø, İstanbul, ﬁnance, ＡＢＣＤ, Ⅻ½ and naïve CAFÉ",
        "Привет мир, 東京都庁 office, Ελληνικά, עִבְרִית, ＳＥＡＲＣＨ, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, emoji😀stays, áccent",
        "snake_case-words, dotted.words, e-mail@example.com, 1st 2nd ²³, résumé résumé",
    ]
    for n, text in enumerate(texts):
        desk.ticket(f"u{n}", f"Unicode {n}", text, replies=[("staff", text.upper())])
    from xobito_tickets.search import schema

    with app.app_context():
        connection = session.connection()
        connection.exec_driver_sql("DELETE FROM " + TERM_TABLE)
        schema.fill_terms(connection)
        from_fts5 = set(session.scalars(sa.text(f"SELECT term FROM {TERM_TABLE}")))
        session.rollback()
    kept = vocabulary(app)
    assert {"muller", "straße", "ørsted", "istanbul", "привет", "東京都庁", "resume"} <= kept
    assert kept == from_fts5
    # And each found by its prefix, read as these words.
    for prefix, key in (("mulle", "u0"), ("ørst", "u0"), ("прив", "u1"), ("resum", "u2"), ("snake", "u2")):
        assert search(app, world, prefix)[0] == [desk.numbers[key]], prefix


def test_a_failed_change_leaves_no_term_behind_and_no_memory_of_one(app, world, words):
    """A rolled-back write must not make the process believe the table has its terms."""
    if is_postgresql(app):
        pytest.skip("SQLite's vocabulary")
    with app.test_request_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == words.numbers["stock"]))
        index.append_message(ticket, "The quuxifier broke.")
        session.rollback()
    assert "quuxifier" not in vocabulary(app)
    # The same word written again is written: the process had not counted it as stored.
    with app.test_request_context():
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == words.numbers["stock"]))
        post_reply(ticket, session.get(User, world.staff_id), "The quuxifier is fixed.")
    assert "quuxifier" in vocabulary(app)
    assert search(app, world, "quuxif")[0] == [words.numbers["stock"]]
