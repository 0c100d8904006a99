"""The search migrations of an index built before them: its vocabulary and its status-in-department tokens."""

import sqlalchemy as sa
from flask_migrate import upgrade

from xobito_tickets.db import session
from xobito_tickets.demo import build_demo
from xobito_tickets.models import Ticket
from xobito_tickets.search import schema
from xobito_tickets.search.index import build_documents
from xobito_tickets.search.models import SearchDocument
from xobito_tickets.search.terms import driver_connect, forget, text_terms

BEFORE = "queue_department_status_activity"


def _documents():
    return dict(session.execute(sa.select(SearchDocument.ticket_id, SearchDocument.filter_text)).all())


def test_an_index_built_before_the_vocabulary_and_the_pair_tokens_gains_both(empty_app):
    app = empty_app
    with app.app_context():
        upgrade(revision=BEFORE)
        build_demo()
        session.commit()
        engine = session.get_bind()
        postgresql = engine.dialect.name == "postgresql"
        # The index as that revision left it: no "=x" token, and (SQLite) no vocabulary.
        without = "regexp_replace(filter_text, ' =x[a-z]+[0-9]+', '')"
        if postgresql:
            session.execute(
                sa.text(
                    f"UPDATE tickets_search_documents SET search_vector = ts_delete(search_vector, "
                    f"ARRAY(SELECT t FROM unnest(string_to_array(filter_text, ' ')) AS t WHERE t LIKE '=x%')), "
                    f"filter_text = {without}"
                )
            )
        else:
            session.execute(sa.text(f"DROP TABLE {schema.TERM_TABLE}"))
            documents = _documents()
            session.execute(
                sa.text("UPDATE tickets_search_documents SET filter_text = :text WHERE ticket_id = :id"),
                [
                    {"id": ticket_id, "text": " ".join(t for t in text.split() if not t.startswith("=x"))}
                    for ticket_id, text in documents.items()
                ],
            )
        session.commit()
        assert not any("=x" in text for text in _documents().values())
        forget(engine)
        session.remove()

        upgrade()

        built = {row["ticket_id"]: row for row in build_documents(sa.true())}
        stored = _documents()
        assert stored and stored == {ticket_id: row["filter_text"] for ticket_id, row in built.items()}
        # The pair token is in the index: an Open search in one department finds through it.
        ticket = session.scalars(sa.select(Ticket).where(Ticket.status == "open")).first()
        token = f"=xopen{ticket.department_id}"
        if postgresql:
            found = session.scalars(
                sa.text(
                    "SELECT ticket_id FROM tickets_search_documents "
                    "WHERE search_vector @@ CAST(:token AS tsquery) AND ticket_id = :id"
                ),
                {"token": f"'{token}'", "id": ticket.id},
            ).all()
        else:
            found = session.scalars(
                sa.text(f"SELECT rowid FROM {schema.FTS_TABLE} WHERE {schema.FTS_TABLE} MATCH :q AND rowid = :id"),
                {"q": f'filter_text : "{token[1:]}"', "id": ticket.id},
            ).all()
        assert found == [ticket.id]
        if not postgresql:
            # The vocabulary is every kept term of every document, read from FTS5 itself.
            terms = set(session.scalars(sa.text(f"SELECT term FROM {schema.TERM_TABLE}")))
            expected = set()
            for row in built.values():
                expected |= text_terms(
                    row["subject"], row["public_text"], row["staff_text"], connect=driver_connect(session)
                )
            assert terms == expected and len(terms) > 50
