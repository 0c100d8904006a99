"""The filter tokens in the index: kept with each change of status, department, assignee and priority."""

import pytest
import sqlalchemy as sa

from xobito_tickets import signals
from xobito_tickets.db import session
from xobito_tickets.merge.services import merge_ticket
from xobito_tickets.models import Department, Priority, Ticket, TicketStatus, User
from xobito_tickets.search import filters, results
from xobito_tickets.search.filters import filter_groups, ticket_tokens
from xobito_tickets.search.index import build_documents, reindex
from xobito_tickets.search.models import SearchDocument
from xobito_tickets.search.query import parse
from xobito_tickets.tickets.access import visible_tickets_clause
from xobito_tickets.tickets.services import (
    assign_ticket,
    change_priority,
    close_ticket,
    post_reply,
    reopen_ticket,
)


def find(app, world, text, who="admin", statuses=(), department=None, assignee=None, priorities=(), **options):
    """Return the ticket ids ``who`` finds with ``text`` and these filters, through :meth:`Scope.of` (tokens too)."""
    with app.test_request_context():
        user = session.get(User, getattr(world, who + "_id"))
        conditions = []
        if department is not None:
            conditions.append(Ticket.department_id == department)
        if assignee is not None:
            conditions.append(Ticket.assignee_id.is_(None) if assignee == 0 else Ticket.assignee_id == assignee)
        if priorities:
            conditions.append(Ticket.priority.in_(priorities))
        page = results.search(
            parse(text),
            results.Scope.of(user, visible_tickets_clause(user)),
            conditions,
            statuses,
            groups=filter_groups(department_id=department, assignee_id=assignee, priorities=priorities),
            **options,
        )
        return page.ids, page


def stored_tokens(app, ticket_id):
    with app.app_context():
        return session.scalar(sa.select(SearchDocument.filter_text).where(SearchDocument.ticket_id == ticket_id))


def built_tokens(app, ticket_id):
    with app.app_context():
        return build_documents(Ticket.id == ticket_id)[0]["filter_text"]


def act(app, world, ticket_id, change, who="admin"):
    """Run ``change(ticket, person)`` through the services, in a request."""
    with app.test_request_context():
        change(session.get(Ticket, ticket_id), session.get(User, getattr(world, who + "_id")))


def test_a_status_change_moves_the_ticket_between_filtered_searches(app, world, desk):
    ticket_id = desk.ticket("t", "Heron sighting", "A heron by the pond.")
    assert find(app, world, "heron", statuses=["open"])[0] == [ticket_id]
    assert find(app, world, "heron", statuses=["closed"])[0] == []

    act(app, world, ticket_id, close_ticket)
    assert "=sclosed" in stored_tokens(app, ticket_id).split()
    assert find(app, world, "heron", statuses=["open"])[0] == []
    assert find(app, world, "heron", statuses=["closed"])[0] == [ticket_id]

    act(app, world, ticket_id, reopen_ticket)
    assert find(app, world, "heron", statuses=["open"])[0] == [ticket_id]

    # A staff reply answers the ticket: the reply's one UPDATE carries the new status too.
    act(app, world, ticket_id, lambda ticket, person: post_reply(ticket, person, "Seen it."), who="staff")
    assert find(app, world, "heron", statuses=["answered"])[0] == [ticket_id]
    assert find(app, world, "heron", statuses=["open"])[0] == []
    assert stored_tokens(app, ticket_id) == built_tokens(app, ticket_id)


def test_a_transfer_follows_the_department_and_the_assignee(app, world, desk):
    ticket_id = desk.ticket("t", "Ledger mismatch", "The ledger is off.", department="support")
    assert find(app, world, "ledger", who="staff")[0] == [ticket_id]
    assert find(app, world, "ledger", who="billing_staff")[0] == []
    assert find(app, world, "ledger", department=world.support_id)[0] == [ticket_id]

    def to_billing(ticket, person):
        assign_ticket(ticket, person, session.get(Department, world.billing_id), None)

    act(app, world, ticket_id, to_billing)
    assert find(app, world, "ledger", who="staff")[0] == []
    assert find(app, world, "ledger", who="billing_staff")[0] == [ticket_id]
    assert find(app, world, "ledger", department=world.support_id)[0] == []
    assert find(app, world, "ledger", department=world.billing_id)[0] == [ticket_id]

    # Assigned to Sam, outside his department: he finds it again, and so does "assigned to Sam".
    def to_sam(ticket, person):
        assign_ticket(ticket, person, session.get(Department, world.billing_id), session.get(User, world.staff_id))

    act(app, world, ticket_id, to_sam)
    assert find(app, world, "ledger", who="staff")[0] == [ticket_id]
    assert find(app, world, "ledger", assignee=world.staff_id)[0] == [ticket_id]
    assert find(app, world, "ledger", assignee=0)[0] == []
    assert stored_tokens(app, ticket_id) == built_tokens(app, ticket_id)


