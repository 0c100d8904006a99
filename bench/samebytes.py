"""The same-bytes ceiling: what a page must cost, served by a minimal Flask app.

The bare ceiling (bench/ceiling.py) is a 4.5 kB anonymous table; a module page is a 20–55 kB
logged-in page, so a page's ratio to it mixes the module's own overhead with the page's size.
For a few pages the benchmark also builds a minimal app that answers with the *same bytes*:

- the page is requested once in-process (the real app, the real seeded database); its HTML,
  its response headers and its SQL statements with their parameters are captured;
- the HTML is cut into a head, one chunk per row (the table rows, the thread's messages) and
  a tail; in each row chunk the values of the page's main statement (the one whose rows the
  page lists) are found and become slots;
- per request the minimal app reads the signed-cookie session (the login's), makes a signed
  CSRF token (Flask-WTF, kept in that session), runs every captured statement against the
  same database and fetches its rows, writes the page in a loop over the main statement's
  rows (static text, escaped values), puts the fresh token where the page had its token and
  sets the page's headers (the six security headers, ``Vary``).

What is left out is the module's own work: finding the tenant and the login from the rows,
Flask-Login, choosing templates, formatting times and badges, the request log line. At
build time the app checks that it writes the captured page byte for byte (token aside).
"""

import os
import pickle
import re
import time

import sqlalchemy as sa
from flask import Flask, Response, abort, session
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from sqlalchemy import event

#: page key -> (regex of the start of one row chunk, regex of the end of the last chunk).
ROW_MARKERS = {
    "customer_list": (r"<tr>\s*<td", r"</tbody>"),
    "queue_default": (r'<tr class="xt-queue-row', r"</tbody>"),
    "staff_ticket_view": (r'<li class="xt-message', r"</ol>|</ul>"),
}

#: Response headers not copied: the server, Werkzeug and the session (Vary) set these per response.
_SKIP_HEADERS = {"content-length", "set-cookie", "date", "server", "content-type", "vary"}

_TOKEN = "\x00CSRF\x00"


def capture(inproc, page):
    """Request ``page`` in-process and return its body, headers, CSRF token and statements."""
    with inproc.app.app_context():
        engine = inproc.app.extensions["sqlalchemy"].engine
    seen = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    inproc.request(page)  # warm
    event.listen(engine, "before_cursor_execute", listen)
    try:
        response = inproc.request(page)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    if response.status_code != 200:
        raise SystemExit(f"same-bytes capture of {page.label}: status {response.status_code}")
    body = response.get_data(as_text=True)
    token = inproc.client(page.user).csrf
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _SKIP_HEADERS]
    return {
        "key": page.key,
        "label": page.label,
        "body": body,
        "token": token,
        "headers": headers,
        "mimetype": response.mimetype,
        "statements": seen,
        "user": page.user,
    }


def _row_values(row):
    """The row's values as they would appear in HTML, longest first (a longer value wins a place)."""
    values = []
    for col, value in enumerate(row):
        if value is None or isinstance(value, bool):
            continue
        text = str(escape(str(value)))
        if len(text) >= 2:
            values.append((text, col))
    return sorted(values, key=lambda v: -len(v[0]))


def _template_of(chunk, row):
    """Cut ``chunk`` at the places where ``row``'s values appear: [(static text, column or None), …]."""
    taken = []  # (start, end, column)
    for text, col in _row_values(row):
        for match in re.finditer(re.escape(text), chunk):
            start, end = match.span()
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, col))
    taken.sort()
    parts, pos = [], 0
    for start, end, col in taken:
        parts.append((chunk[pos:start], col))
        pos = end
    parts.append((chunk[pos:], None))
    return parts


