"""The admins' settings pages: business hours and SLA targets, auto-close."""

import pytest

from xobito_tickets.db import session
from xobito_tickets.models import Priority
from xobito_tickets.sla.settings import sla_targets, time_settings

from ..conftest import csrf_token_from

SLA = "/acme/admin/settings/sla"
AUTOCLOSE = "/acme/admin/settings/auto-close"


def _sla_form(**changes):
    data = {
        "timezone": "Europe/Berlin",
        "holidays": "2026-12-25\n2026-12-26",
        "warn_before_minutes": "30",
        **{f"hours_{day}": "09:00-12:00, 13:00-17:00" for day in ("mon", "tue", "wed", "thu", "fri")},
        "hours_sat": "",
        "hours_sun": "",
        "first_response_urgent": "30",
        "resolution_urgent": "240",
        "first_response_medium": "240",
        "resolution_medium": "2400",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("who, status", [("sam@acme.test", 404), ("carla@acme.test", 404), ("ada@acme.test", 200)])
@pytest.mark.parametrize("url", [SLA, AUTOCLOSE])
def test_only_admins_see_the_settings(client, auth, world, who, status, url):
    auth.login(who)
    assert client.get(url).status_code == status


def test_defaults_are_office_hours_in_utc_and_no_targets(client, auth, world):
    auth.login("ada@acme.test")
    page = client.get(SLA).get_data(as_text=True)
    assert 'value="UTC"' in page and 'value="09:00-17:00"' in page
    assert "closed automatically" in client.get(AUTOCLOSE).get_data(as_text=True)


def test_saving_business_hours_and_targets(app, client, auth, world):
    auth.login("ada@acme.test")
    response = client.post(SLA, data=_sla_form())
    assert response.status_code == 303
    with app.app_context():
        settings = time_settings(world.acme_id)
        assert settings.timezone == "Europe/Berlin"
        assert settings.hours["mon"] == ["09:00-12:00", "13:00-17:00"] and settings.hours["sat"] == []
        assert settings.holidays == ["2026-12-25", "2026-12-26"]
        targets = sla_targets(world.acme_id)
        assert targets[Priority.URGENT] == (30, 240) and targets[Priority.LOW] == (None, None)
    page = client.get(SLA).get_data(as_text=True)
    assert 'value="09:00-12:00, 13:00-17:00"' in page and 'value="2400"' in page


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("timezone", "Mars/Olympus", "Enter a time zone"),
        ("hours_tue", "9 to 5", "Write hours like"),
        ("hours_wed", "09:00-13:00, 12:00-17:00", "must not overlap"),
        ("holidays", "25/12/2026", "is not a date"),
        ("resolution_high", "-5", "Business minutes"),
        ("warn_before_minutes", "", "Enter a number of minutes"),
    ],
)
def test_bad_settings_come_back_with_422_next_to_the_field(app, client, auth, world, field, value, message):
    auth.login("ada@acme.test")
    response = client.post(SLA, data=_sla_form(**{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    with app.app_context():
        assert session.get_bind() is not None and time_settings(world.acme_id).timezone == "UTC"


def test_targets_need_working_hours(client, auth, world):
    auth.login("ada@acme.test")
    closed_week = {f"hours_{day}": "" for day in ("mon", "tue", "wed", "thu", "fri")}
    response = client.post(SLA, data=_sla_form(**closed_week))
    assert response.status_code == 422 and "Targets need working hours" in response.get_data(as_text=True)


def test_auto_close_settings(app, client, auth, world):
    auth.login("ada@acme.test")
    bad = client.post(AUTOCLOSE, data={"enabled": "y", "reminder_days": "5", "close_days": "3"})
    assert bad.status_code == 422 and "Close later than the reminder" in bad.get_data(as_text=True)
    assert 'value="5"' in bad.get_data(as_text=True)
    assert client.post(AUTOCLOSE, data={"enabled": "y", "reminder_days": "3", "close_days": "7"}).status_code == 303
    with app.app_context():
        settings = time_settings(world.acme_id)
        assert (settings.autoclose_enabled, settings.autoclose_reminder_days, settings.autoclose_close_days) == (
            True,
            3,
            7,
        )


def test_settings_need_the_csrf_token(app, client, auth, world):
    app.config["WTF_CSRF_ENABLED"] = True
    client.get("/acme/login")
    token = csrf_token_from(client.get("/acme/login").get_data(as_text=True))
    client.post(
        "/acme/login", data={"email": "ada@acme.test", "password": "correct horse battery", "csrf_token": token}
    )
    assert client.post(AUTOCLOSE, data={"enabled": "y", "reminder_days": "3", "close_days": "7"}).status_code == 400
    with app.app_context():
        assert time_settings(world.acme_id).autoclose_enabled is False
