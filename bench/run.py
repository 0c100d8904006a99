"""Benchmark the helpdesk against a minimal Flask page: ``python bench/run.py --help``.

Seeds (or reuses) a database, serves the app and the ceiling with gunicorn, loads
each page with wrk, counts SQL statements in-process, and writes bench/RESULTS.md.
"""

import argparse
import glob
import json
import logging
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime

# Import the bench modules as the package ``bench`` from the repository root; the script's
# own folder must not shadow the standard library (a bench/queue.py would hide ``queue``).
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import pgserver, report, samebytes, search_index, seed  # noqa: E402
from bench.ceiling import create_ceiling_app  # noqa: E402
from bench.load import Browser, Gunicorn, ensure_wrk, run_wrk  # noqa: E402
from bench.pages import SAME_BYTES_TARGETS, InProcess, build_pages, has_staff_side  # noqa: E402
from bench.serve import add_empty_page, bench_config  # noqa: E402
from xobito_tickets import create_app  # noqa: E402

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
WORK_DIR = os.path.join(BENCH_DIR, "work")
#: Appended to the name of a seed made without the search index (``--no-search``).
NO_SEARCH_SUFFIX = "-nosearch"


# Page 500 is found from the "All" tab: since Part 2's queue tabs the default tab (needs a
# reply) has fewer than 500 pages at 100,000 tickets. Both are keyset-paged the same way.


def log(message):
    print(message, flush=True)


class SQLiteDatabase:
    """A seeded SQLite file in bench/work, reused while the parameters match; runs use a copy."""

    label = "SQLite"
    backend = "sqlite"

    def __init__(self, tickets, reseed, search=True):
        self.tickets = tickets
        self.search = search
        self.name = seed.seed_name(tickets) + ("" if search else NO_SEARCH_SUFFIX)
        self.seed_path = os.path.join(WORK_DIR, self.name + ".sqlite")
        self.storage = os.path.join(WORK_DIR, self.name + "-storage")
        self.run_path = os.path.join(WORK_DIR, "run.sqlite")
        self.stats_path = os.path.join(WORK_DIR, self.name + ".search.json")
        self.reseed = reseed

    def prepare(self):
        if self.reseed or not os.path.exists(self.seed_path):
            log(f"seeding {self.tickets:,} tickets into {os.path.relpath(self.seed_path)}")
            tmp = self.seed_path + ".tmp"
            for path in (tmp, tmp + "-journal"):
                if os.path.exists(path):
                    os.remove(path)
            shutil.rmtree(self.storage, ignore_errors=True)
            seed.seed(seed.SQLiteSink(tmp), self.tickets, self.storage, log)
            if self.search:
                search_index.build("sqlite:///" + tmp, self.storage, self.stats_path, log)
            seed.count_reports("sqlite:///" + tmp, self.storage, log)
            os.replace(tmp, self.seed_path)
            # Seeds of the same size for an older schema or generator are of no use now.
            for old in glob.glob(os.path.join(WORK_DIR, f"seed-v*-{self.tickets}-*")):
                # (A seed without the search index and one with it are kept side by side.)
                if not os.path.basename(old).startswith(seed.seed_name(self.tickets)):
                    shutil.rmtree(old) if os.path.isdir(old) else os.remove(old)
        else:
            log(f"reusing {os.path.relpath(self.seed_path)}")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.run_path + suffix):
                os.remove(self.run_path + suffix)
        shutil.copyfile(self.seed_path, self.run_path)
        self.url = "sqlite:///" + self.run_path
        return self

    def describe(self):
        return f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"

    def close(self):
        pass


