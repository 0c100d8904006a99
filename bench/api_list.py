"""The API's ticket list against the HTML lists it mirrors and the ceiling, on the benchmark's seeded database.

    python bench/api_list.py [--tickets 100000] [--postgres [URL]] [--duration 5] [--rounds 3]
                             [--inprocess 200] [--profile] [--write]

Serves the app and the ceiling with gunicorn (bench/gunicorn_bench.py), makes an API token for
the seed's staff member and customer in-process, logs the same people in over HTTP for the
pages, and loads each pair with wrk in alternating rounds (page, API, ceiling, page, API,
ceiling, …) so that all three see the same machine. Target (issue 14): the API list at least as
fast as the HTML queue; each side's ratio to the ceiling is shown as bench/run.py shows pages'.
The rate limit is raised for the run: the per-token counter is still counted.

``--inprocess N`` (default 200; 0: skip) also times N requests of each side in-process, in CPU
time (the test client; no gunicorn, no wrk), best of 5 alternations: the figure that is least
disturbed by a shared machine. ``--profile`` writes a pyinstrument profile of the staff API list
to bench/work/profiles/ instead of loading anything.
Prints Markdown; ``--write`` puts it into bench/RESULTS.md under "API".
"""

import argparse
import logging
import os
import re
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH_DIR))

import sqlalchemy as sa  # noqa: E402

from bench import seed  # noqa: E402
from bench.load import Browser, Gunicorn, ensure_wrk, run_wrk  # noqa: E402
from bench.run import WORK_DIR, PostgresDatabase, SQLiteDatabase, combine, conditions, log  # noqa: E402
from bench.serve import bench_config  # noqa: E402
from xobito_tickets import create_app  # noqa: E402
from xobito_tickets.api.tokens import create_token  # noqa: E402
from xobito_tickets.db import metadata, session  # noqa: E402
from xobito_tickets.models import User  # noqa: E402

RESULTS_MD = os.path.join(BENCH_DIR, "RESULTS.md")
#: Requests a token may make per minute during the run (well above what wrk sends).
RATE_LIMIT = 10**9


def make_tokens(database, meta):
    """Return ``{"staff": token, "customer": token}`` made for the seed's people, in-process."""
    app = create_app(bench_config(database.url, database.storage))
    tokens = {}
    with app.app_context():
        # A seed made before the API existed lacks its tables: add them (nothing else changes).
        metadata.create_all(app.extensions["sqlalchemy"].engine, checkfirst=True)
        for who in ("staff", "customer"):
            user = session.scalar(sa.select(User).where(User.email == meta[f"{who}_email"]))
            tokens[who] = create_token(user, "bench")[1]
        app.extensions["sqlalchemy"].engine.dispose()
    return tokens


def measure_trio(base, ceiling_url, rounds, seconds, page_path, cookie, api_path, token, connections):
    """Alternate wrk rounds of the page, the API and the ceiling; return their combined summaries."""
    page, api, ceiling = [], [], []
    run_wrk(base + page_path, 2, connections, 1, cookie=cookie)  # warm-up
    run_wrk(base + api_path, 2, connections, 1, authorization=f"Bearer {token}")
    run_wrk(ceiling_url, 2, connections, 1)
    for _ in range(rounds):
        page.append(run_wrk(base + page_path, seconds, connections, 1, cookie=cookie))
        api.append(run_wrk(base + api_path, seconds, connections, 1, authorization=f"Bearer {token}"))
        ceiling.append(run_wrk(ceiling_url, seconds, connections, 1))
    return combine(page, 200), combine(api, 200), combine(ceiling, 200)


def pairs_of(meta):
    """Return (label, who, HTML page path, API path) of each comparison."""
    t = meta["tenant"]
    filtered = "status=open&status=answered&priority=high&department=" + str(meta["staff_departments"][0])
    return [
        ("Staff queue (default) / API list, staff", "staff", f"/{t}/admin/tickets", f"/{t}/api/v1/tickets"),
        (
            "Staff queue, status+priority+department / API list, same filters",
            "staff",
            f"/{t}/admin/tickets?{filtered}",
            f"/{t}/api/v1/tickets?{filtered}",
        ),
        ("Customer list / API list, customer", "customer", f"/{t}/tickets", f"/{t}/api/v1/tickets"),
    ]


