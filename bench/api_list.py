"""The API's ticket list against the HTML lists it mirrors, on the benchmark's seeded database.

    python bench/api_list.py [--tickets 100000] [--postgres [URL]] [--duration 10] [--rounds 3]

Serves the app with gunicorn (bench/gunicorn_bench.py), makes an API token for the seed's staff
member and customer in-process, logs the same people in over HTTP for the pages, and loads
each pair with wrk in alternating rounds (page, API, page, API, …) so that both see the same
machine. Target (issue 14): the API list at least as fast as the HTML queue. The rate limit
is raised for the run: the per-token counter (one UPDATE per request) is still counted.
Prints a Markdown table; ``--write`` puts it into bench/RESULTS.md under "API".
"""

import argparse
import os
import re
import sys

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


def measure_pair(base, rounds, seconds, page_path, cookie, api_path, token, connections):
    """Alternate wrk rounds of the page and the API; return their combined summaries."""
    page, api = [], []
    run_wrk(base + page_path, 2, connections, 1, cookie=cookie)  # warm-up
    run_wrk(base + api_path, 2, connections, 1, authorization=f"Bearer {token}")
    for _ in range(rounds):
        page.append(run_wrk(base + page_path, seconds, connections, 1, cookie=cookie))
        api.append(run_wrk(base + api_path, seconds, connections, 1, authorization=f"Bearer {token}"))
    return combine(page, 200), combine(api, 200)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--postgres", nargs="?", const="", default=None, metavar="URL")
    parser.add_argument("--duration", type=int, default=5, help="seconds per round (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side (default 3)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--write", action="store_true", help="put the table into bench/RESULTS.md")
    args = parser.parse_args(argv)
    ensure_wrk()
    os.makedirs(WORK_DIR, exist_ok=True)
    if args.postgres is not None:
        database = PostgresDatabase(args.tickets, False, args.postgres or None)
    else:
        database = SQLiteDatabase(args.tickets, False)
    database.prepare()
    meta = seed.Plan(database.tickets).meta()
    tokens = make_tokens(database, meta)
    t = meta["tenant"]
    env = {"BENCH_DATABASE_URL": database.url, "BENCH_STORAGE_ROOT": database.storage}
    server = Gunicorn(f"bench.serve:create_bench_app(TICKETS_API_RATE_LIMIT={RATE_LIMIT})", env, "api", WORK_DIR)
    filtered = "status=open&status=answered&priority=high&department=" + str(meta["staff_departments"][0])
    pairs = [
        ("Staff queue (default) / API list, staff", "staff", f"/{t}/admin/tickets", f"/{t}/api/v1/tickets"),
        (
            "Staff queue, status+priority+department / API list, same filters",
            "staff",
            f"/{t}/admin/tickets?{filtered}",
            f"/{t}/api/v1/tickets?{filtered}",
        ),
        ("Customer list / API list, customer", "customer", f"/{t}/tickets", f"/{t}/api/v1/tickets"),
    ]
    rows = []
    try:
        server.start()
        server.wait_ready(f"/{t}/login")
        base = server.base
        browsers = {
            who: Browser(base).login(t, meta[f"{who}_email"], meta["password"]) for who in ("staff", "customer")
        }
        for label, who, page_path, api_path in pairs:
            log(f"loading {label}")
            page, api = measure_pair(
                base,
                args.rounds,
                args.duration,
                page_path,
                browsers[who].cookie_header(),
                api_path,
                tokens[who],
                args.connections,
            )
            rows.append((label, page, api))
            log(f"  page {page['rps']:.0f} req/s, API {api['rps']:.0f} req/s ({api['rps'] / page['rps']:.2f} ×)")
    finally:
        server.stop()
        database.close()
    table = render(rows, database, args)
    print(table)
    if args.write:
        write(table, database)


def render(rows, database, args):
    """Return the Markdown section of this run."""
    c = conditions(database)
    lines = [
        f"### API list against the HTML lists, {database.label}, {database.tickets:,} tickets",
        "",
        f"Measured {c['date']} at commit `{c['commit']}`; {c['cpus']} CPUs ({c['cpu_model']}), load average "
        f"before the run {c['loadavg']}; {c['database']}; wrk {c['wrk']}, {args.connections} connections, "
        f"{args.rounds} rounds of "
        f"{args.duration} s per side alternating (page, API, page, API …); gunicorn 2 sync workers; 25 rows per "
        "page on both sides. Target: the API list at least as fast as the HTML queue.",
        "",
        "| pair | page req/s | API req/s | page p50 / p99 ms | API p50 / p99 ms | page bytes | API bytes | "
        "API / page | result |",
        "|---|---:|---:|---|---|---:|---:|---:|---|",
    ]
    for label, page, api in rows:
        ratio = api["rps"] / page["rps"] if page["rps"] else 0
        ok = page["ok_requests"] and api["ok_requests"]
        result = ("PASS" if ratio >= 1 else "**MISS**") if ok else f"**FAILED REQUESTS** {api['statuses']}"
        lines.append(
            f"| {label} | {page['rps']:.0f} | {api['rps']:.0f} | {page['p50_ms']:.1f} / {page['p99_ms']:.1f} | "
            f"{api['p50_ms']:.1f} / {api['p99_ms']:.1f} | {page['wire_bytes_per_request']:,} | "
            f"{api['wire_bytes_per_request']:,} | {ratio:.2f} | {result} |"
        )
    return "\n".join(lines) + "\n"


def write(table, database):
    """Replace this backend's API section of bench/RESULTS.md (or add it at the end)."""
    with open(RESULTS_MD, encoding="utf-8") as f:
        text = f.read()
    heading = table.splitlines()[0]
    key = heading.split(",")[1].strip()
    pattern = re.compile(rf"### API list against the HTML lists, {re.escape(key)},.*?(?=\n### |\n## |\Z)", re.S)
    if "\n## API\n" not in text:
        text = text.rstrip("\n") + "\n\n## API\n\nWritten by `python bench/api_list.py --write`.\n"
    if pattern.search(text):
        text = pattern.sub(table.rstrip("\n"), text)
    else:
        text = text.rstrip("\n") + "\n\n" + table
    with open(RESULTS_MD, "w", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
