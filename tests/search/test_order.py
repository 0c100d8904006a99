"""The order of ranked results, their pages and counts at the edges: ties, the unranked tail, the cap, snippets."""

import pytest
import sqlalchemy as sa
from markupsafe import escape

from xobito_tickets.db import session
from xobito_tickets.models import Ticket, User
from xobito_tickets.search import results
from xobito_tickets.search.filters import visibility_tokens
from xobito_tickets.search.query import parse
from xobito_tickets.search.snippets import make_snippet
from xobito_tickets.tickets.access import visible_tickets_clause
from xobito_tickets.tickets.services import close_ticket

from .conftest import search
from .test_filters import act, find


def pages(app, world, text, per_page, **options):
    """Return every page of a search, following the next cursors from the first."""
    numbers, page = search(app, world, text, per_page=per_page, **options)
    found = [(numbers, page)]
    while page.next_cursor:
        numbers, page = search(app, world, text, per_page=per_page, cursor=page.next_cursor, **options)
        found.append((numbers, page))
    return found


@pytest.fixture
def wombats(desk):
    """Eight tickets with the same text but one, which has the word three times (ids ascending)."""
    for n in range(8):
        desk.ticket(f"w{n}", f"Wombat {n}", "wombat wombat wombat" if n == 4 else "wombat")
    return [desk.numbers[f"w{n}"] for n in range(8)]


def test_equal_ranks_go_newest_first_and_the_unranked_follow_newest_first(app, world, wombats, monkeypatch):
    monkeypatch.setattr(results, "RANKED", 5)
    w = wombats
    # The newest five are ranked (w4 first: the word three times; the others tie, newest
    # first); w2, w1, w0 are not ranked and follow, newest first.
    expected = [w[4], w[7], w[6], w[5], w[3], w[2], w[1], w[0]]
    walked = pages(app, world, "wombat", per_page=3)
    assert [number for numbers, _ in walked for number in numbers] == expected
    assert [len(numbers) for numbers, _ in walked] == [3, 3, 2]
    assert walked[0][1].is_first and walked[0][1].prev_cursor is None
    # Back from each page: the page before it, whole.
    for (before_numbers, _), (_, page) in zip(walked, walked[1:], strict=False):
        numbers, back = search(app, world, "wombat", per_page=3, before=page.prev_cursor)
        assert numbers == before_numbers
    numbers, back = search(app, world, "wombat", per_page=3, before=walked[1][1].prev_cursor)
    assert back.is_first and back.prev_cursor is None and back.next_cursor


def test_only_the_ids_near_the_newest_are_ranked(app, world, wombats, monkeypatch):
    """RANK_SPAN: a match further back than that from the newest ranked one stays unranked."""
    w = wombats
    with app.test_request_context():
        if session.get_bind().dialect.name == "postgresql":
            pytest.skip("PostgreSQL ranks the ranked ids by id (ts_rank); the span bounds FTS5's rowid range")
        ids = dict(session.execute(sa.text("SELECT number, id FROM tickets_tickets")).all())
    monkeypatch.setattr(results, "RANK_SPAN", ids[w[7]] - ids[w[5]])
    # w7, w6, w5 tie within the span; w4 (three times the word) is too far back to be ranked.
    expected = [w[7], w[6], w[5], w[4], w[3], w[2], w[1], w[0]]
    assert [numbers for numbers, _ in pages(app, world, "wombat", per_page=3)] == [
        expected[0:3],
        expected[3:6],
        expected[6:8],
    ]


def test_a_cursor_between_results_starts_after_its_place(app, world, wombats, monkeypatch):
    """A cursor is a place in the order, not a result: the one of a ticket no longer found still pages on."""
    monkeypatch.setattr(results, "RANKED", 2)
    w = wombats
    with app.test_request_context():
        ids = dict(session.execute(sa.text("SELECT number, id FROM tickets_tickets")).all())
    # Unranked, just after w5's place (the unranked go newest first): w4 and older.
    cursor = results.encode_cursor(results.UNRANKED, ids[w[5]])
    numbers, page = search(app, world, "wombat", per_page=3, cursor=cursor)
    assert numbers == [w[4], w[3], w[2]] and not page.is_first
    numbers, page = search(app, world, "wombat", per_page=3, before=cursor)
    assert numbers == [w[7], w[6]] and page.is_first
    # Past the last result: an empty page that is not the first.
    numbers, page = search(app, world, "wombat", per_page=3, cursor=results.encode_cursor(results.UNRANKED, 1))
    assert numbers == [] and page.next_cursor is None and page.prev_cursor is None and not page.is_first