class InProcessSides:
    """Request the pages (logged in), the API (with a token) and the ceiling through test clients."""

    def __init__(self, database, meta, tokens):
        from bench.ceiling import create_ceiling_app
        from bench.pages import InProcess

        self.app = create_app(bench_config(database.url, database.storage, TICKETS_API_RATE_LIMIT=RATE_LIMIT))
        self.pages = InProcess(self.app, meta)
        self.api = self.app.test_client()
        self.tokens = tokens
        self.ceiling = create_ceiling_app(database.url).test_client()

    def page(self, who, path):
        response = self.pages.client(who).get(path)
        assert response.status_code == 200, (path, response.status_code)

    def api_list(self, who, path):
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        response = self.api.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.get_data()[:300])

    def ceiling_page(self):
        self.ceiling.get("/ceiling")


def cpu_ms(call, n):
    """Return the CPU milliseconds of one ``call()``, over ``n`` calls after one warm-up."""
    call()
    started = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - started) / n * 1000


def time_inprocess(sides, pairs, n):
    """Return ``(ceiling ms, [(label, page ms, API ms)])``: the best of 5 alternations each."""
    ceiling = float("inf")
    best = {label: [float("inf"), float("inf")] for label, *_ in pairs}
    for _ in range(5):  # alternate and keep the best of each: the machine is shared
        ceiling = min(ceiling, cpu_ms(sides.ceiling_page, n))
        for label, who, page_path, api_path in pairs:
            best[label][0] = min(best[label][0], cpu_ms(lambda: sides.page(who, page_path), n))  # noqa: B023
            best[label][1] = min(best[label][1], cpu_ms(lambda: sides.api_list(who, api_path), n))  # noqa: B023
    for label, (page_ms, api_ms) in best.items():
        log(f"  in-process {label}: page {page_ms:.2f} ms, API {api_ms:.2f} ms (ceiling {ceiling:.2f} ms)")
    return ceiling, [(label, *best[label]) for label, *_ in pairs]


def profile(sides, pairs, requests):
    """Profile the staff API list in-process with pyinstrument; write the report to bench/work/profiles/."""
    from pyinstrument import Profiler

    label, who, _, api_path = pairs[0]
    sides.api_list(who, api_path)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(requests):
        sides.api_list(who, api_path)
    profiler.stop()
    outdir = os.path.join(WORK_DIR, "profiles")
    os.makedirs(outdir, exist_ok=True)
    out = os.path.join(outdir, "api-list-staff.txt")
    with open(out, "w") as f:
        f.write(profiler.output_text(unicode=True, color=False, show_all=False))
    log(f"profile of the staff API list ({requests} requests): {os.path.relpath(out)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--postgres", nargs="?", const="", default=None, metavar="URL")
    parser.add_argument("--duration", type=int, default=5, help="seconds per round (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side (default 3)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--inprocess", type=int, default=200, metavar="N", help="in-process requests (0: skip)")
    parser.add_argument("--profile", action="store_true", help="profile the staff API list in-process and stop")
    parser.add_argument("--write", action="store_true", help="put the tables into bench/RESULTS.md")
    args = parser.parse_args(argv)
    ensure_wrk()
    os.makedirs(WORK_DIR, exist_ok=True)
    # The app logs every request; in this process that goes to a file, not the terminal.
    logging.basicConfig(filename=os.path.join(WORK_DIR, "inprocess.log"), level=logging.INFO)
    if args.postgres is not None:
        database = PostgresDatabase(args.tickets, False, args.postgres or None)
    else:
        database = SQLiteDatabase(args.tickets, False)
    database.prepare()
    meta = seed.Plan(database.tickets).meta()
    tokens = make_tokens(database, meta)
    t = meta["tenant"]
    pairs = pairs_of(meta)
    if args.profile:
        try:
            profile(InProcessSides(database, meta, tokens), pairs, 300)
        finally:
            database.close()
        return
    inprocess = None
    if args.inprocess:
        log(f"timing {args.inprocess} requests of each side in-process (CPU time, best of 5)")
        inprocess = time_inprocess(InProcessSides(database, meta, tokens), pairs, args.inprocess)
    env = {"BENCH_DATABASE_URL": database.url, "BENCH_STORAGE_ROOT": database.storage}
    servers = {
        "app": Gunicorn(f"bench.serve:create_bench_app(TICKETS_API_RATE_LIMIT={RATE_LIMIT})", env, "api", WORK_DIR),
        "ceiling": Gunicorn("bench.serve:create_ceiling()", env, "ceiling", WORK_DIR),
    }
    rows = []
    try:
        for server in servers.values():
            server.start()
        servers["app"].wait_ready(f"/{t}/login")
        servers["ceiling"].wait_ready("/ceiling")
        base, ceiling_url = servers["app"].base, servers["ceiling"].base + "/ceiling"
        browsers = {
            who: Browser(base).login(t, meta[f"{who}_email"], meta["password"]) for who in ("staff", "customer")
        }
        for label, who, page_path, api_path in pairs:
            log(f"loading {label}")
            page, api, ceiling = measure_trio(
                base,
                ceiling_url,
                args.rounds,
                args.duration,
                page_path,
                browsers[who].cookie_header(),
                api_path,
                tokens[who],
                args.connections,
            )
            rows.append((label, page, api, ceiling))
            log(
                f"  page {page['rps']:.0f} req/s, API {api['rps']:.0f} req/s ({api['rps'] / page['rps']:.2f} ×), "
                f"ceiling {ceiling['rps']:.0f} req/s"
            )
    finally:
        for server in servers.values():
            server.stop()
        database.close()
    table = render(rows, inprocess, database, args)
    print(table)
    if args.write:
        write(table, database)