class PostgresDatabase:
    """A seeded database on a private (or given) PostgreSQL server, copied per run as a template."""

    label = "PostgreSQL"
    backend = "postgresql"

    def __init__(self, tickets, reseed, url, search=True):
        self.tickets = tickets
        self.reseed = reseed
        self.search = search
        name = seed.seed_name(tickets, self.backend) + ("" if search else NO_SEARCH_SUFFIX)
        self.name = name.replace("-", "_")
        self.storage = os.path.join(WORK_DIR, name + "-pg-storage")
        self.server = None
        self.given_url = url
        self.stats_path = os.path.join(WORK_DIR, self.name + ".search.json")

    def prepare(self):
        if self.given_url:
            admin = pgserver.with_database(self.given_url, "postgres")
        else:
            self.server = pgserver.PostgresServer(WORK_DIR)
            self.server.start()
            admin = self.server.admin_url()
        self.admin = admin
        if self.reseed or not pgserver.database_exists(admin, self.name):
            log(f"seeding {self.tickets:,} tickets into PostgreSQL database {self.name}")
            tmp = self.name + "_tmp"
            pgserver.run_sql(
                admin,
                f'DROP DATABASE IF EXISTS "{self.name}"',
                f'DROP DATABASE IF EXISTS "{tmp}"',
                f'CREATE DATABASE "{tmp}"',
            )
            shutil.rmtree(self.storage, ignore_errors=True)
            seed.seed(seed.PostgresSink(pgserver.with_database(admin, tmp)), self.tickets, self.storage, log)
            if self.search:
                search_index.build(pgserver.with_database(admin, tmp), self.storage, self.stats_path, log)
            seed.count_reports(pgserver.with_database(admin, tmp), self.storage, log)
            pgserver.run_sql(admin, f'ALTER DATABASE "{tmp}" RENAME TO "{self.name}"')
            # "_" is LIKE's one-character wildcard: escaped, or the 100,000 seed's pattern
            # matches the 1,000,000 seed's name ("seed_v6_1000000_…") and drops it.
            for old in pgserver.databases_like(admin, f"seed\\_v%\\_{self.tickets}\\_%"):
                if not old.startswith(seed.seed_name(self.tickets, self.backend).replace("-", "_")):
                    pgserver.run_sql(admin, f'DROP DATABASE IF EXISTS "{old}"')
        else:
            log(f"reusing PostgreSQL database {self.name}")
        # FILE_COPY: the default strategy (WAL_LOG) writes the whole copy to the WAL,
        # gigabytes at 1,000,000 tickets, and the checkpoint that follows would land in
        # the middle of the measurements.
        pgserver.run_sql(
            admin,
            'DROP DATABASE IF EXISTS "bench_run" WITH (FORCE)',
            f'CREATE DATABASE "bench_run" TEMPLATE "{self.name}"'
            + (" STRATEGY = FILE_COPY" if pgserver.server_version(admin) >= 150000 else ""),
        )
        self.url = pgserver.with_database(admin, "bench_run")
        # ANALYZE statistics are not copied with a template database.
        pgserver.run_sql(self.url, "ANALYZE")
        pgserver.checkpoint(self.url)
        os.makedirs(self.storage, exist_ok=True)
        return self

    def describe(self):
        import sqlalchemy as sa

        engine = sa.create_engine(self.url)
        with engine.connect() as conn:
            version = conn.scalar(sa.text("SHOW server_version"))
        engine.dispose()
        where = "private server on loopback" if self.server else "given server"
        return f"PostgreSQL {version} ({where}, TCP 127.0.0.1)"

    def close(self):
        if self.server:
            self.server.stop()


def conditions(database):
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCH_DIR
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "xobito_tickets"], capture_output=True, text=True, cwd=BENCH_DIR
        ).stdout.strip()
        commit += "+changes" if dirty else ""
    except OSError:
        commit = "unknown"
    cpu_model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu_model = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "database": database.describe(),
        "wrk": wrk_version.replace("wrk ", ""),
        "python": platform.python_version(),
    }


