"""Judge the measurements against the targets and write bench/RESULTS.md."""

import glob
import json
import os

from bench.pages import QUERY_BUDGET, TARGETS

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
RESULTS_MD = os.path.join(BENCH_DIR, "RESULTS.md")
SCALE_LIMIT = 1.5


PAGE_ORDER = [
    "empty_page",
    "customer_list",
    "ticket_view",
    "queue_default",
    "queue_filtered",
    "queue_search",
    "queue_page500",
    "search_word",
    "search_rare",
    "search_none",
    "search_phrase",
    "search_filtered",
    "staff_ticket_view",
    "post_create",
    "post_reply",
]


def _page_order(key):
    return PAGE_ORDER.index(key) if key in PAGE_ORDER else len(PAGE_ORDER)


def judge(run):
    """Add ratio, target and verdicts to every page of ``run`` (in place) and return it."""
    pages = run["pages"] = {key: run["pages"][key] for key in sorted(run["pages"], key=_page_order)}
    queue = pages.get("queue_default")
    for page in pages.values():
        # Against the ceiling rounds measured next to this page (see run.Loader).
        ceiling = page.get("ceiling_rps") or run["ceiling"]["rps"]
        page["ratio"] = page["rps"] / ceiling if ceiling else 0.0
    for page in pages.values():
        description, kind, threshold = TARGETS[page["target"]]
        if kind == "ceiling":
            page["target_text"] = description
            page["target_value"] = page["ratio"]
        else:
            # Page 500 against page 1, each through its ratio to the ceiling rounds next
            # to it: the two were loaded at different moments of a shared machine.
            page["target_text"] = description
            page["target_value"] = page["ratio"] / queue["ratio"] if queue and queue.get("ratio") else 0.0
        page["target_ok"] = page["target_value"] >= threshold and page["ok_requests"]
        if page.get("same_bytes_rps"):
            page["same_bytes_ratio"] = page["rps"] / page["same_bytes_rps"]
            page["same_bytes_ok"] = page["same_bytes_ratio"] >= page["same_bytes_target"] and page["ok_requests"]
        counts = [c for c in (page["queries"], page.get("queries_one"), page.get("queries_100")) if c is not None]
        page["queries_ok"] = max(counts) <= QUERY_BUDGET and len(set(counts)) == 1
    return run


def compare_scales(small, large):
    """Return per page: req/s at both sizes and whether the large one is within SCALE_LIMIT.

    The verdict uses each page's ratio to the ceiling of its own run, so that a
    machine that is busier during one of the two runs does not decide it.
    """
    rows = []
    for key, page in large["pages"].items():
        base = small["pages"].get(key)
        if base is None:
            continue
        slowdown = base["ratio"] / page["ratio"] if page["ratio"] else float("inf")
        raw = base["rps"] / page["rps"] if page["rps"] else float("inf")
        rows.append(
            {
                "key": key,
                "label": page["label"],
                "small_rps": base["rps"],
                "large_rps": page["rps"],
                "small_p50": base["p50_ms"],
                "large_p50": page["p50_ms"],
                "slowdown": slowdown,
                "raw_slowdown": raw,
                "ok": slowdown <= SCALE_LIMIT,
            }
        )
    return rows


def verdict(ok):
    return "PASS" if ok else "**MISS**"


def _same_bytes_cells(page):
    """The same-bytes columns: its req/s, the page's ratio to it with the verdict, its in-process ms."""
    if not page.get("same_bytes_rps"):
        return "", "", ""
    ratio = f"{page['same_bytes_ratio']:.2f} (≥ {page['same_bytes_target']:.1f}: {verdict(page['same_bytes_ok'])})"
    return f"{page['same_bytes_rps']:.0f}", ratio, f"{page['same_bytes_inprocess_ms']:.2f}"


def page_table(run):
    ceiling_ms = run["ceiling"].get("inprocess_ms")
    lines = [
        "| page | req/s | ceiling req/s | same-bytes req/s | ratio to ceiling | ratio to same-bytes | "
        "in-process ms | same-bytes in-process ms | p50 ms | p99 ms | SQL/req (1 row, 100 rows) | bytes | "
        "target | result | queries ≤ 8, flat |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---|---|---|",
        f"| ceiling (25-row table, 1 query), all rounds | {run['ceiling']['rps']:.0f} | | | 1.00 | | "
        f"{f'{ceiling_ms:.2f}' if ceiling_ms else ''} | | "
        f"{run['ceiling']['p50_ms']:.1f} | {run['ceiling']['p99_ms']:.1f} | 1 | {run['ceiling']['bytes']:,} | "
        "| | |",
    ]
    for page in run["pages"].values():
        extra = [str(c) if c is not None else "–" for c in (page.get("queries_one"), page.get("queries_100"))]
        target_value = f" ({page['target_value']:.2f})" if page["target"] in ("deep", "search") else ""
        ok_note = "" if page["ok_requests"] else " (failed requests)"
        same_rps, same_ratio, same_ms = _same_bytes_cells(page)
        ms = page.get("inprocess_ms")
        lines.append(
            f"| {page['label']} | {page['rps']:.0f} | {page.get('ceiling_rps', 0):.0f} | {same_rps} | "
            f"{page['ratio']:.2f} | {same_ratio} | {f'{ms:.2f}' if ms is not None else ''} | {same_ms} | "
            f"{page['p50_ms']:.1f} | {page['p99_ms']:.1f} | "
            f"{page['queries']} ({', '.join(extra)}) | {page['bytes']:,} | "
            f"{page['target_text']}{target_value} | {verdict(page['target_ok'])}{ok_note} | "
            f"{verdict(page['queries_ok'])} |"
        )
    return lines


