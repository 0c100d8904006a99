"""Time the search pages in-process against two seeded databases (100,000 and 1,000,000 tickets), alternating.

``python -m bench.search_compare URL:TICKETS:STORAGE ... [--pages KEYS] [--explain]``

Wall milliseconds per request through the test client (the database's work included, no
HTTP), the best of ``--rounds`` rounds of ``--requests`` requests per page and database,
the databases alternating so that a change of the machine's load reaches both. Run it on
copies of the seeds (a login writes). ``--explain`` prints each search statement of one
request of each page with its plan (PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)``; SQLite:
``EXPLAIN QUERY PLAN``) instead. ``--cpu``: CPU time instead of wall time (for SQLite,
whose work is all in this process, on a loaded machine).
"""

import argparse
import os
import time

from sqlalchemy import event

from bench import seed
from bench.pages import InProcess, search_pages
from bench.serve import bench_config
from xobito_tickets import create_app

QUEUE = "queue_default"


class Side:
    """One seeded database: its app, its logged-in test clients, its pages."""

    def __init__(self, spec):
        url, tickets, storage = spec.rsplit(":", 2) if spec.count(":") >= 3 else (*spec.rsplit(":", 1), "")
        self.url, self.tickets = url, int(tickets)
        storage = storage or os.path.join(os.path.dirname(__file__), "work", "search-compare-storage")
        self.app = create_app(bench_config(url, storage))
        self.meta = seed.Plan(self.tickets).meta()
        self.inproc = InProcess(self.app, self.meta)
        queue = f"/{self.meta['tenant']}/admin/tickets"
        pages = {page.key: page for page in search_pages(self.meta)}
        first = next(iter(pages.values()))
        pages[QUEUE] = first.__class__(QUEUE, "Staff queue", "GET", queue, "staff", 200, "search")
        self.pages = pages
        self.captured = None
        with self.app.app_context():
            engine = self.app.extensions["sqlalchemy"].engine
        event.listen(engine, "before_cursor_execute", self._capture)

    def _capture(self, conn, cursor, statement, parameters, context, executemany):
        if self.captured is not None:
            self.captured.append((statement, parameters))

    def ms(self, key, n, clock=time.perf_counter):
        page = self.pages[key]
        self.inproc.request(page)
        started = clock()
        for _ in range(n):
            response = self.inproc.request(page)
        assert response.status_code == 200, (key, response.status_code)
        return (clock() - started) / n * 1000

    def statements(self, key):
        self.inproc.request(self.pages[key])
        self.captured = []
        try:
            self.inproc.request(self.pages[key])
            return self.captured
        finally:
            self.captured = None

    def explain(self, key):
        with self.app.app_context():
            engine = self.app.extensions["sqlalchemy"].engine
        for statement, parameters in self.statements(key):
            if "tickets_search" not in statement:
                continue
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                if engine.dialect.name == "postgresql":
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                else:
                    cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())
            finally:
                raw.close()
            if isinstance(parameters, dict):
                shown = {k: v for k, v in parameters.items() if not k.startswith("ticket_id_1_")}
            else:
                shown = parameters[:12]
            print(f"--- {key} @ {self.tickets:,}\n{statement[:300]}\n{shown}\n{plan}\n", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("databases", nargs="+", help="URL:TICKETS[:STORAGE] of each seeded database (a copy)")
    parser.add_argument("--pages", nargs="*", default=[QUEUE] + [p.key for p in search_pages(seed.Plan(1).meta())])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--cpu", action="store_true", help="this process's CPU time, not wall time (SQLite: all the work is here)"
    )
    args = parser.parse_args(argv)
    sides = [Side(spec) for spec in args.databases]
    if args.explain:
        for side in sides:
            for key in args.pages:
                side.explain(key)
        return
    best = {(i, key): float("inf") for i in range(len(sides)) for key in args.pages}
    for _ in range(args.rounds):
        for key in args.pages:
            for i, side in enumerate(sides):
                clock = time.process_time if args.cpu else time.perf_counter
                best[i, key] = min(best[i, key], side.ms(key, args.requests, clock))
    counts = {(i, key): len(side.statements(key)) for i, side in enumerate(sides) for key in args.pages}
    print(
        "load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + (" (CPU ms)" if args.cpu else " (wall ms)")
    )
    header = (
        "| page | "
        + " | ".join(f"{s.tickets:,} (ms, SQL)" for s in sides)
        + " | "
        + " | ".join(f"× queue at {s.tickets:,}" for s in sides)
    )
    print(header + (" | last / first |" if len(sides) > 1 else " |"))
    for key in args.pages:
        cells = [f"{best[i, key]:.1f} ({counts[i, key]})" for i in range(len(sides))]
        ratios = [f"{best[i, QUEUE] / best[i, key]:.2f}" if (i, QUEUE) in best else "" for i in range(len(sides))]
        growth = f" | {best[len(sides) - 1, key] / best[0, key]:.2f}" if len(sides) > 1 else ""
        print(f"| {key} | " + " | ".join(cells) + " | " + " | ".join(ratios) + growth + " |", flush=True)


if __name__ == "__main__":
    main()