def count_queries(app, meta, pages, database, workdir):
    """Measure every page once in-process: status, bytes, SQL statements (also for 1 and 100 rows)."""
    inproc = InProcess(app, meta)
    big = InProcess(create_app(bench_config(database.url, database.storage, TICKETS_PAGE_SIZE=100)), meta)
    # A list page showing one row: the same URL with one row per page.
    small = InProcess(create_app(bench_config(database.url, database.storage, TICKETS_PAGE_SIZE=1)), meta)
    results = {}
    statements = {}
    for page in pages:
        m = inproc.measure(page)
        if m["status"] != page.expect:
            raise SystemExit(f"{page.label}: in-process status {m['status']}, expected {page.expect}")
        entry = {
            "queries": m["queries"],
            "bytes": m["bytes"],
            "inprocess_ms": cpu_ms(lambda page=page: inproc.request(page)),
        }
        statements[page.key] = m["statements"]
        is_list = page.method == "GET" and page.target in ("customer", "queue", "deep")
        if page.one_row is not None or is_list:
            one = inproc.measure(page.one_row) if page.one_row is not None else small.measure(page)
            entry["queries_one"] = one["queries"]
            statements[page.key + ":one_row"] = one["statements"]
        if is_list:
            hundred = big.measure(page)
            entry["queries_100"] = hundred["queries"]
            statements[page.key + ":100_rows"] = hundred["statements"]
        results[page.key] = entry
        log(
            f"  {page.label}: {entry['queries']} SQL statements, {entry['bytes']:,} bytes, "
            f"{entry['inprocess_ms']:.2f} ms of CPU in-process"
        )
    with open(os.path.join(workdir, "statements.json"), "w") as fh:
        json.dump(statements, fh, indent=1)
    return results


def cpu_ms(call, *args, n=20, tries=3):
    """CPU milliseconds per ``call(*args)``, the best of ``tries`` runs of ``n`` (the machine is shared)."""
    call(*args)
    best = float("inf")
    for _ in range(tries):
        started = time.process_time()
        for _ in range(n):
            call(*args)
        best = min(best, (time.process_time() - started) / n * 1000)
    return round(best, 3)


def same_bytes_pages(inproc, pages, database):
    """Capture the pages that have a same-bytes ceiling; return (pickle path, {key: CPU ms in-process})."""
    chosen = [p for p in pages if p.key in SAME_BYTES_TARGETS]
    if not chosen:
        return None, {}
    captures = [samebytes.capture(inproc, page) for page in chosen]
    path = os.path.join(WORK_DIR, f"same-bytes-{database.backend}.pickle")
    samebytes.save(captures, path)
    app = samebytes.create_same_bytes_app(database.url, path)
    timings = {}
    for page in chosen:
        cookie = inproc.client(page.user).get_cookie("session").value
        client = app.test_client()
        client.set_cookie("session", cookie)
        response = client.get(f"/same-bytes/{page.key}")
        if response.status_code != 200:
            raise SystemExit(f"same-bytes ceiling of {page.label}: status {response.status_code}")
        timings[page.key] = cpu_ms(lambda client=client, page=page: client.get(f"/same-bytes/{page.key}"))
        log(f"  same-bytes ceiling of {page.label}: {len(response.get_data()):,} bytes, {timings[page.key]:.2f} ms")
    return path, timings


