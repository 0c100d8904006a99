"""The index follows the tickets: in the change's transaction, per tenant, per person, and rebuilt on demand."""

import pytest
import sqlalchemy as sa

from xobito_tickets import signals
from xobito_tickets.db import session
from xobito_tickets.models import Department, Ticket, User
from xobito_tickets.search.index import build_documents, reindex, write_documents
from xobito_tickets.search.models import SearchDocument
from xobito_tickets.search.query import parse
from xobito_tickets.search.snippets import make_snippet
from xobito_tickets.tickets.services import assign_ticket, post_reply
from xobito_tickets.workspace.services import add_note

from .conftest import search


def found(app, world, text, who="admin"):
    return search(app, world, text, who)[0]


def test_ranking_puts_the_subject_and_repeated_words_first(app, world, desk):
    desk.ticket("body", "Question", "Something about the router, among many other words of a long message.")
    desk.ticket("subject", "Router broken", "It does not work.")
    desk.ticket("twice", "Network", "The router restarts; after the router restarts the router is slow.")
    desk.ticket("other", "Printer", "Nothing to see.")
    n = desk.numbers
    assert found(app, world, "router") == [n["subject"], n["twice"], n["body"]]


def test_tenants_never_see_each_other(app, world, desk):
    desk.ticket("acme", "Kerberos failure", "Ours.")
    desk.ticket(
        "globex",
        "Kerberos failure",
        "Theirs.",
        requester="globex_customer",
        department="globex_support",
        tenant="globex",
    )
    assert found(app, world, "kerberos") == [desk.numbers["acme"]]
    assert found(app, world, "kerberos", who="globex_admin") == [desk.numbers["globex"]]
    assert found(app, world, "kerberos", who="other_customer") == []


def test_staff_find_only_what_they_may_see(app, world, desk):
    support_id = desk.ticket("support", "Gateway error", "Support's.")
    desk.ticket("billing", "Gateway invoice", "Billing's.", department="billing")
    n = desk.numbers
    assert found(app, world, "gateway", who="staff") == [n["support"]]
    assert found(app, world, "gateway", who="billing_staff") == [n["billing"]]
    assert sorted(found(app, world, "gateway", who="admin")) == sorted([n["support"], n["billing"]])
    # Assigned to Bea outside her department: now she finds it too.
    with app.test_request_context():
        assign_ticket(
            session.get(Ticket, support_id),
            session.get(User, world.admin_id),
            session.get(Department, world.support_id),
            session.get(User, world.billing_staff_id),
        )
    assert sorted(found(app, world, "gateway", who="billing_staff")) == sorted([n["support"], n["billing"]])


def test_customers_find_only_their_own_tickets(app, world, desk):
    desk.ticket("mine", "Gateway error", "Mine.")
    desk.ticket("theirs", "Gateway error", "Theirs.", requester="other_customer")
    assert found(app, world, "gateway", who="customer") == [desk.numbers["mine"]]


def test_a_reply_is_found_at_once_and_a_failed_one_leaves_nothing(app, world, desk):
    ticket_id = desk.ticket("t", "Login trouble", "Cannot log in.")
    with app.test_request_context():
        post_reply(session.get(Ticket, ticket_id), session.get(User, world.staff_id), "Clear the quokka cache.")
    assert found(app, world, "quokka") == [desk.numbers["t"]]

    def fail(sender, **extra):
        raise RuntimeError("the change fails after the index was written")

    signals.reply_posted.connect(fail)
    try:
        with app.test_request_context(), pytest.raises(RuntimeError):
            post_reply(session.get(Ticket, ticket_id), session.get(User, world.staff_id), "A wombat appeared.")
    finally:
        signals.reply_posted.disconnect(fail)
    assert found(app, world, "wombat") == []
    with app.app_context():
        text = session.scalar(sa.select(SearchDocument.public_text).where(SearchDocument.ticket_id == ticket_id))
    assert "quokka" in text and "wombat" not in text


