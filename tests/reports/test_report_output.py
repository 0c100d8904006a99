"""What the report page and its files show: each CSV has its table's numbers, every language its own
formatting, user text in the charts is escaped."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, User
from xobito_tickets.reports.report import SECTION_NAMES, report_for

from .conftest import spread_over_days


@pytest.fixture
def spread(app, world, played):
    spread_over_days(app, world)


def _csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _cells(row):
    return ["" if value is None else str(value) for value in row]


# 30 days (histograms bucket by bucket) and 200 days (two buckets read as one, weeks on the chart).
@pytest.mark.parametrize("days", [30, 200])
@pytest.mark.parametrize("who", ["ada@acme.test", "bea@acme.test"])
def test_each_csv_has_the_numbers_of_its_section_on_the_page(app, world, client, auth, spread, days, who):
    end = date.today()
    start = end - timedelta(days=days - 1)
    with app.app_context():
        user = session.scalar(sa.select(User).where(User.email == who))
        sections = {s.name: s for s in report_for(user, start, end)}
    auth.login(who)
    html = client.get(f"/acme/admin/reports?from={start}&to={end}").get_data(as_text=True)
    for name in SECTION_NAMES:
        rows = _csv(client.get(f"/acme/admin/reports/{name}.csv?from={start}&to={end}"))
        assert rows[0] == [str(c) for c in sections[name].columns], name
        assert rows[1:] == [_cells(r) for r in sections[name].rows], name
    # The breakdowns' files name the same departments and people as the page's tables, in its order.
    for name in ("departments", "staff"):
        table = html.split(f'data-report="{name}"')[1].split("</table>")[0]
        shown = re.findall(r'<th scope="row">([^<]+)</th>', table)
        assert shown == [r[0] for r in _csv(client.get(f"/acme/admin/reports/{name}.csv?from={start}&to={end}"))[1:]]
    assert sum(int(r[1]) for r in _csv(client.get(f"/acme/admin/reports/per-day.csv?from={start}&to={end}"))[1:]) > 0


def test_numbers_and_durations_are_written_in_each_readers_language(app, world, client, auth, spread):
    auth.login("ada@acme.test")
    url = f"/acme/admin/reports?from={date.today() - timedelta(days=59)}"
    # Alternating languages: nothing formatted for one reader shows up for the next.
    for _ in range(2):
        german = client.get(url, headers={"Accept-Language": "de"}).get_data(as_text=True)
        english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert re.search(r">\d+ (Std\.|T\.)( \d+ (Min\.|min|Std\.))?</td>", german)
        assert re.search(r">\d+ (h|d)( \d+ (min|h))?</td>", english)
        assert "Std." not in english and " T." not in english
        assert "Erstellt" in german and "Erstellt" not in english
    # The files keep English headers whatever the reader's language.
    csv_url = f"/acme/admin/reports/staff.csv?from={date.today() - timedelta(days=59)}"
    assert _csv(client.get(csv_url, headers={"Accept-Language": "de"}))[0][:3] == ["Staff member", "Created", "Closed"]


def test_names_in_the_charts_and_tables_are_escaped(app, world, client, auth, spread):
    with app.app_context():
        session.get(Department, world.billing_id).name = '<b onmouseover="x()">Billing & Co</b>'
        session.commit()
    auth.login("ada@acme.test")
    html = client.get(f"/acme/admin/reports?from={date.today() - timedelta(days=59)}").get_data(as_text=True)
    assert "<b " not in html and 'onmouseover="x()"' not in html
    escaped = "&lt;b onmouseover=&#34;x()&#34;&gt;Billing &amp; Co&lt;/b&gt;"
    chart = html.split('id="chart-departments-title"')[1].split("</svg>")[0]
    assert f'text-anchor="end">{escaped}</text>' in chart
    table = html.split('data-report="departments"')[1].split("</table>")[0]
    assert f'<th scope="row">{escaped}</th>' in table
    assert html.count("<svg") == 7 and html.count("</figure>") == 7
