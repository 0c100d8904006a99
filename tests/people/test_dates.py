"""Times in the reader's zone and language, across the spring DST change in Berlin and New York."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from babel.dates import format_date, format_datetime, format_timedelta
from flask import Flask
from markupsafe import Markup

from xobito_tickets.i18n import init_babel
from xobito_tickets.i18n.dates import exact_time, for_recipient, relative_time
from xobito_tickets.models import TicketStatus
from xobito_tickets.web.jinja import status_badge, time_tag


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


def test_relative_times_are_written_as_babel_writes_them(app):
    """The remembered "3 days ago" texts are Babel's, at the edges where the unit and the rounding change."""
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    seconds = [45, 59, 60, 89, 90, 91, 149, 150, 151, 3239, 3240, 5399, 5400, 77399, 77400, 77401, 77759, 77760]
    seconds += [86400 * d + s for d in (1, 2, 5, 6, 7, 12, 13, 20, 21, 25, 26, 29) for s in (-1, 0, 1, 43199, 43200)]
    seconds += [3600 * h + m for h in (1, 2, 21, 22, 23) for m in (0, 1799, 1800, 1801)]
    for language in ("en", "de", "es", "fr", "ja", "ar", "pt_BR", "pl"):
        with app.app_context(), for_recipient(language, "UTC"):
            for second in seconds:
                for sign in (-1, 1):
                    delta = timedelta(seconds=sign * second)
                    if abs(delta.days) >= 30:
                        continue
                    expected = format_timedelta(delta, add_direction=True, threshold=0.9, locale=language)
                    # Twice: the second answer comes from the remembered texts.
                    assert relative_time(now + delta, now=now) == expected, (language, sign * second)
                    assert relative_time(now + delta, now=now) == expected, (language, sign * second)


def test_time_tag_follows_the_language_the_zone_and_the_clock(app):
    """The remembered ``<time>`` element changes with the reader's language and zone and with its relative text."""
    recent = datetime.now(UTC) - timedelta(minutes=3, seconds=10)
    old = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    for language, zone_name in (("de", "Europe/Berlin"), ("en", "UTC"), ("de", "Asia/Tokyo"), ("de", "Europe/Berlin")):
        with app.app_context(), for_recipient(language, zone_name):
            for moment in (recent, old, recent - timedelta(hours=2)):
                expected = Markup('<time datetime="%s" title="%s">%s</time>') % (
                    moment.isoformat(timespec="seconds"),
                    exact_time(moment),
                    relative_time(moment),
                )
                assert time_tag(moment) == expected
    with app.app_context(), for_recipient("de", "Europe/Berlin"):
        assert ">vor 3 Minuten</time>" in time_tag(recent)
        assert 'title="29.03.2026, 01:30:00 CET">29.03.2026</time>' in time_tag(old)


def test_time_tags_and_badges_follow_a_language_change_inside_one_request(app):
    """An email rendered in the recipient's language in the middle of a page keeps each in its language."""
    old = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    with app.test_request_context("/"):
        before = time_tag(old), status_badge(TicketStatus.ANSWERED)
        with for_recipient("de", "Europe/Berlin"):
            german = time_tag(old), status_badge(TicketStatus.ANSWERED)
        after = time_tag(old), status_badge(TicketStatus.ANSWERED)
    assert before == after
    assert ">Mar 29, 2026</time>" in before[0] and ">Answered<" in before[1]
    assert 'title="29.03.2026, 01:30:00 CET">29.03.2026</time>' in german[0] and ">Beantwortet<" in german[1]
