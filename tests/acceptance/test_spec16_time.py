"""SPEC §16: satisfaction links from the closed email, reports, the queue's CSV export, the worker, settings pages."""

import csv
import io
import re

import pytest

from xobito_tickets.reports.report import SECTION_NAMES

from .conftest import emails, last_email_id, login, snapshot, text_of

CARLA = "carla@acme.test"


def rating_links(message):
    good = re.search(r"Good: (\S+)", message.body)
    bad = re.search(r"Bad: (\S+)", message.body)
    assert "How did we do?" in message.body and good and bad, message.body
    return good.group(1), bad.group(1)


@pytest.mark.parametrize("how", ["close", "send-and-close"])
def test_the_closed_email_asks_how_we_did_and_only_the_post_saves(app, client, desk, how):
    login(client, "sam@acme.test")
    mark = last_email_id(app)
    if how == "close":
        client.post(f"/acme/admin/tickets/{desk.open_number}/close")
    else:
        client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Done, closing.", "then": "close"})
    (message,) = [m for _id, to, m in emails(app, mark) if to == CARLA]
    good, bad = rating_links(message)
    assert good.startswith("http://helpdesk.test/acme/") and bad.startswith("http://helpdesk.test/acme/")
    visitor = app.test_client()  # the link works without a login
    before = snapshot(app)
    for link, choice in ((good, "good"), (bad, "bad")):
        page = visitor.get(link)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert re.search(rf'<input[^>]*value="{choice}"[^>]*checked|<input[^>]*checked[^>]*value="{choice}"', html)
        assert 'name="comment"' in html
    assert snapshot(app) == before  # a GET never changes anything
    path = bad.split("http://helpdesk.test", 1)[1].split("?", 1)[0]
    assert visitor.post(path, data={"rating": "bad", "comment": "Slow."}).status_code in (302, 303)
    assert visitor.post(path, data={"rating": "good", "comment": "Actually fine."}).status_code in (302, 303)
    login(client, "sam@acme.test")
    assert "Rated Good" in text_of(client.get(f"/acme/admin/tickets/{desk.open_number}"))
    # A tampered link is 404 and saves nothing.
    before = snapshot(app)
    assert visitor.post(path[:-3] + "xyz", data={"rating": "bad"}).status_code == 404
    assert snapshot(app) == before


def test_the_queue_export_neutralises_formulas(app, client, world, make):
    for subject in ('=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)", "\tTabbed", "\rReturn", "Plain"):
        make.ticket(subject=subject)
    login(client, "ada@acme.test")
    response = client.get("/acme/admin/tickets.csv?status=open")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells and "'+1+1" in cells and "'-2" in cells and "'@SUM(A1)" in cells
    assert "'\tTabbed" in cells and "Plain" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # Filters apply; staff export only what they may see.
    assert len(rows) - 1 == 7
    login(client, "bea@acme.test")
    rows = list(csv.reader(io.StringIO(client.get("/acme/admin/tickets.csv?status=open").get_data(as_text=True))))
    assert len(rows) == 1
    login(client, CARLA)
    assert client.get("/acme/admin/tickets.csv").status_code == 404


def test_reports_for_admins_and_staff_with_a_csv_per_section(app, client, desk):
    login(client, CARLA)
    assert client.get("/acme/admin/reports").status_code == 404
    login(client, "sam@acme.test")
    assert client.get("/acme/admin/reports").status_code == 200
    login(client, "ada@acme.test")
    page = client.get("/acme/admin/reports?start=2026-01-01&end=2026-12-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>" not in html and "cdn" not in html.lower()
    for name in SECTION_NAMES:
        csv_page = client.get(f"/acme/admin/reports/{name}.csv")
        assert csv_page.status_code == 200 and csv_page.mimetype == "text/csv", name
        assert f"/acme/admin/reports/{name}.csv" in html, name


def test_settings_pages_are_for_admins_and_auto_close_is_off_by_default(app, client, world):
    login(client, "sam@acme.test")
    for url in ("/acme/admin/settings/sla", "/acme/admin/settings/auto-close"):
        assert client.get(url).status_code == 404
    login(client, "ada@acme.test")
    for url in ("/acme/admin/settings/sla", "/acme/admin/settings/auto-close"):
        assert client.get(url).status_code == 200
    page = client.get("/acme/admin/settings/auto-close").get_data(as_text=True)
    assert 'name="enabled"' in page
    assert not re.search(r'name="enabled"[^>]*checked|checked[^>]*name="enabled"', page)


def test_worker_once_runs_every_job_and_exits(app, runner, world):
    result = runner.invoke(args=["tickets", "worker", "--once"])
    assert result.exit_code == 0, result.output