def test_a_priority_change_follows_in_the_index(app, world, desk):
    ticket_id = desk.ticket("t", "Kettle broken", "No tea.")
    assert find(app, world, "kettle", priorities=[Priority.HIGH.value])[0] == []
    act(app, world, ticket_id, lambda ticket, person: change_priority(ticket, person, Priority.HIGH))
    assert find(app, world, "kettle", priorities=[Priority.HIGH.value])[0] == [ticket_id]
    assert find(app, world, "kettle", priorities=[Priority.MEDIUM.value])[0] == []


def test_a_change_that_fails_leaves_the_tokens_as_they_were(app, world, desk):
    ticket_id = desk.ticket("t", "Walrus", "A walrus.")
    before = stored_tokens(app, ticket_id)

    def fail(sender, **extra):
        raise RuntimeError("the change fails after the index was written")

    signals.ticket_closed.connect(fail)
    try:
        with pytest.raises(RuntimeError):
            act(app, world, ticket_id, close_ticket)
    finally:
        signals.ticket_closed.disconnect(fail)
    assert stored_tokens(app, ticket_id) == before
    assert find(app, world, "walrus", statuses=["closed"])[0] == []
    assert find(app, world, "walrus", statuses=["open"])[0] == [ticket_id]


def test_typed_words_never_match_the_tokens(app, world, desk):
    ticket_id = desk.ticket("t", "Plain words", "Nothing special here.")
    tokens = stored_tokens(app, ticket_id).split()
    assert "=sopen" in tokens and f"=t{world.acme_id}" in tokens
    for text in ("sopen", "=sopen", f"t{world.acme_id}", f"d{world.support_id}", '"sopen"', "filter_text"):
        assert find(app, world, text)[0] == [], text
        assert find(app, world, text, who="customer")[0] == [], text


def test_a_merge_moves_the_messages_into_the_targets_document(app, world, desk):
    source_id = desk.ticket("s", "Duplicate", "The albatross again.")
    target_id = desk.ticket("t", "Original", "A bird problem.")

    def merge(ticket, person):
        merge_ticket(ticket, session.get(Ticket, target_id), person)

    act(app, world, source_id, merge)
    assert find(app, world, "albatross", statuses=["open"])[0] == [target_id]
    assert source_id in find(app, world, "albatross", statuses=["closed"])[0]
    with app.app_context():
        assert session.get(Ticket, source_id).status == TicketStatus.CLOSED.value


def test_reindex_builds_the_tokens_the_signals_kept(app, world, desk):
    ids = [desk.ticket(str(n), "Otter", f"Otter number {n}.") for n in range(3)]
    act(app, world, ids[0], close_ticket)
    kept = {ticket_id: stored_tokens(app, ticket_id) for ticket_id in ids}
    with app.app_context():
        for ticket_id in ids:
            assert kept[ticket_id] == ticket_tokens(session.get(Ticket, ticket_id))
        reindex()
    assert {ticket_id: stored_tokens(app, ticket_id) for ticket_id in ids} == kept
    if_pg = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if if_pg:
        with app.app_context():
            lexemes = session.scalar(
                sa.text(
                    "SELECT array_to_string(tsvector_to_array(search_vector), ' ') FROM tickets_search_documents "
                    "WHERE ticket_id = :t"
                ),
                {"t": ids[0]},
            ).split()
        assert "=sclosed" in lexemes and "=sopen" not in lexemes


def test_the_newest_id_ranges_are_read_first_with_the_same_answer(app, world, desk, monkeypatch):
    """PostgreSQL reads the newest id ranges first; the answer is that of reading them all."""
    monkeypatch.setattr(filters, "ID_RANGE", 2)
    monkeypatch.setattr(results, "ID_RANGE", 2)
    monkeypatch.setattr(results, "ID_RANGE_SPANS", (1, 2))
    ids = [desk.ticket(str(n), "Puffin", f"Puffin {n}.") for n in range(9)]
    rare = desk.ticket("rare", "Gannet", "One gannet, the oldest bird.", department="billing")
    ids += [desk.ticket(str(n), "Puffin", f"Puffin {n}.") for n in range(9, 12)]
    with app.app_context():
        reindex()
    found, page = find(app, world, "puffin", limit=4)
    assert sorted(found) == sorted(ids)[-4:] and page.total.capped
    # Fewer matches than the limit in the newest ranges: every range is read.
    assert find(app, world, "gannet", limit=4)[0] == [rare]
    found, page = find(app, world, "puffin", limit=20)
    assert sorted(found) == sorted(ids) and not page.total.capped


