"""The reports page: charts under the CSP with their tables and CSVs, the date range form, who sees what."""

import csv
import io
import re
from datetime import date, timedelta

import pytest

from .conftest import spread_over_days


@pytest.fixture
def spread(app, world, played):
    spread_over_days(app, world)


def test_admins_see_every_section_with_chart_table_and_csv(app, world, client, auth, spread):
    auth.login("ada@acme.test")
    response = client.get(f"/acme/admin/reports?from={date.today() - timedelta(days=59)}&to={date.today()}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # Server-made SVG: no style attribute, no style or script element anywhere on the page.
    assert html.count("<svg") == 7
    assert not re.search(r"<(style|script)\b[^>]*>(?!</script>)", html.replace("<script src=", ""))
    assert " style=" not in html
    # The per-day table (a row per day) is sent on demand; its chart and CSV are always there.
    assert 'data-report="per-day"' not in html and html.count('<tr><th scope="row">20') == 0
    days_link = re.search(r'href="(/acme/admin/reports\?[^"]*table=days[^"]*)"', html).group(1).replace("&amp;", "&")
    with_days = client.get(days_link).get_data(as_text=True)
    assert 'data-report="per-day"' in with_days
    assert with_days.count('<tr><th scope="row">20') == 60  # one row per day, ISO dates
    assert 'name="table" value="days"' in with_days  # another range keeps the table open
    for name in ("per-day", "times", "sla", "satisfaction", "backlog", "departments", "staff"):
        assert f'data-report="{name}"' in (with_days if name == "per-day" else html)
        link = re.search(rf'href="(/acme/admin/reports/{name}\.csv\?[^"]+)"', html).group(1).replace("&amp;", "&")
        download = client.get(link)
        assert download.status_code == 200 and download.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
        assert len(rows) >= 2
    per_day = list(csv.reader(io.StringIO(client.get(link.replace("staff.csv", "per-day.csv")).get_data(as_text=True))))
    assert per_day[0] == ["Day", "Created", "Closed"]
    assert len(per_day) == 1 + 60
    assert sum(int(r[1]) for r in per_day[1:]) == 40
    assert "Support" in html and "Billing" in html and "Xena Extra" in html


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("from=2026-13-01", "from", "YYYY-MM-DD"),
        ("to=yesterday", "to", "YYYY-MM-DD"),
        ("from=2026-05-02&to=2026-05-01", "from", "after the end"),
        ("from=2020-01-01&to=2026-01-01", "from", "at most 731 days"),
        ("from=2026-02-30", "from", "YYYY-MM-DD"),
        ("from=20260101xx", "from", "YYYY-MM-DD"),
        ("to=%EF%BC%92026-01-01", "to", "YYYY-MM-DD"),
    ],
)
def test_a_bad_range_is_a_clear_422(app, world, client, auth, query, field, message):
    auth.login("ada@acme.test")
    response = client.get("/acme/admin/reports?" + query)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="range-{field}-error"' in html and message in html
    assert client.get("/acme/admin/reports/per-day.csv?" + query).status_code == 422


def test_unknown_csv_is_404(app, world, client, auth):
    auth.login("ada@acme.test")
    assert client.get("/acme/admin/reports/secrets.csv").status_code == 404


def test_customers_get_404(app, world, client, auth):
    auth.login("carla@acme.test")
    assert client.get("/acme/admin/reports").status_code == 404
    assert client.get("/acme/admin/reports/per-day.csv").status_code == 404


def test_staff_see_only_their_departments(app, world, client, auth, spread):
    auth.login("bea@acme.test")  # Billing
    html = client.get(f"/acme/admin/reports?from={date.today() - timedelta(days=70)}").get_data(as_text=True)
    departments = re.search(r'data-report="departments".*?</table>', html, re.S).group(0)
    rows = re.findall(r'<th scope="row">([^<]+)</th>', departments)
    assert "Billing" in rows
    # Support appears only through Support tickets assigned to Bea herself.
    assert "Tickets of your departments" in html
