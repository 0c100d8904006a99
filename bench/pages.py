"""The pages under test, their targets, and what is measured in-process.

In-process (Flask's test client on the same database) the runner counts the SQL
statements of one request of each page with a ``before_cursor_execute`` listener,
measures the size of the page, checks its status, and finds the URL of queue page
500 by following the "next" links, whatever the paging scheme of the queue.
"""

import html
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

#: Statements that are transaction control, not queries.
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@dataclass
class Page:
    """One page to load: who asks for it, how, and what it must reach."""

    key: str
    label: str
    method: str
    path: str
    user: str  # "customer", "staff", "admin" or "solo" (the customer with one ticket)
    expect: int
    target: str  # key of TARGETS
    form: dict = field(default_factory=dict)  # POST fields besides csrf_token
    one_row: "Page | None" = None  # a page like it showing a single row (lists: the same URL, one row per page)


#: target key -> (description, kind, threshold)
TARGETS = {
    "customer": ("≥ 0.6 × ceiling", "ceiling", 0.6),
    "queue": ("≥ 0.4 × ceiling", "ceiling", 0.4),
    "deep": ("≥ 0.9 × staff queue page 1", "queue", 0.9),
    "view": ("≥ 0.4 × ceiling", "ceiling", 0.4),
    "post": ("≥ 0.15 × ceiling", "ceiling", 0.15),
    "search": ("≥ 0.5 × staff queue page 1", "queue", 0.5),
    # A download of thousands of rows: measured, no target against a 25-row page.
    "export": ("measured (a file of every matching ticket)", "none", 0),
    # The module's fixed cost per page: judged in-process (bench/NOTES.md), loaded for reference.
    "fixed": ("measured (the module's fixed cost per page)", "none", 0),
}

#: Pages with a same-bytes ceiling (bench/samebytes.py) and their target against it.
SAME_BYTES_TARGETS = {"customer_list": 0.8, "queue_default": 0.8, "staff_ticket_view": 0.7}
QUERY_BUDGET = 8


def has_staff_side(app):
    return "tickets.admin.ticket_queue" in app.view_functions


def has_reports(app):
    return "tickets.admin.report_page" in app.view_functions


def report_pages(meta):
    """The reports page over the last year (staff and admin) and the queue's CSV export (a year of a department)."""
    t = meta["tenant"]
    end = datetime.now(UTC).date()
    year = f"from={end - timedelta(days=364)}&to={end}"
    department = meta["staff_departments"][0]
    return [
        Page(
            "reports_year_admin",
            "Reports, one year (admin)",
            "GET",
            f"/{t}/admin/reports?{year}",
            "admin",
            200,
            "queue",
        ),
        Page(
            "reports_year_staff",
            "Reports, one year (staff)",
            "GET",
            f"/{t}/admin/reports?{year}",
            "staff",
            200,
            "queue",
        ),
        Page(
            "reports_csv_staff",
            "Report table CSV, by staff member, one year",
            "GET",
            f"/{t}/admin/reports/staff.csv?{year}",
            "admin",
            200,
            "queue",
        ),
        Page(
            "export_csv_open",
            "Queue CSV export, one department's open tickets",
            "GET",
            f"/{t}/admin/tickets.csv?status=open&department={department}",
            "staff",
            200,
            "export",
        ),
    ]


def build_pages(meta, app, deep_path=None):
    """Return the pages of this run; the staff pages only once the staff side exists."""
    t = meta["tenant"]
    solo_list = Page("solo_list", "", "GET", f"/{t}/tickets", "solo", 200, "customer")
    one_reply = Page("one_reply", "", "GET", f"/{t}/tickets/{meta['one_reply_number']}", "customer", 200, "view")
    pages = []
    if "tickets.bench_empty" in app.view_functions:
        pages.append(Page("empty_page", "Empty logged-in page", "GET", f"/{t}/bench-empty", "customer", 200, "fixed"))
    pages += [
        Page("customer_list", "Customer list", "GET", f"/{t}/tickets", "customer", 200, "customer", one_row=solo_list),
        Page(
            "ticket_view",
            "Ticket view, 50 replies (customer)",
            "GET",
            f"/{t}/tickets/{meta['thread_number']}",
            "customer",
            200,
            "view",
            one_row=one_reply,
        ),
    ]
    if has_staff_side(app):
        departments = meta["staff_departments"]
        search = Page(
            "queue_search",
            "Staff queue, search by number",
            "GET",
            f"/{t}/admin/tickets?q={meta['one_reply_number']}",
            "staff",
            200,
            "queue",
        )
        filtered = "status=open&status=answered&priority=high&department=" + str(departments[0])
        admin_one = Page(
            "admin_one_reply", "", "GET", f"/{t}/admin/tickets/{meta['one_reply_number']}", "staff", 200, "view"
        )
        pages += [
            Page(
                "queue_default",
                "Staff queue (default)",
                "GET",
                f"/{t}/admin/tickets",
                "staff",
                200,
                "queue",
            ),
            Page(
                "queue_filtered",
                "Staff queue, status+priority+department",
                "GET",
                f"/{t}/admin/tickets?{filtered}",
                "staff",
                200,
                "queue",
            ),
            search,
        ]
        if deep_path:
            pages.append(Page("queue_page500", "Staff queue, page 500", "GET", deep_path, "staff", 200, "deep"))
        pages += search_pages(meta)
        pages.append(
            Page(
                "staff_ticket_view",
                "Ticket view, 50 replies (staff)",
                "GET",
                f"/{t}/admin/tickets/{meta['thread_number']}",
                "staff",
                200,
                "view",
                one_row=admin_one,
            )
        )
    if has_reports(app):
        pages += report_pages(meta)
    pages += [
        Page(
            "post_create",
            "POST create ticket",
            "POST",
            f"/{t}/tickets/store",
            "customer",
            303,
            "post",
            form={
                "subject": "Benchmark ticket",
                "department": str(meta["department_ids"][0]),
                "priority": "medium",
                "body": "Created by the benchmark to measure the create form.",
            },
        ),
        Page(
            "post_reply",
            "POST reply",
            "POST",
            f"/{t}/tickets/{meta['reply_number']}/reply",
            "customer",
            303,
            "post",
            form={"body": "A reply posted by the benchmark, long enough to pass the form."},
        ),
    ]
    return pages


