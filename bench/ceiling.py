"""The ceiling: the least a Flask page can do, served under the same gunicorn settings.

One route, one indexed query (the newest 25 tickets of a tenant), one Jinja template
rendering them as a table. Every page of the app is measured against its req/s.
"""

import os

import sqlalchemy as sa
from flask import Flask, render_template

QUERY = sa.text(
    "SELECT number, subject, status, priority, last_reply_at FROM tickets_tickets "
    "WHERE tenant_id = :tenant ORDER BY last_reply_at DESC, id DESC LIMIT 25"
)


def create_ceiling_app(database_url=None):
    """Build the minimal app over the benchmark database."""
    app = Flask(__name__, template_folder=os.path.join(os.path.dirname(__file__), "templates"))
    engine = sa.create_engine(database_url or os.environ["BENCH_DATABASE_URL"])

    @app.get("/ceiling")
    def ceiling():
        """Render the newest 25 tickets of tenant 1."""
        with engine.connect() as conn:
            rows = conn.execute(QUERY, {"tenant": 1}).all()
        return render_template("ceiling.html", rows=rows)

    return app