def test_counts_at_the_limit_are_not_capped_and_one_more_is(app, world, desk):
    ids = [desk.ticket(str(n), "Ocelot", f"Ocelot {n}.") for n in range(5)]
    act(app, world, ids[0], close_ticket)
    found, page = find(app, world, "ocelot", limit=5)
    assert len(found) == 5 and page.total == 5 and not page.total.capped and page.total.label == "5"
    assert dict(page.status_counts) == {"open": 4, "closed": 1}
    assert not page.status_counts["closed"].capped and page.status_counts["pending"] == 0
    found, page = find(app, world, "ocelot", statuses=["closed"], limit=5)
    assert found == [ids[0]] and not page.total.capped and page.status_counts.total == 5
    found, page = find(app, world, "ocelot", limit=4)
    assert len(found) == 4 and page.total.capped and page.total.label == "4+"
    assert page.status_counts.total.capped and page.status_counts["pending"].label == "0+"
    # The closed one is past the four newest counted: found among the older matches.
    found, page = find(app, world, "ocelot", statuses=["closed"], limit=4)
    assert found == [ids[0]] and not page.total.capped
    assert page.status_counts["closed"] == 0 and page.status_counts["closed"].label == "0+"


def test_a_staff_search_on_sqlite_reads_no_departments_and_finds_the_same(app, world, desk):
    """SQLite checks a staff member's visibility in the probe index: their tokens are not read, nor needed."""
    desk.ticket("mine", "Narwhal here", "Narwhal.", department="support")
    desk.ticket("theirs", "Narwhal there", "Narwhal.", department="billing")
    with app.test_request_context():
        staff = session.get(User, world.staff_id)
        scope = results.Scope.of(staff, visible_tickets_clause(staff))
        tokens = visibility_tokens(staff, session)
        if session.get_bind().dialect.name == "postgresql":
            assert scope.tokens == tokens
        else:
            assert scope.tokens == ()
        with_tokens = results.search(parse("narwhal"), results.Scope(**{**vars(scope), "tokens": tokens}))
        without = results.search(parse("narwhal"), scope)
        assert with_tokens.ids == without.ids and len(without.ids) == 1
        assert dict(with_tokens.status_counts) == dict(without.status_counts)


def test_a_snippet_is_escaped_text_with_the_words_marked():
    snippet = make_snippet(parse("mull caf"), "head\n<b>Herr Müller</b> & the café <i>", None)
    assert snippet.html == "&lt;b&gt;Herr <mark>Müller</mark>&lt;/b&gt; &amp; the <mark>café</mark> &lt;i&gt;"
    assert snippet.html == "".join(
        f"<mark>{escape(text)}</mark>" if hit else str(escape(text)) for text, hit in snippet.segments
    )
    # Upper case and accents fold to the words; a text without the words has no snippet.
    assert ("CAFÉ", True) in make_snippet(parse("cafe"), "head\nTHE CAFÉ", None).segments
    assert make_snippet(parse("cafe"), "head\nno such word here", "nor here") is None
    assert make_snippet(parse('"jam"'), "head\npaper jams", None) is None  # a whole word, not a prefix
    assert make_snippet(parse("jam"), "head\npaper jams", None).segments == (("paper ", False), ("jams", True))


def test_a_search_sees_the_changes_of_its_session_not_yet_flushed(app, world, desk):
    """The windows and rows run on the session's connection: the session is flushed first, as by its execute."""
    desk.ticket("quoll", "Quoll", "A quoll.")
    with app.test_request_context():
        admin = session.get(User, world.admin_id)
        ticket = session.scalar(sa.select(Ticket).where(Ticket.number == desk.numbers["quoll"]))
        scope = results.Scope.of(admin, visible_tickets_clause(admin))
        ticket.status = "pending"  # not flushed
        page = results.search(parse("quoll"), scope, (), ["pending"])
        assert page.ids == [ticket.id] and dict(page.status_counts) == {"pending": 1}
        session.rollback()