def search_pages(meta):
    """Return the staff queue's full-text search pages (SPEC §19)."""
    t, department = meta["tenant"], meta["staff_departments"][0]
    phrase = urllib.parse.quote(f'"{meta["phrase"]}"')
    return [
        Page("search_word", "Search, one word", "GET", f"/{t}/admin/tickets?q=invoice", "staff", 200, "search"),
        Page(
            "search_rare",
            "Search, a rare word",
            "GET",
            f"/{t}/admin/tickets?q={meta['rare_word']}",
            "staff",
            200,
            "search",
        ),
        Page("search_none", "Search, no match", "GET", f"/{t}/admin/tickets?q=zyxwvutsr", "staff", 200, "search"),
        Page(
            "search_phrase", "Search, two-word phrase", "GET", f"/{t}/admin/tickets?q={phrase}", "staff", 200, "search"
        ),
        Page(
            "search_filtered",
            "Search + status + department",
            "GET",
            f"/{t}/admin/tickets?q=invoice&status=open&department={department}",
            "staff",
            200,
            "search",
        ),
    ]


def csrf_from(text):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', text
    )
    return match.group(1) if match else None


class InProcess:
    """Request pages through the app in-process and count their SQL statements."""

    def __init__(self, app, meta):
        self.app = app
        self.meta = meta
        self.clients = {}
        self.statements = []
        self._counting = False
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if self._counting and not statement.lstrip().upper().startswith(_CONTROL):
            self.statements.append(statement)

    def client(self, who):
        if who not in self.clients:
            email = {
                "customer": self.meta["customer_email"],
                "staff": self.meta["staff_email"],
                "solo": self.meta["solo_customer_email"],
                "admin": self.meta["admin_email"],
            }[who]
            client = self.app.test_client()
            login = f"/{self.meta['tenant']}/login"
            token = csrf_from(client.get(login).get_data(as_text=True))
            response = client.post(login, data={"email": email, "password": self.meta["password"], "csrf_token": token})
            if response.status_code not in (302, 303):
                raise SystemExit(f"in-process login of {email} failed ({response.status_code})")
            client.csrf = csrf_from(client.get(f"/{self.meta['tenant']}/tickets/create").get_data(as_text=True))
            self.clients[who] = client
        return self.clients[who]

    def request(self, page):
        """Request ``page`` and read its whole body (a streamed response, the CSV export, does its work
        while it is read)."""
        client = self.client(page.user)
        if page.method == "POST":
            # wrk sends the logged-in cookie with every POST; so does this client. Kept, the
            # cookie would collect every POST's unread flash message, and each request would
            # decode and sign a larger session than the one before.
            name = self.app.config["SESSION_COOKIE_NAME"]
            cookie = client.get_cookie(name)
            response = client.post(page.path, data=dict(page.form, csrf_token=client.csrf))
            if cookie is not None:
                client.set_cookie(name, cookie.value, domain=cookie.domain, path=cookie.path)
        else:
            response = client.get(page.path)
        response.get_data()
        return response

    def measure(self, page):
        """Return status, body size, SQL statement count and statements of one request of ``page``."""
        self.request(page)  # warm caches (templates, compiled SQL)
        self.statements = []
        self._counting = True
        started = time.perf_counter()
        try:
            response = self.request(page)
        finally:
            self._counting = False
        elapsed = time.perf_counter() - started
        return {
            "status": response.status_code,
            "bytes": len(response.get_data()),
            "queries": len(self.statements),
            "statements": list(self.statements),
            "ms": round(elapsed * 1000, 2),
        }

    def find_page(self, path, number, who="staff"):
        """Follow rel="next" links from ``path`` to page ``number``; return its path or None."""
        client = self.client(who)
        for _ in range(number - 1):
            text = client.get(path).get_data(as_text=True)
            tag = next((m.group(0) for m in re.finditer(r"<a\b[^>]*>", text) if 'rel="next"' in m.group(0)), None)
            href = re.search(r'href="([^"]+)"', tag or "")
            if not href:
                return None
            path = html.unescape(href.group(1))
            parsed = urllib.parse.urlsplit(path)
            path = parsed.path + ("?" + parsed.query if parsed.query else "")
        return path

    def profile(self, page, requests, path_out):
        """Profile ``requests`` requests of ``page`` with pyinstrument and write the report."""
        from pyinstrument import Profiler

        self.request(page)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(requests):
            self.request(page)
        profiler.stop()
        with open(path_out, "w") as out:
            out.write(profiler.output_text(unicode=True, color=False, show_all=False))
        with open(path_out.replace(".txt", ".html"), "w") as out:
            out.write(profiler.output_html())