def combine(samples, expect):
    """Merge wrk runs of the same URL into one summary (rates over the total time)."""
    requests = sum(w["requests"] for w in samples)
    seconds = sum(w["duration_us"] for w in samples) / 1e6
    statuses, errors = {}, {}
    for w in samples:
        for code, n in w["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
        for kind, n in w["errors"].items():
            errors[kind] = errors.get(kind, 0) + n

    def weighted(key):
        return sum(w["latency_us"][key] * w["requests"] for w in samples) / max(requests, 1) / 1000

    return {
        "rps": requests / seconds if seconds else 0.0,
        "p50_ms": weighted("p50"),
        "p99_ms": weighted("p99"),
        "requests": requests,
        "expected_status": expect,
        "statuses": statuses,
        "socket_errors": errors,
        "wire_bytes_per_request": round(sum(w["bytes"] for w in samples) / requests) if requests else 0,
        "ok_requests": statuses.get(expect, 0) == requests and requests > 0 and errors.get("timeout", 0) == 0,
    }


class Loader:
    """Load pages with wrk, each paired with the ceiling in alternating rounds.

    The machine is shared, so its speed drifts; alternating short rounds of the page
    and of the ceiling (same length, same connections) exposes both to the same
    conditions, and each page's ratio uses the ceiling rounds next to it.
    """

    def __init__(self, args, ceiling_url):
        self.args = args
        self.ceiling_url = ceiling_url
        self.ceiling_rounds = []

    def wrk(self, url, seconds, method="GET", body="", cookie=""):
        a = self.args
        return run_wrk(url, seconds, a.connections, a.threads, method, body, cookie)

    def warm_ceiling(self):
        self.wrk(self.ceiling_url, max(self.args.warmup, 1))

    def measure(self, url, expect, method="GET", body="", cookie="", same_bytes_url=None):
        """Return (page summary, paired ceiling summary, paired same-bytes summary or None)."""
        a = self.args
        if a.warmup:
            self.wrk(url, a.warmup, method, body, cookie)
            if same_bytes_url:
                self.wrk(same_bytes_url, a.warmup, cookie=cookie)
        burst = max(1, round(a.duration / a.rounds))
        page, ceiling, same = [], [], []
        for _ in range(a.rounds):
            ceiling.append(self.wrk(self.ceiling_url, burst))
            if same_bytes_url:
                same.append(self.wrk(same_bytes_url, burst, cookie=cookie))
            page.append(self.wrk(url, burst, method, body, cookie))
        self.ceiling_rounds += ceiling
        return combine(page, expect), combine(ceiling, 200), combine(same, 200) if same else None


def run_once(args, database):
    """Run the whole benchmark at one size and return the run's results."""
    os.makedirs(WORK_DIR, exist_ok=True)
    database.prepare()
    meta = seed.Plan(database.tickets).meta()
    app = add_empty_page(create_app(bench_config(database.url, database.storage)))
    inproc = InProcess(app, meta)
    deep = None
    if has_staff_side(app):
        log("finding staff queue page 500 (following the next links)")
        deep = inproc.find_page(f"/{meta['tenant']}/admin/tickets?tab=all", 500)
        if deep is None:
            log("  the queue has fewer than 500 pages or no rel=next link; page 500 is not measured")
    pages = build_pages(meta, app, deep)
    selected = [p for p in pages if not args.pages or p.key in args.pages]
    log("counting SQL statements in-process")
    counts = count_queries(app, meta, selected, database, WORK_DIR)
    log("capturing the same-bytes ceilings")
    same_path, same_ms = same_bytes_pages(inproc, selected, database)

    env = {"BENCH_DATABASE_URL": database.url, "BENCH_STORAGE_ROOT": database.storage}
    servers = {
        "app": Gunicorn("bench.serve:create_bench_app()", env, "app", WORK_DIR),
        "ceiling": Gunicorn("bench.serve:create_ceiling()", env, "ceiling", WORK_DIR),
    }
    if same_path:
        servers["same_bytes"] = Gunicorn(
            "bench.serve:create_same_bytes()", dict(env, BENCH_SAME_BYTES=same_path), "same-bytes", WORK_DIR
        )
    results = {"pages": {}, "ceiling": {}}
    try:
        for server in servers.values():
            server.start()
        servers["app"].wait_ready(f"/{meta['tenant']}/login")
        servers["ceiling"].wait_ready("/ceiling")
        if same_path:
            servers["same_bytes"].wait_ready("/same-bytes/none")
        app_base, ceiling_url = servers["app"].base, servers["ceiling"].base + "/ceiling"
        browsers = {
            "customer": Browser(app_base).login(meta["tenant"], meta["customer_email"], meta["password"]),
            "staff": Browser(app_base).login(meta["tenant"], meta["staff_email"], meta["password"]),
            "admin": Browser(app_base).login(meta["tenant"], meta["admin_email"], meta["password"]),
        }
        # A form's token only for who posts in this run (staff are sent from the customer's form elsewhere).
        posters = {page.user for page in selected if page.method == "POST"}
        tokens = {
            who: b.csrf_token(f"/{meta['tenant']}/tickets/create") for who, b in browsers.items() if who in posters
        }
        for page in selected:  # one real request each, so a broken page stops the run early
            status, _, _ = browsers[page.user].request(
                page.path, dict(page.form, csrf_token=tokens[page.user]) if page.method == "POST" else None
            )
            if status != page.expect:
                raise SystemExit(f"{page.label}: status {status} over HTTP, expected {page.expect}")

        loader = Loader(args, ceiling_url)
        log(
            f"loading with wrk: {args.duration} s per page in {args.rounds} rounds alternating with the ceiling, "
            f"after {args.warmup} s warm-up; {args.connections} connections"
        )
        loader.warm_ceiling()
        gets = [p for p in selected if p.method == "GET"]
        posts = [p for p in selected if p.method == "POST"]  # last: they add rows
        for page in gets + posts:
            body = ""
            if page.method == "POST":
                body = urllib.parse.urlencode(dict(page.form, csrf_token=tokens[page.user]))
            cookie = browsers[page.user].cookie_header()
            same_url = servers["same_bytes"].base + f"/same-bytes/{page.key}" if page.key in same_ms else None
            entry, ceiling, same = loader.measure(
                app_base + page.path, page.expect, page.method, body, cookie, same_url
            )
            entry.update(counts[page.key], label=page.label, target=page.target, path=page.path, method=page.method)
            entry["ceiling_rps"] = ceiling["rps"]
            if same is not None:
                if not same["ok_requests"]:
                    raise SystemExit(f"same-bytes ceiling of {page.label}: unexpected statuses {same['statuses']}")
                entry["same_bytes_rps"] = same["rps"]
                entry["same_bytes_inprocess_ms"] = same_ms[page.key]
                entry["same_bytes_target"] = SAME_BYTES_TARGETS[page.key]
            results["pages"][page.key] = entry
            flag = "" if entry["ok_requests"] else f"  UNEXPECTED STATUSES {entry['statuses']}"
            same_text = f", same-bytes {same['rps']:.0f}" if same is not None else ""
            log(
                f"  {page.label}: {entry['rps']:.0f} req/s (ceiling {ceiling['rps']:.0f}{same_text}), "
                f"p50 {entry['p50_ms']:.1f} ms, p99 {entry['p99_ms']:.1f} ms{flag}"
            )
    finally:
        for server in servers.values():
            server.stop()
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()

    ceiling = combine(loader.ceiling_rounds, 200)
    results["ceiling"] = {
        "rps": ceiling["rps"],
        "samples": [round(p["ceiling_rps"]) for p in results["pages"].values()],
        "p50_ms": ceiling["p50_ms"],
        "p99_ms": ceiling["p99_ms"],
        "bytes": ceiling_bytes(database.url),
        "inprocess_ms": cpu_ms(create_ceiling_app(database.url).test_client().get, "/ceiling"),
        "ok_requests": ceiling["ok_requests"],
    }
    missing = []
    if not has_staff_side(app):
        missing.append("the staff pages (the staff side, tickets.admin.ticket_queue, does not exist yet)")
    elif deep is None:
        missing.append("staff queue page 500 (fewer than 500 pages, or no rel=next link)")
    return {
        "backend": database.backend,
        "backend_label": database.label,
        "tickets": database.tickets,
        "settings": f"{args.connections} connections, {args.threads} thread, {args.duration} s per page in "
        f"{args.rounds} rounds alternating with the ceiling, after {args.warmup} s warm-up; gunicorn 2 sync workers",
        "conditions": conditions(database),
        "missing": "; ".join(missing),
        "search_index": search_index.load(database.stats_path),
        **results,
    }


def ceiling_bytes(url):
    app = create_ceiling_app(url)
    return len(app.test_client().get("/ceiling").get_data())


def profile(args, database, keys):
    """Profile pages in-process with pyinstrument; reports go to bench/work/profiles/."""
    database.prepare()
    meta = seed.Plan(database.tickets).meta()
    app = add_empty_page(create_app(bench_config(database.url, database.storage)))
    inproc = InProcess(app, meta)
    deep = None
    if has_staff_side(app) and (not keys or "queue_page500" in keys):  # 500 requests to find it
        deep = inproc.find_page(f"/{meta['tenant']}/admin/tickets?tab=all", 500)
    outdir = os.path.join(WORK_DIR, "profiles")
    os.makedirs(outdir, exist_ok=True)
    for page in build_pages(meta, app, deep):
        if page.key in keys:
            out = os.path.join(outdir, f"{database.backend}-{page.key}.txt")
            inproc.profile(page, args.profile_requests, out)
            log(f"profile of {page.label}: {os.path.relpath(out)} (and .html)")


def time_inprocess(args, database, keys):
    """Time pages in-process in CPU time (test client, no server, no wrk): quick feedback while optimizing."""
    database.prepare()
    meta = seed.Plan(database.tickets).meta()
    app = add_empty_page(create_app(bench_config(database.url, database.storage)))
    inproc = InProcess(app, meta)
    deep = None
    if has_staff_side(app) and (not keys or "queue_page500" in keys):  # 500 requests to find it
        deep = inproc.find_page(f"/{meta['tenant']}/admin/tickets?tab=all", 500)
    ceiling = create_ceiling_app(database.url).test_client()
    n = args.inprocess

    def clock(call):
        call()
        started = time.process_time()
        for _ in range(n):
            call()
        return (time.process_time() - started) / n * 1000

    def ceiling_call():
        ceiling.get("/ceiling")

    pages = [p for p in build_pages(meta, app, deep) if not keys or p.key in keys]
    best = {p.key: float("inf") for p in pages}
    base = float("inf")
    for _ in range(5):  # alternate and keep the best of each, in CPU time: the machine is shared
        base = min(base, clock(ceiling_call))
        for page in pages:
            best[page.key] = min(best[page.key], clock(lambda page=page: inproc.request(page)))
    log(f"  ceiling: {base:.2f} ms")
    _, same_ms = same_bytes_pages(inproc, pages, database)
    for page in pages:
        same = f", same-bytes ceiling {same_ms[page.key]:.2f} ms" if page.key in same_ms else ""
        log(f"  {page.label}: {best[page.key]:.2f} ms ({base / best[page.key]:.2f} × ceiling{same})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets in the tenant (default 100000)")
    parser.add_argument(
        "--million", action="store_true", help="also run with 1,000,000 tickets and compare with 100,000"
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="",
        default=None,
        metavar="URL",
        help="use PostgreSQL: a private server in bench/work/pg, or the server of URL",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per page (default 2)")
    parser.add_argument("--rounds", type=int, default=2, help="page/ceiling alternations per page (default 2)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--pages", nargs="*", help="only these page keys (e.g. customer_list post_reply)")
    parser.add_argument("--reseed", action="store_true", help="seed again even if a matching database exists")
    parser.add_argument("--seed-only", action="store_true", help="seed (or check the seed) and stop")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--profile", nargs="+", metavar="PAGE", help="profile these pages in-process instead")
    parser.add_argument("--profile-requests", type=int, default=300)
    parser.add_argument("--inprocess", type=int, metavar="N", help="only time N requests per page in-process")
    parser.add_argument(
        "--no-search",
        action="store_true",
        help="seed without the search index (a separate seed; for pages that do not search, e.g. the reports)",
    )
    args = parser.parse_args(argv)

    ensure_wrk()
    os.makedirs(WORK_DIR, exist_ok=True)
    # The app logs every request; in this process that goes to a file, not the terminal.
    logging.basicConfig(filename=os.path.join(WORK_DIR, "inprocess.log"), level=logging.INFO)
    sizes = [args.tickets] + ([1_000_000] if args.million and args.tickets != 1_000_000 else [])
    for tickets in sizes:
        if args.postgres is not None:
            database = PostgresDatabase(tickets, args.reseed, args.postgres or None, search=not args.no_search)
        else:
            database = SQLiteDatabase(tickets, args.reseed, search=not args.no_search)
        started = time.monotonic()
        try:
            if args.seed_only:
                database.prepare()
                continue
            if args.inprocess:
                time_inprocess(args, database, args.pages)
                continue
            if args.profile:
                profile(args, database, args.profile)
                continue
            run = run_once(args, database)
        finally:
            database.close()
        report.judge(run)
        report.print_run(run)
        if not args.no_write and not args.pages:
            report.write_results(run)
            log(f"written to {os.path.relpath(report.RESULTS_MD)} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