def test_a_rare_word_is_read_without_the_visibilitys_tokens_and_finds_only_the_visible(app, world, desk, monkeypatch):
    """PostgreSQL: when the newest ranges say the words are rare, all are read without the department tokens."""
    monkeypatch.setattr(filters, "ID_RANGE", 2)
    monkeypatch.setattr(results, "ID_RANGE", 2)
    monkeypatch.setattr(results, "ID_RANGE_SPANS", (1, 2))
    seen = desk.ticket("seen", "Gannet", "A gannet in Support.")
    desk.ticket("hidden", "Gannet", "A gannet in Billing.", department="billing")
    for n in range(12):
        desk.ticket(str(n), "Puffin", f"Puffin {n}.")
    with app.app_context():
        reindex()
    windows = []
    real_window = results._window
    monkeypatch.setattr(
        results, "_window", lambda *a, **k: windows.append(k.get("visibility", True)) or real_window(*a, **k)
    )
    # Sam, of Support, finds the one he may see; so does the exact statement, read again when none passes.
    assert find(app, world, "gannet", who="staff", limit=10)[0] == [seen]
    assert find(app, world, "gannet -support", who="staff", limit=10)[0] == []
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert False in windows
        # A word common in the ranges read keeps the tokens.
        windows.clear()
        find(app, world, "puffin", who="staff", limit=10)
        assert False not in windows


def test_a_status_past_the_capped_count_is_found_in_the_older_matches(app, world, desk):
    """The counts stop at the limit; the chosen status's matches older than those are read after them."""
    ids = [desk.ticket(str(n), "Lynx", f"Lynx {n}.") for n in range(7)]
    for ticket_id in (ids[0], ids[1], ids[5]):
        act(app, world, ticket_id, close_ticket)
    found, page = find(app, world, "lynx", statuses=["closed"], limit=3)
    assert sorted(found) == sorted([ids[0], ids[1], ids[5]]) and not page.total.capped
    assert page.status_counts.total.capped and page.status_counts.total == 3
    found, page = find(app, world, "lynx", statuses=["closed"], limit=2)
    assert sorted(found) == sorted([ids[1], ids[5]]) and page.total.capped
    found, page = find(app, world, "lynx", statuses=["open"], limit=3)
    assert sorted(found) == sorted([ids[6], ids[4], ids[3]]) and page.total.capped


def test_the_ranges_read_follow_the_matches_found_with_the_same_answer(app, world, desk, monkeypatch):
    """PostgreSQL sizes its second span, and a chosen status's span, by the matches found: the answer is all's."""
    monkeypatch.setattr(filters, "ID_RANGE", 2)
    monkeypatch.setattr(results, "ID_RANGE", 2)
    monkeypatch.setattr(results, "ID_RANGE_SPANS", (1, 6))
    ids = [desk.ticket(str(n), "Heron", f"Heron {n}.") for n in range(24)]
    for ticket_id in ids[:20:3]:
        act(app, world, ticket_id, close_ticket)
    with app.app_context():
        reindex()
    cases = [
        dict(limit=5),
        dict(limit=9),
        dict(limit=5, statuses=["closed"]),
        dict(limit=3, statuses=["closed"]),
        dict(limit=30, statuses=["closed"]),
    ]
    answers = [find(app, world, "heron", **case) for case in cases]
    # Reading every range at once gives the same tickets and counts.
    monkeypatch.setattr(results, "ID_RANGE_SPANS", (10**6,))
    for case, (found, page) in zip(cases, answers, strict=True):
        all_found, all_page = find(app, world, "heron", **case)
        assert found == all_found, case
        assert (int(page.total), page.total.capped) == (int(all_page.total), all_page.total.capped)
        assert dict(page.status_counts) == dict(all_page.status_counts)


