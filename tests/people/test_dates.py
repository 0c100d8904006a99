"""Times in the reader's zone and language, across the spring DST change in Berlin and New York."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from babel.dates import format_date, format_datetime
from flask import Flask

from xobito_tickets.i18n import init_babel
from xobito_tickets.i18n.dates import exact_time, for_recipient, relative_time


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config["TICKETS_LANGUAGES"] = ("en", "de", "es")
    init_babel(app, lambda: None)
    return app


def test_berlin_before_and_after_the_clocks_go_forward(app):
    before = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    after = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with app.app_context(), for_recipient("de", "Europe/Berlin"):
        assert exact_time(before) == "29.03.2026, 01:30:00 CET"
        assert exact_time(after) == "29.03.2026, 03:30:00 CEST"


def test_new_york_in_spanish(app):
    moment = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT, an hour after the change
    with app.app_context(), for_recipient("es", "America/New_York"):
        assert exact_time(moment) == "8 mar 2026, 3:30:00 EDT"
    with app.app_context(), for_recipient("es", "America/New_York"):
        assert exact_time(datetime(2026, 3, 8, 6, 30, tzinfo=UTC)) == "8 mar 2026, 1:30:00 EST"


def test_unknown_zone_is_utc_and_english_is_the_default(app):
    with app.app_context(), for_recipient(None, "Nowhere/Land"):
        assert exact_time(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == "Mar 29, 2026, 1:30:00\u202fAM UTC"


def test_relative_time_in_german(app):
    now = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    with app.app_context(), for_recipient("de", "Europe/Berlin"):
        assert relative_time(datetime(2026, 3, 29, 11, 57, tzinfo=UTC), now=now) == "vor 3 Minuten"


def test_request_zone_comes_from_the_person(app):
    class Person:
        language = "de"
        timezone = "Asia/Tokyo"

    app.extensions["xobito_tickets.i18n"]["current_person"] = lambda: Person
    with app.test_request_context():
        assert exact_time(datetime(2026, 1, 1, 0, 0, tzinfo=UTC)) == "01.01.2026, 09:00:00 JST"


@pytest.mark.parametrize("language", ["en", "de", "es", "fr", "ja", "ar", "pt_BR"])
@pytest.mark.parametrize("zone_name", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_times_are_written_as_babel_writes_them(app, language, zone_name):
    """The page's fast path (patterns parsed once per language) writes what Babel's own functions write."""
    zone = zoneinfo.ZoneInfo(zone_name)
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    for moment in (
        datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, 1, tzinfo=UTC),
        datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 5, 9, tzinfo=UTC),
    ):
        with app.app_context(), for_recipient(language, zone_name):
            expected = (
                f"{format_datetime(moment, 'medium', tzinfo=zone, locale=language)} {moment.astimezone(zone).tzname()}"
            )
            assert exact_time(moment) == expected
            assert relative_time(moment, now=now) == format_date(moment.astimezone(zone), "medium", locale=language)
