"""The reports page: charts under the CSP with their tables and CSVs, the date range form, who sees what."""

import csv
import io
import re
from datetime import date, timedelta

import pytest

from xobito_tickets.db import session
from xobito_tickets.models import User
from xobito_tickets.reports.report import report_for

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
    per_day_table = with_days.split('data-report="per-day"')[1].split("</table>")[0]
    # One row per day, its date written the reader's way (the CSV keeps ISO dates).
    assert per_day_table.count('<tr><th scope="row">') == 60
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


def test_over_a_quarter_the_chart_shows_weeks_and_the_days_stay_in_the_table_and_csv(app, world, client, auth, spread):
    end = date.today()
    start = end - timedelta(days=119)  # 120 days, starting on any weekday
    with app.app_context():
        admin = session.get(User, world.admin_id)
        weekly = next(s for s in report_for(admin, start, end, days_table=False) if s.name == "per-day")
        daily = next(s for s in report_for(admin, start, end) if s.name == "per-day")
    assert weekly.title == "Tickets created and closed per week" and daily.title == "Tickets created and closed per day"
    assert len(daily.rows) == 120 and 17 <= len(weekly.rows) <= 19
    assert weekly.rows[0][0] == start.isoformat()
    assert all(date.fromisoformat(r[0]).weekday() == 0 for r in weekly.rows[1:])
    # Each week holds exactly the days from its first day to the next week's.
    starts = [date.fromisoformat(r[0]) for r in weekly.rows] + [end + timedelta(days=1)]
    for (first, next_first), row in zip(zip(starts, starts[1:], strict=False), weekly.rows, strict=True):
        days = [r for r in daily.rows if first <= date.fromisoformat(r[0]) < next_first]
        assert row[1:] == [sum(r[1] for r in days), sum(r[2] for r in days)]
    assert sum(r[1] for r in daily.rows) == 40

    auth.login("ada@acme.test")
    html = client.get(f"/acme/admin/reports?from={start}&to={end}").get_data(as_text=True)
    assert "Tickets created and closed per week" in html and "the days&#39; table and CSV have every day" in html
    per_day = client.get(f"/acme/admin/reports/per-day.csv?from={start}&to={end}").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(per_day)))) == 1 + 120
