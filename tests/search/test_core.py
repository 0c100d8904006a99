"""The index and the query language, called directly: what matches, in which order, for whom."""

import pytest

from xobito_tickets.search.query import parse

from .conftest import search


@pytest.fixture
def tickets(desk):
    desk.ticket("cafe", "Café order", "The café machine leaks.")
    desk.ticket("muller", "Account of Herr Müller", "Please update the account.")
    desk.ticket(
        "invoice",
        "Invoice 4411 twice",
        "We were charged twice for invoice 4411.",
        replies=[
            ("staff", "We refunded the duplicate invoice."),
        ],
    )
    desk.ticket("phrase", "Printer question", "The printer paper jams every morning.", requester="other_customer")
    desk.ticket("reply", "Login trouble", "Cannot log in.", replies=[("staff", "Try clearing the browser cache.")])
    desk.ticket("street", "Neue Adresse", "Wir sind jetzt in der Hauptstraße 5.")
    return desk


def is_postgresql(app):
    # PostgreSQL's unaccent spells "ß" "ss" in the text and in the words searched alike.
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def found(app, world, text, who="admin"):
    return search(app, world, text, who)[0]


def test_prefix_case_and_accents(app, world, tickets):
    n = tickets.numbers
    assert found(app, world, "cafe") == [n["cafe"]]
    assert found(app, world, "CAFÉ") == [n["cafe"]]
    assert found(app, world, "caf") == [n["cafe"]]
    assert found(app, world, "muller") == [n["muller"]]
    assert found(app, world, "Müll") == [n["muller"]]
    assert found(app, world, "browser") == [n["reply"]]
    assert found(app, world, "4411") == [n["invoice"]]
    assert found(app, world, "441") == []  # digits match whole numbers only
    # "ß" is a letter of its own in both indexes' lower case (not "ss", as case folding makes it).
    assert found(app, world, "Hauptstraße") == [n["street"]]
    assert found(app, world, "HAUPTSTRASSE") == ([n["street"]] if is_postgresql(app) else [])
    numbers, page = search(app, world, "hauptstraß")
    assert numbers == [n["street"]]
    assert ("Hauptstraße", True) in page.snippets[page.ids[0]].segments


def test_phrases_and_exclusion(app, world, tickets):
    n = tickets.numbers
    assert found(app, world, '"paper jams"') == [n["phrase"]]
    assert found(app, world, '"jams paper"') == []
    assert sorted(found(app, world, "twice")) == [n["invoice"]]
    assert found(app, world, "account -muller") == []
    assert found(app, world, 'printer -"paper jams"') == []
    assert found(app, world, "printer -login") == [n["phrase"]]


@pytest.mark.parametrize(
    "text", ['"unbalanced', "NEAR(a b", "*", '"', "a OR b", "col:value", "^x", "-", '""', "()", "'; DROP TABLE x"]
)
def test_bad_syntax_is_read_as_words(app, world, tickets, text):
    search(app, world, text)  # no error


def test_parse_makes_terms():
    query = parse('invoi "paper jams" -login TKT-000042 print_ 100%')
    assert [(t.tokens, t.prefix, t.negated) for t in query.terms] == [
        (("invoi",), True, False),
        (("paper", "jams"), False, False),
        (("login",), True, True),
        (("print",), False, False),
        (("100",), False, False),
    ]
    assert query.numbers == (42,)


def test_counts_stop_at_the_limit_and_pages_follow_the_rank(app, world, desk):
    for n in range(7):
        desk.ticket(f"t{n}", f"Quasar {n}", "quasar " * (n + 1))
    numbers, page = search(app, world, "quasar", limit=5, per_page=2)
    assert page.total == 5 and page.total.capped and page.total.label == "5+"
    assert page.status_counts["open"].label == "5+"
    seen = list(numbers)
    while page.next_cursor:
        numbers, page = search(app, world, "quasar", limit=5, per_page=2, cursor=page.next_cursor)
        seen += numbers
    # The newest five are ranked: the one with the word most often first.
    assert seen == [desk.numbers[f"t{n}"] for n in (6, 5, 4, 3, 2)]
    numbers, back = search(app, world, "quasar", limit=5, per_page=2, before=page.prev_cursor)
    assert numbers == [desk.numbers["t4"], desk.numbers["t3"]]
    numbers, page = search(app, world, "quasar", per_page=2, cursor="not-a-cursor")
    assert page.is_first and page.total == 7 and not page.total.capped