def test_a_status_in_a_department_is_one_token_that_follows_each_change(app, world, desk):
    """Past the capped count, "Closed in Billing" reads the index's list of that pair (``=xclosed<billing>``)."""
    billing, support = world.billing_id, world.support_id
    ids = [desk.ticket(str(n), "Osprey", f"Osprey {n}.", department="billing") for n in range(6)]
    for ticket_id in (ids[0], ids[1]):
        act(app, world, ticket_id, close_ticket)
    assert f"=xclosed{billing}" in stored_tokens(app, ids[0]).split()
    assert f"=xopen{billing}" in stored_tokens(app, ids[2]).split()
    # limit 2: the two newest matches are counted, the closed ones are older: the token finds them.
    found, page = find(app, world, "osprey", statuses=["closed"], department=billing, limit=2)
    assert sorted(found) == sorted([ids[0], ids[1]]) and page.status_counts.total.capped

    # Moved to Support: no longer "Closed in Billing", now "Closed in Support".
    act(
        app, world, ids[0], lambda ticket, person: assign_ticket(ticket, person, session.get(Department, support), None)
    )
    assert stored_tokens(app, ids[0]) == built_tokens(app, ids[0])
    assert find(app, world, "osprey", statuses=["closed"], department=billing, limit=2)[0] == [ids[1]]
    assert find(app, world, "osprey", statuses=["closed"], department=support, limit=2)[0] == [ids[0]]
    # Reopened: "Closed in Billing" loses it (read through the token: the count is capped).
    act(app, world, ids[1], reopen_ticket)
    assert f"=xopen{billing}" in stored_tokens(app, ids[1]).split()
    found, page = find(app, world, "osprey", statuses=["closed"], department=billing, limit=2)
    assert found == [] and page.status_counts.total.capped


def test_a_status_group_and_a_department_group_become_one_group_of_pairs():
    groups = (("=sopen", "=sanswered"), ("=d3",), ("=p2",))
    assert filters.combined_groups(groups) == (("=p2",), ("=xopen3", "=xanswered3"))
    # Not when there is no department, or the pairs would be too many for one OR.
    assert filters.combined_groups(groups[:1]) == groups[:1]
    many = (tuple(f"=s{s}" for s in ("open", "answered", "closed")), tuple(f"=d{d}" for d in range(1, 4)))
    assert filters.combined_groups(many) == many


def test_a_condition_without_a_token_is_checked_on_every_match_and_the_count_stays_exact(app, world, desk):
    """The index's newest matches that fail a condition it has no token for are replaced by older ones."""
    ids = [
        desk.ticket(str(n), "Plover", f"Plover {n}.", department="billing" if n % 2 else "support") for n in range(6)
    ]
    with app.test_request_context():
        user = session.get(User, world.admin_id)
        scope = results.Scope.of(user, visible_tickets_clause(user))
        in_billing = [Ticket.department_id == world.billing_id]
        page = results.search(parse("plover"), scope, in_billing, limit=2)
        assert sorted(page.ids) == sorted([ids[5], ids[3]]) and page.total.capped
        page = results.search(parse("plover"), scope, in_billing, limit=3)
        assert sorted(page.ids) == sorted([ids[5], ids[3], ids[1]]) and not page.total.capped


def test_a_status_chosen_without_counts_reads_only_its_matches_with_the_same_answer(app, world, desk, monkeypatch):
    """A list that shows no status counts reads the chosen status's matches alone: the same tickets and total."""
    ids = [desk.ticket(str(n), "Lynx", f"Lynx {n}.") for n in range(7)]
    for ticket_id in (ids[0], ids[1], ids[5]):
        act(app, world, ticket_id, close_ticket)
    windows = []
    real_newest = results._newest
    monkeypatch.setattr(results, "_newest", lambda *a, **k: windows.append(a[3]) or real_newest(*a, **k))
    for statuses, limit in ((["closed"], 3), (["closed"], 2), (["open"], 3), (["open", "closed"], 10)):
        found, page = find(app, world, "lynx", statuses=statuses, limit=limit)
        windows.clear()
        alone, alone_page = find(app, world, "lynx", statuses=statuses, limit=limit, counts=False)
        assert alone == found and alone_page.status_counts is None
        assert (int(alone_page.total), alone_page.total.capped) == (int(page.total), page.total.capped)
        # One window, narrowed by the statuses' tokens.
        assert windows == [filter_groups(statuses=statuses)] == [(tuple(f"=s{status}" for status in statuses),)]