def test_reindex_rebuilds_what_an_import_wrote_beside_the_services(app, world, desk):
    ticket_id = desk.ticket("t", "Imported", "Original words.")
    with app.app_context():
        # An import writes rows directly: the index does not know.
        session.execute(sa.update(Ticket).where(Ticket.id == ticket_id).values(body="Platypus arrived."))
        session.commit()
    assert found(app, world, "platypus") == []
    with app.app_context():
        assert reindex(tenant_id=world.globex_id)[0] == 0
    assert found(app, world, "platypus") == []
    with app.app_context():
        count, seconds = reindex(tenant_id=world.acme_id)
    assert count == 1 and found(app, world, "platypus") == [desk.numbers["t"]]
    with app.app_context():
        assert reindex()[0] == 1
    assert found(app, world, "platypus") == [desk.numbers["t"]]
    assert found(app, world, "original") == []


def test_snippets_are_segments_around_the_match():
    snippet = make_snippet(
        parse("scrip"), "TKT-000001 1 Carla carla@acme.test\nHello <script>alert(1)</script> world", None
    )
    assert snippet.segments == (
        ("Hello <", False),
        ("script", True),
        (">alert(1)</", False),
        ("script", True),
        ("> world", False),
    )
    assert make_snippet(parse("carla"), "TKT-000001 1 Carla carla@acme.test\nHello", None) is None
    long = "word " * 100 + "Müller " + "word " * 100
    snippet = make_snippet(parse("muller"), "header\n" + long, None)
    assert snippet.segments[0] == ("…", False) and snippet.segments[-1] == ("…", False)
    assert ("Müller", True) in snippet.segments
    note = make_snippet(parse("secret"), "header\nnothing here", "the secret plan")
    assert note.note and ("secret", True) in note.segments


def test_notes_are_found_by_staff_and_never_by_the_customer(app, world, desk):
    ticket_id = desk.ticket("t", "Printer jam", "The printer jams.")
    with app.test_request_context():
        # The staff-only half of the document, as a note writes it.
        documents = build_documents(Ticket.id == ticket_id)
        documents[0]["staff_text"] = "Internal: customer owes us money, flamingo"
        write_documents(documents)
        session.commit()
    n = desk.numbers["t"]
    assert found(app, world, "flamingo", who="staff") == [n]
    assert found(app, world, "flamingo", who="admin") == [n]
    assert found(app, world, "flamingo", who="customer") == []
    assert found(app, world, "printer flamingo", who="customer") == []
    assert found(app, world, "printer -flamingo", who="customer") == [n]
    numbers, page = search(app, world, "flamingo", who="staff")
    assert page.snippets[ticket_id].note
    numbers, page = search(app, world, "printer", who="customer")
    assert "flamingo" not in str(page.snippets)


def test_the_document_kept_reply_by_reply_is_the_one_a_reindex_builds(app, world, desk):
    ticket_id = desk.ticket(
        "t", "Ünïcode subject", "Body text.", replies=[("staff", "First answer."), ("customer", "Second, from me.")]
    )
    with app.app_context():
        kept = session.execute(
            sa.select(SearchDocument.subject, SearchDocument.public_text, SearchDocument.staff_text).where(
                SearchDocument.ticket_id == ticket_id
            )
        ).one()
        built = build_documents(Ticket.id == ticket_id)[0]
        assert tuple(kept) == (built["subject"], built["public_text"], built["staff_text"])
        if session.get_bind().dialect.name == "postgresql":
            vector = sa.text("SELECT search_vector::text FROM tickets_search_documents WHERE ticket_id = :t")
            before = session.scalar(vector, {"t": ticket_id})
            reindex()
            assert session.scalar(vector, {"t": ticket_id}) == before


def test_a_note_added_in_the_workspace_is_staff_only_in_search(app, world, desk):
    ticket_id = desk.ticket("t", "Printer jam", "The printer jams.")
    with app.test_request_context():
        add_note(session.get(Ticket, ticket_id), session.get(User, world.staff_id), "Owes us money: pelican")
    n = desk.numbers["t"]
    assert found(app, world, "pelican", who="staff") == [n]
    assert found(app, world, "pelican", who="customer") == []
    with app.app_context():
        reindex()
    assert found(app, world, "pelican", who="staff") == [n]
    assert found(app, world, "pelican", who="customer") == []