def run_section(run):
    c = run["conditions"]
    ceilings = ", ".join(f"{x:.0f}" for x in run["ceiling"]["samples"])
    lines = [
        f"### {run['backend_label']}, {run['tickets']:,} tickets",
        "",
        f"Measured {c['date']} at commit `{c['commit']}`; {c['cpus']} CPUs ({c['cpu_model']}), load average "
        f"before the run {c['loadavg']}; {c['database']}; wrk {c['wrk']} ({run['settings']}). "
        f"Each page is loaded in rounds alternating with the ceiling; its ratio is against those ceiling rounds "
        f"(ceiling req/s next to each page: {ceilings}).",
        "",
        *page_table(run),
        "",
    ]
    index = run.get("search_index")
    if index:
        lines += [
            f"Search index: {index['documents']:,} documents built in {index['seconds']:.0f} s "
            f"(`flask tickets reindex`); {index['size_mb']:,.0f} MB ({index['detail']}).",
            "",
        ]
    if run.get("missing"):
        lines += [f"Not measured: {run['missing']}", ""]
    return lines


def load_runs():
    runs = {}
    for path in sorted(glob.glob(os.path.join(RESULTS_DIR, "*.json"))):
        with open(path) as fh:
            run = judge(json.load(fh))
        runs[(run["backend"], run["tickets"])] = run
    return runs


def render(runs, notes=""):
    """Return the text of RESULTS.md for the given runs."""
    lines = [
        "# Benchmark results",
        "",
        "Written by `python bench/run.py` (see the README, section Benchmark). Each table is one run:",
        "the app and the ceiling served by gunicorn (2 sync workers) on loopback and loaded with wrk in the",
        "same run on the same machine. SQL/req is counted in-process for one request of the page (the",
        "page as served, then the same page showing one row, then with 100 rows per page where the page is",
        "a list). A page whose requests did not all answer with the expected status cannot pass.",
        "",
    ]
    for backend in ("sqlite", "postgresql"):
        sizes = sorted(t for b, t in runs if b == backend)
        if not sizes:
            continue
        lines += [f"## {runs[(backend, sizes[0])]['backend_label']}", ""]
        for size in sizes:
            lines += run_section(runs[(backend, size)])
        if 100_000 in sizes and 1_000_000 in sizes:
            rows = compare_scales(runs[(backend, 100_000)], runs[(backend, 1_000_000)])
            lines += [
                "### 1,000,000 tickets against 100,000",
                "",
                "Target: every page within 1.5 × its figure at 100,000. Slowdown = ratio to the ceiling at",
                "100,000 / ratio to the ceiling at 1,000,000 (raw req/s slowdown shown too).",
                "",
                "| page | req/s 100k | req/s 1M | p50 ms 100k | p50 ms 1M | slowdown (raw) | result |",
                "|---|---:|---:|---:|---:|---|---|",
            ]
            for row in rows:
                lines.append(
                    f"| {row['label']} | {row['small_rps']:.0f} | {row['large_rps']:.0f} | {row['small_p50']:.1f} | "
                    f"{row['large_p50']:.1f} | {row['slowdown']:.2f} ({row['raw_slowdown']:.2f}) | "
                    f"{verdict(row['ok'])} |"
                )
            lines.append("")
    if notes:
        lines += ["## Notes", "", notes.strip(), ""]
    return "\n".join(lines)


def write_results(run):
    """Store ``run`` as JSON and regenerate RESULTS.md from every stored run."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, f"{run['backend']}-{run['tickets']}.json")
    with open(path, "w") as fh:
        json.dump(run, fh, indent=1, sort_keys=True)
    notes_path = os.path.join(BENCH_DIR, "NOTES.md")
    notes = open(notes_path).read() if os.path.exists(notes_path) else ""
    with open(RESULTS_MD, "w") as fh:
        fh.write(render(load_runs(), notes))


def print_run(run):
    print()
    print("\n".join(run_section(run)))
