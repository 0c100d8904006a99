"""The demo workspace shows rated tickets and a populated report page."""

import csv
import io

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.demo import PASSWORD, build_demo
from xobito_tickets.satisfaction.models import Rating


def test_the_demo_has_ratings_and_a_populated_report(app, client, auth):
    with app.app_context():
        build_demo()
        ratings = session.scalars(sa.select(Rating.rating)).all()
        assert len(ratings) >= 5 and {"good", "bad"} <= set(ratings)
    auth.login("admin@demo.test", password=PASSWORD, tenant="demo")
    page = client.get("/demo/admin/reports")
    assert page.status_code == 200
    per_day = list(csv.reader(io.StringIO(client.get("/demo/admin/reports/per-day.csv").get_data(as_text=True))))
    assert sum(int(row[1]) for row in per_day[1:]) >= 40  # created over the last 30 days
    assert len({row[0] for row in per_day[1:] if int(row[1])}) >= 10  # on many days, not one
    satisfaction = dict(
        csv.reader(io.StringIO(client.get("/demo/admin/reports/satisfaction.csv").get_data(as_text=True)))
    )
    assert int(satisfaction["Good"]) > 0 and int(satisfaction["Bad"]) > 0
    times = list(csv.reader(io.StringIO(client.get("/demo/admin/reports/times.csv").get_data(as_text=True))))
    assert all(row[2] for row in times[1:])  # a median for first response and resolution
