"""Build the search index of a freshly seeded database and record its time and size."""

import json
import os

from bench.serve import bench_config
from xobito_tickets import create_app
from xobito_tickets.db import session
from xobito_tickets.search.index import reindex


def _sizes(connection):
    """Return {object: bytes} of the search index's tables and indexes."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE 'tickets_search%' "
            "OR name LIKE 'sqlite_autoindex_tickets_search%' OR name LIKE 'ix_tickets_search%' GROUP BY name"
        )
        return {name: size for name, size in rows}
    rows = connection.exec_driver_sql(
        "SELECT 'tickets_search_documents (with TOAST)', pg_table_size('tickets_search_documents') "
        "UNION ALL SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
        "WHERE c.relname IN ('ix_tickets_search_documents_vector', 'ix_tickets_search_documents_tenant', "
        "'pk_tickets_search_documents') "
        # The vocabulary of the prefixes, with its primary key.
        "UNION ALL SELECT 'tickets_search_lexemes (with its key)', pg_total_relation_size(c.oid) FROM pg_class c "
        "WHERE c.relname = 'tickets_search_lexemes'"
    )
    return {name: size for name, size in rows}


def build(url, storage, stats_path, log=print):
    """Index every ticket of the database at ``url``; write the stats to ``stats_path`` and return them."""
    log("  building the search index (flask tickets reindex)")
    app = create_app(bench_config(url, storage))
    with app.app_context():
        documents, seconds = reindex(log=lambda line: log("  " + line.strip()))
        engine = app.extensions["sqlalchemy"].engine
        session.remove()
        with engine.connect() as connection:
            sizes = _sizes(connection)
        engine.dispose()
    total = sum(sizes.values())
    stats = {
        "documents": documents,
        "seconds": round(seconds, 1),
        "size_mb": total / 1e6,
        "detail": ", ".join(
            f"{name} {size / 1e6:,.0f} MB" for name, size in sorted(sizes.items(), key=lambda x: -x[1])
        ),
    }
    with open(stats_path, "w") as fh:
        json.dump(stats, fh)
    log(f"  search index: {documents:,} documents in {seconds:.0f} s, {total / 1e6:,.0f} MB")
    return stats


def load(stats_path):
    """Return the stats written by :func:`build`, or None."""
    if not os.path.exists(stats_path):
        return None
    with open(stats_path) as fh:
        return json.load(fh)
