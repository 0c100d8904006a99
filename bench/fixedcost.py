"""The fixed cost of a logged-in page, part by part: ``python bench/fixedcost.py``.

The module's empty logged-in page (``/<tenant>/bench-empty``) costs what every page of the
module costs before it writes anything. This script builds a ladder of minimal Flask apps,
each adding one part that page cannot do without, and times each rung in-process (test
client, CPU time, best of several runs) next to the bare ceiling and the module's own empty
page, on the seeded benchmark database:

1. a bare route answering the empty page's 264 bytes;
2. + the signed-cookie session read (the bench customer's real login cookie);
3. + a signed CSRF token (Flask-WTF), as on every page with a form (the logout button);
4. + the module's own tenant-and-login statement, captured from the module with its
   parameters, run on a Core connection (``exec_driver_sql``, the row fetched);
5. + the same statement through a Flask-SQLAlchemy session (``session.connection()``: the
   transaction the page's own queries would join, closed at the end of the request);
6. + Flask-Login (a ``LoginManager`` with session protection, the user loaded per request
   from that row);
7. + the module's security headers and its request log line.

Rung 7 is a page with no work of the module's own: no templates, no tenant objects, no
access rules. What the module's empty page costs above it is its own overhead.
"""

import argparse
import logging
import os
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH_DIR))

import sqlalchemy as sa  # noqa: E402
from flask import Flask, Response, session  # noqa: E402
from flask_login import LoginManager, UserMixin, current_user  # noqa: E402
from flask_sqlalchemy import SQLAlchemy  # noqa: E402
from flask_wtf.csrf import generate_csrf  # noqa: E402

from bench import run, samebytes, seed  # noqa: E402
from bench.ceiling import create_ceiling_app  # noqa: E402
from bench.pages import InProcess, build_pages  # noqa: E402
from bench.serve import add_empty_page, bench_config  # noqa: E402
from xobito_tickets import create_app  # noqa: E402
from xobito_tickets.web.logs import RequestLogMiddleware  # noqa: E402
from xobito_tickets.web.security import apply_security_headers  # noqa: E402

RUNGS = (
    ("bare", "bare route, the same 264 bytes"),
    ("session", "+ signed-cookie session read"),
    ("csrf", "+ CSRF token"),
    ("statement", "+ the tenant-and-login statement (Core connection)"),
    ("orm_session", "+ that statement through a Flask-SQLAlchemy session"),
    ("login", "+ Flask-Login (user loaded from the row, session protection)"),
    ("headers_log", "+ security headers and the request log line"),
)


class _Person(UserMixin):
    def __init__(self, user_id):
        self.id = user_id


def ladder_app(rung, database_url, statement, secret_key="bench-secret-key"):
    """Return a minimal app doing the parts of the ladder up to ``rung``."""
    level = [key for key, _ in RUNGS].index(rung)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key,
        WTF_CSRF_TIME_LIMIT=None,
        SQLALCHEMY_DATABASE_URI=database_url,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    sql, params = statement
    engine = sa.create_engine(database_url)
    db = SQLAlchemy()
    db.init_app(app)
    if level >= 5:
        manager = LoginManager(app)
        manager.session_protection = "basic"
        manager.user_loader(lambda user_id: _Person(user_id) if session.get("tickets_sid") else None)

    @app.get("/<tenant>/bench-empty")
    def empty(tenant):
        if level >= 1 and "_user_id" not in session:  # the session is read here (lazily)
            return Response("no login", status=403)
        token = generate_csrf() if level >= 2 else "x" * 91
        if level >= 4:
            db.session.connection().exec_driver_sql(sql, params).first()
        elif level >= 3:
            with engine.connect() as conn:
                conn.exec_driver_sql(sql, params).first()
        if level >= 5 and not current_user.is_authenticated:
            return Response("no user", status=403)
        body = (
            '<!doctype html><html lang="en"><title>Empty</title><form method="post" action="logout">'
            f'<input type="hidden" name="csrf_token" value="{token}"><button>Log out</button></form></html>'
        )
        return Response(body, mimetype="text/html")

    if level >= 6:
        app.after_request(apply_security_headers)
        app.wsgi_app = RequestLogMiddleware(app.wsgi_app)
    return app


def cpu_ms(client, path, n, tries):
    for _ in range(3):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: status {response.status_code} {response.get_data(as_text=True)[:80]!r}")
    best = float("inf")
    for _ in range(tries):
        started = time.process_time()
        for _ in range(n):
            client.get(path)
        best = min(best, (time.process_time() - started) / n * 1000)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("-n", type=int, default=200, help="requests per timing (default 200)")
    parser.add_argument("--tries", type=int, default=7, help="timings per rung, alternating; the best is kept")
    args = parser.parse_args(argv)
    # The request log line goes to a file, as a server's would go to its log, not to this terminal.
    logging.basicConfig(filename=os.path.join(tempfile.gettempdir(), "xt-fixedcost.log"), level=logging.INFO)

    database = run.SQLiteDatabase(args.tickets, False)
    database.prepare()
    meta = seed.Plan(database.tickets).meta()
    app = add_empty_page(create_app(bench_config(database.url, database.storage)))
    inproc = InProcess(app, meta)
    page = next(p for p in build_pages(meta, app, None) if p.key == "empty_page")
    captured = samebytes.capture(inproc, page)
    if len(captured["statements"]) != 1:
        raise SystemExit(f"the empty page ran {len(captured['statements'])} statements, not 1")
    client = inproc.client(page.user)
    login_cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    cookie = login_cookie.value

    timed = {"ceiling": (create_ceiling_app(database.url).test_client(), "/ceiling")}
    for key, _ in RUNGS:
        rung_client = ladder_app(key, database.url, captured["statements"][0]).test_client()
        if key != "bare":  # a request without a cookie does not decode a session
            rung_client.set_cookie(login_cookie.key, cookie)
        timed[key] = (rung_client, page.path)
    timed["module"] = (client, page.path)
    best = dict.fromkeys(timed, float("inf"))
    for _ in range(args.tries):  # alternate the rungs, keep each one's best: a shared machine
        for key, (rung_client, path) in timed.items():
            best[key] = min(best[key], cpu_ms(rung_client, path, args.n, 1))

    labels = {"ceiling": "bare ceiling (25-row table, 1 statement)", **dict(RUNGS), "module": "the module's empty page"}
    print(f"{'':<66} CPU ms  × ceiling  step")
    previous = None
    for key in timed:
        step = "" if previous is None or key == "ceiling" else f"{best[key] - previous:+.3f}"
        print(f"{labels[key]:<66} {best[key]:.3f}  {best[key] / best['ceiling']:.2f}  {step}")
        if key != "ceiling":
            previous = best[key]
    print(f"the module's own overhead (its empty page − the last rung): {best['module'] - best['headers_log']:.3f} ms")


if __name__ == "__main__":
    main()
