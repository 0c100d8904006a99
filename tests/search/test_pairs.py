"""Phrases: what a quoted phrase finds, and PostgreSQL's pairs of words that answer it from the index."""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Ticket, User
from xobito_tickets.search import results, schema
from xobito_tickets.search.index import reindex
from xobito_tickets.search.query import Term, parse
from xobito_tickets.workspace.services import add_note

from .conftest import scope_of, search


def is_postgresql(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture
def phrases(desk, app, world):
    desk.ticket("subject", "Export timeout on reports", "It stops after a minute.")
    desk.ticket("body", "Reports", "Since Monday the export timeout happens every night.")
    desk.ticket("apart", "Export", "The export of the data hits a timeout.")
    desk.ticket("reversed", "Timeout", "A timeout, then the export starts again.")
    # The body's last word and the reply's first: next to each other in the document's text.
    desk.ticket(
        "across", "Nightly job", "It fails during the export", replies=[("staff", "Timeout raised to an hour.")]
    )
    desk.ticket("bill", "Papers", "Where is the bill of sale for the car?")
    note_id = desk.ticket("note", "Slow page", "The page is slow.")
    with app.test_request_context():
        add_note(
            session.get(Ticket, note_id), session.get(User, world.staff_id), "Looks like the export timeout again."
        )
    return desk.numbers


def found(app, world, text, who="admin"):
    return sorted(search(app, world, text, who)[0])


def test_a_phrase_finds_its_words_next_to_each_other_in_order(app, world, phrases):
    n = phrases
    expected = sorted([n["subject"], n["body"], n["across"], n["note"]])
    assert found(app, world, '"export timeout"') == expected
    assert found(app, world, '"EXPORT Timeout"') == expected
    assert found(app, world, '"timeout export"') == []
    # Notes are the staff's: a customer's phrase never finds one.
    assert found(app, world, '"export timeout"', who="customer") == sorted([n["subject"], n["body"], n["across"]])
    assert found(app, world, '"looks like"', who="customer") == []
    assert found(app, world, '"looks like"', who="staff") == [n["note"]]
    # Three words: every pair, in order.
    assert found(app, world, '"export timeout happens"') == [n["body"]]
    # Excluded phrases.
    assert found(app, world, 'export -"export timeout"') == sorted([n["apart"], n["reversed"]])
    assert found(app, world, 'timeout -"export timeout happens"') == sorted(
        [n["subject"], n["apart"], n["reversed"], n["across"], n["note"]]
    )


def test_a_phrase_with_a_stop_word_inside_still_finds_it(app, world, phrases):
    # "of" is no lexeme in English: the phrase is "bill", a gap, "sale" (no pair stands for it).
    assert found(app, world, '"bill of sale"') == [phrases["bill"]]
    assert found(app, world, '"bill sale"') == []


def test_the_phrase_stays_found_after_a_reindex(app, world, phrases):
    before = found(app, world, '"export timeout"')
    with app.app_context():
        reindex()
    assert found(app, world, '"export timeout"') == before
    assert found(app, world, '"export timeout"', who="customer") == sorted(
        [phrases["subject"], phrases["body"], phrases["across"]]
    )


def test_postgresql_answers_a_two_word_phrase_with_its_pair_alone(app, world, phrases):
    if not is_postgresql(app):
        pytest.skip("PostgreSQL's pairs of words (FTS5 keeps positions in its index)")
    with app.test_request_context():
        staff = results._prepare(parse('"export timeout"'), scope_of(world, "admin"))
        customer = results._prepare(parse('"export timeout"'), scope_of(world, "customer"))
        longer = results._prepare(parse('"export timeout happens"'), scope_of(world, "admin"))
        gap = results._prepare(parse('"bill of sale"'), scope_of(world, "admin"))

        def text_of(words):
            return " ".join(str(value) for value in words.compile().params.values())

        # The pair, in the customer-facing text or in the notes, and no position to compare.
        assert "'~export timeout' | '~~export timeout'" in text_of(staff.words)
        assert "<->" not in text_of(staff.words)
        assert "~~" not in text_of(customer.words) and "'~export timeout'" in text_of(customer.words)
        # More words: the pairs narrow, the phrase decides.
        assert "'~timeout happen'" in text_of(longer.words) and "<->" in text_of(longer.words)
        # A stop word inside: no pair, the phrase as typed.
        assert gap.words is None
        vector = session.scalar(
            sa.text(
                "SELECT array_to_string(tsvector_to_array(search_vector), '|') FROM tickets_search_documents "
                "WHERE ticket_id = (SELECT id FROM tickets_tickets WHERE number = :n AND tenant_id = :t)"
            ),
            {"n": phrases["note"], "t": world.acme_id},
        ).split("|")
        # The note's pairs are marked as the notes'; the subject's and the body's are not.
        assert "~~export timeout" in vector and "~export timeout" not in vector
        assert "~slow page" in vector and "~~slow page" not in vector


def test_phrase_pairs_only_for_one_lexeme_per_position_without_gaps():
    phrase = Term(("export", "timeout"))
    assert results._phrase_pairs(phrase, ["export", "timeout"], [1, 2]) == ["export timeout"]
    assert results._phrase_pairs(Term(("a", "b", "c")), ["a", "b", "c"], [1, 2, 3]) == ["a b", "b c"]
    assert results._phrase_pairs(Term(("bill", "of", "sale")), ["bill", "sale"], [1, 3]) is None
    assert results._phrase_pairs(Term(("the", "export")), ["export"], [2]) is None
    assert results._phrase_pairs(Term(("x", "y")), ["x", "x2", "y"], [1, 1, 2]) is None
    assert results._phrase_pairs(Term(("e", "mail"), prefix=True), ["e", "mail"], [1, 2]) is None


def test_an_index_built_before_the_pairs_gains_them(empty_app):
    from flask_migrate import upgrade

    from xobito_tickets.demo import build_demo

    app = empty_app
    with app.app_context():
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL's pairs of words")
        upgrade(revision="search_status_department")
        build_demo()
        session.commit()
        vector = sa.text("SELECT ticket_id, search_vector::text FROM tickets_search_documents ORDER BY ticket_id")
        built = session.execute(vector).all()
        # The vectors as that revision left them: no pair, and no function to make them.
        session.execute(
            sa.text(
                "UPDATE tickets_search_documents SET search_vector = ts_delete(search_vector, "
                "ARRAY(SELECT u.lexeme FROM unnest(search_vector) AS u WHERE u.lexeme LIKE '~%'))"
            )
        )
        session.execute(sa.text(f"DROP FUNCTION {schema.PAIRS_FUNCTION_SIGNATURE}"))
        session.commit()
        assert "~" not in "".join(text for _, text in session.execute(vector))
        session.remove()

        upgrade()

        assert session.execute(vector).all() == built
        assert any("'~" in text for _, text in built)


def test_messages_appended_make_the_pairs_of_the_whole_vector(app, world, desk):
    if not is_postgresql(app):
        pytest.skip("PostgreSQL's pairs of words")
    ticket_id = desk.ticket("t", "Export timeout", "The nightly export", replies=[("staff", "Timeout again, sorry.")])
    with app.test_request_context():
        ticket, author = session.get(Ticket, ticket_id), session.get(User, world.staff_id)
        add_note(ticket, author, "Customer angry about the export")
        session.commit()
    desk_reply = ("customer", "Timeout at noon too.")
    with app.test_request_context():
        from xobito_tickets.tickets.services import post_reply

        post_reply(session.get(Ticket, ticket_id), session.get(User, world.customer_id), desk_reply[1])
    vector = sa.text("SELECT search_vector::text FROM tickets_search_documents WHERE ticket_id = :t")
    with app.app_context():
        appended = session.scalar(vector, {"t": ticket_id})
        # The pairs across each message's start: the note's first word after the reply's
        # last, marked as the notes'; the customer's reply after the note, too.
        assert "'~~sorri custom'" in appended and "'~~export timeout'" in appended
        assert "'~export timeout'" in appended and "'~night export'" in appended
        # Each message paired only its own words (and the one before it): the same pairs as
        # all of the vector's positions make at once.
        again = sa.text(
            f"SELECT {schema.with_pairs('v')}::text FROM (SELECT ts_delete(search_vector, ARRAY("
            "SELECT u.lexeme FROM unnest(search_vector) AS u WHERE u.lexeme LIKE '~%')) AS v "
            "FROM tickets_search_documents WHERE ticket_id = :t) AS d"
        )
        assert session.scalar(again, {"t": ticket_id}) == appended