def _ratio(a, b):
    return a / b if b else 0.0


def render(rows, inprocess, database, args):
    """Return the Markdown section of this run."""
    c = conditions(database)
    lines = [
        f"### API list against the HTML lists and the ceiling, {database.label}, {database.tickets:,} tickets",
        "",
        f"Measured {c['date']} at commit `{c['commit']}` with `python bench/api_list.py --tickets "
        f"{database.tickets} --duration {args.duration} --rounds {args.rounds} --write`; {c['cpus']} CPUs "
        f"({c['cpu_model']}), load average before the run {c['loadavg']}; {c['database']}; wrk {c['wrk']}, "
        f"{args.connections} connections, {args.rounds} rounds of {args.duration} s per side alternating (page, "
        "API, ceiling, page, API, ceiling …); gunicorn 2 sync workers; 25 rows per page on every side. Target: "
        "the API list at least as fast as the HTML queue.",
        "",
        "| pair | ceiling req/s | page req/s (× ceiling) | API req/s (× ceiling) | page p50 / p99 ms | "
        "API p50 / p99 ms | page bytes | API bytes | API / page | result |",
        "|---|---:|---:|---:|---|---|---:|---:|---:|---|",
    ]
    for label, page, api, ceiling in rows:
        ratio = _ratio(api["rps"], page["rps"])
        ok = page["ok_requests"] and api["ok_requests"] and ceiling["ok_requests"]
        result = ("PASS" if ratio >= 1 else "**MISS**") if ok else f"**FAILED REQUESTS** {api['statuses']}"
        lines.append(
            f"| {label} | {ceiling['rps']:.0f} | {page['rps']:.0f} ({_ratio(page['rps'], ceiling['rps']):.2f}) | "
            f"{api['rps']:.0f} ({_ratio(api['rps'], ceiling['rps']):.2f}) | "
            f"{page['p50_ms']:.1f} / {page['p99_ms']:.1f} | {api['p50_ms']:.1f} / {api['p99_ms']:.1f} | "
            f"{page['wire_bytes_per_request']:,} | {api['wire_bytes_per_request']:,} | {ratio:.2f} | {result} |"
        )
    if inprocess is not None:
        ceiling_ms, timed = inprocess
        lines += [
            "",
            f"In-process CPU time per request (test client, {args.inprocess} requests, best of 5 alternations; the "
            f"ceiling {ceiling_ms:.2f} ms):",
            "",
            "| pair | page ms (ceiling / it) | API ms (ceiling / it) | page ms / API ms |",
            "|---|---:|---:|---:|",
        ]
        for label, page_ms, api_ms in timed:
            lines.append(
                f"| {label} | {page_ms:.2f} ({_ratio(ceiling_ms, page_ms):.2f}) | "
                f"{api_ms:.2f} ({_ratio(ceiling_ms, api_ms):.2f}) | {_ratio(page_ms, api_ms):.2f} |"
            )
    return "\n".join(lines) + "\n"


def write(table, database):
    """Replace this backend's API list section of bench/RESULTS.md (or add it under "API")."""
    with open(RESULTS_MD, encoding="utf-8") as f:
        text = f.read()
    heading = table.splitlines()[0]
    key = heading.split(",")[1].strip()
    # This run's section replaces the one of the same database, older headings included.
    pattern = re.compile(rf"### API list against the HTML lists[^\n]*, {re.escape(key)},.*?(?=\n### |\n## |\Z)", re.S)
    if "\n## API\n" not in text:
        text = text.rstrip("\n") + "\n\n## API\n\nWritten by `python bench/api_list.py --write`.\n"
    if pattern.search(text):
        text = pattern.sub(lambda _: table.rstrip("\n") + "\n", text, count=1)
    else:
        text = text.replace("\n## API\n", "\n## API\n\n" + table.rstrip("\n") + "\n", 1)
    with open(RESULTS_MD, "w", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