class SameBytesPage:
    """One page's captured bytes cut into a head, row templates and a tail."""

    def __init__(self, captured, rows_per_statement):
        self.key = captured["key"]
        self.label = captured["label"]
        self.headers = captured["headers"]
        self.mimetype = captured["mimetype"]
        self.statements = captured["statements"]
        body = captured["body"]
        if captured["token"]:
            body = body.replace(captured["token"], _TOKEN)
        self.expected = body
        start_re, end_re = ROW_MARKERS[self.key]
        starts = [m.start() for m in re.finditer(start_re, body)]
        if not starts:
            raise SystemExit(f"same-bytes: no rows found on {self.label} ({start_re!r})")
        end = re.compile(end_re).search(body, starts[-1])
        if end is None:
            raise SystemExit(f"same-bytes: no end of the rows on {self.label} ({end_re!r})")
        chunks = [body[a:b] for a, b in zip(starts, [*starts[1:], end.start()], strict=True)]
        # The main statement: the one with as many rows as the page has row chunks (or, if
        # none has, the longest one, paired with the last chunks: a thread's first message is
        # the ticket's own body, not a reply row).
        counts = [len(rows) for rows in rows_per_statement]
        exact = [i for i, n in enumerate(counts) if n == len(chunks)]
        self.main = exact[-1] if exact else max(range(len(counts)), key=counts.__getitem__)
        rows = rows_per_statement[self.main]
        paired = min(len(rows), len(chunks))
        self.head = body[: starts[0]] + "".join(chunks[: len(chunks) - paired])
        self.tail = body[end.start() :]
        self.rows = paired
        self.templates = [
            _template_of(chunk, row) for chunk, row in zip(chunks[len(chunks) - paired :], rows, strict=False)
        ]
        self.slots = sum(1 for t in self.templates for _, col in t if col is not None)

    def write(self, results, token):
        """Write the page from the statements' rows: head, one template per row, tail."""
        parts = [self.head]
        append = parts.append
        for template, row in zip(self.templates, results[self.main], strict=False):
            for static, col in template:
                append(static)
                if col is not None:
                    append(escape(str(row[col])))
        append(self.tail)
        return "".join(parts).replace(_TOKEN, token)


def build(captures, database_url):
    """Cut every captured page, check it writes the same bytes, and return {key: SameBytesPage}."""
    engine = sa.create_engine(database_url)
    pages = {}
    with engine.connect() as conn:
        for captured in captures:
            results = [conn.exec_driver_sql(sql, params).all() for sql, params in captured["statements"]]
            page = SameBytesPage(captured, results)
            written = page.write(results, _TOKEN)
            if written != page.expected:
                raise SystemExit(f"same-bytes: {page.label} is not written byte for byte")
            pages[page.key] = page
    engine.dispose()
    return pages


def save(captures, path):
    with open(path, "wb") as fh:
        pickle.dump(captures, fh)


def create_same_bytes_app(database_url=None, captures_path=None, secret_key="bench-secret-key"):
    """Build the minimal app serving the captured pages at ``/same-bytes/<key>``."""
    database_url = database_url or os.environ["BENCH_DATABASE_URL"]
    with open(captures_path or os.environ["BENCH_SAME_BYTES"], "rb") as fh:
        captures = pickle.load(fh)
    pages = build(captures, database_url)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key,
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    engine = sa.create_engine(database_url)

    @app.get("/same-bytes/<key>")
    def same_bytes(key):
        """Answer with the captured page ``key``, written from its statements' rows."""
        page = pages.get(key)
        if page is None or "_user_id" not in session:
            abort(404)
        token = generate_csrf()
        with engine.connect() as conn:
            results = [conn.exec_driver_sql(sql, params).all() for sql, params in page.statements]
        response = Response(page.write(results, token), mimetype=page.mimetype)
        response.headers.extend(page.headers)
        return response

    return app


def time_page(app, path, cookie, n):
    """CPU milliseconds per request of ``path`` in-process (best of 3 runs of ``n``)."""
    client = app.test_client()
    headers = {"Cookie": cookie}
    client.get(path, headers=headers)
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(n):
            client.get(path, headers=headers)
        best = min(best, (time.process_time() - started) / n * 1000)
    return best