def test_the_estimate_of_a_window_multiplies_the_words_share_by_each_group_of_tokens(monkeypatch):
    """PostgreSQL's first span comes from the statistics' shares; a token they do not keep leaves it unknown."""
    shares = {"=d1": 0.2, "=d2": 0.1, "=a2": 0.05, "=xopen1": 0.02, "=sopen": 0.3}
    monkeypatch.setattr(results, "_lexeme_frequencies", lambda: shares)
    scope = results.Scope(1, sa.true(), True, tokens=("=d1", "=d2", "=a2"))
    assert results._estimated_density(None, scope, ()) is None
    margin = results.ESTIMATE_MARGIN
    assert results._estimated_density(0.1, scope, ()) == pytest.approx(0.1 * 0.35 / margin)
    # "Open in department 1": the pair's one token (the department implies the visibility).
    groups = filter_groups(statuses=["open"], department_id=1)
    assert results._estimated_density(0.1, scope, groups) == pytest.approx(0.1 * 0.02 / margin)
    # An assignee too rare for the statistics: no estimate.
    assert results._estimated_density(0.1, scope, filter_groups(assignee_id=7)) is None


def test_the_words_share_is_estimated_for_words_prefixes_and_two_word_phrases(app, world, desk, monkeypatch):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL's statistics")
    desk.ticket("a", "Puffin colony", "The puffin colony grows.")
    monkeypatch.setattr(results, "_lexeme_frequencies", lambda: {"puffin": 0.25, "coloni": 0.5})
    with app.test_request_context():
        scope = results.Scope.of(session.get(User, world.admin_id), sa.true())
        assert results._prepare(parse("puffin"), scope).share == pytest.approx(0.25)
        assert results._prepare(parse("puffin colony -grows"), scope).share == pytest.approx(0.125)
        # A word the statistics do not keep, or a phrase whose pair they do not keep: no estimate.
        assert results._prepare(parse("puffin grows"), scope).share is None
        assert results._prepare(parse('"puffin colony"'), scope).share is None
    # A two-word phrase: its pair's share (in the notes too, for a staff member); a longer one: none.
    frequencies = {"puffin": 0.25, "~puffin coloni": 0.125, "~~puffin coloni": 0.0625, "~coloni grow": 0.1}
    monkeypatch.setattr(results, "_lexeme_frequencies", lambda: frequencies)
    with app.test_request_context():
        scope = results.Scope.of(session.get(User, world.admin_id), sa.true())
        assert results._prepare(parse('"puffin colony"'), scope).share == pytest.approx(0.1875)
        assert results._prepare(parse('puffin "puffin colony"'), scope).share == pytest.approx(0.25 * 0.1875)
        assert results._prepare(parse('"puffin colony grows"'), scope).share is None


def test_the_first_span_follows_the_planners_statistics_with_the_same_answer(app, world, desk, monkeypatch):
    """PostgreSQL: ANALYZE's share of a common word sizes the first span; the answer is that of reading all."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL's statistics")
    monkeypatch.setattr(filters, "ID_RANGE", 2)
    monkeypatch.setattr(results, "ID_RANGE", 2)
    monkeypatch.setattr(results, "ID_RANGE_SPANS", (1, 64))
    ids = [desk.ticket(str(n), "Heron", f"Heron {n}.") for n in range(40)]
    with app.app_context():
        reindex()
        session.execute(sa.text("ANALYZE tickets_search_documents"))
        session.commit()
    monkeypatch.setattr(results, "_statistics", {})
    spans = []
    real_rows = results._window_rows
    monkeypatch.setattr(
        results,
        "_window_rows",
        lambda *a, **k: spans.append([g for g in a[5] if g and g[0].startswith("=b")]) or real_rows(*a, **k),
    )
    # The 40 matches are more than FEW times the 8 wanted: a span of ranges is read.
    monkeypatch.setattr(results, "FEW", 2)
    found, page = find(app, world, "heron", limit=8)
    assert sorted(found) == sorted(ids)[-8:] and page.total.capped
    # One window, of more ranges than the first span without statistics, and enough of them.
    assert len(spans) == 1 and len(spans[0][0]) > results.ID_RANGE_SPANS[0]
    monkeypatch.setattr(results, "ID_RANGE_SPANS", (10**6,))
    assert find(app, world, "heron", limit=8)[0] == found
    # At most FEW times the matches wanted in all the ids: all are read at once, no range.
    monkeypatch.setattr(results, "ID_RANGE_SPANS", (1, 64))
    monkeypatch.setattr(results, "FEW", 8)
    spans.clear()
    assert find(app, world, "heron", limit=8)[0] == found
    assert spans == [[]]
