"""A due time set by hand: the staff ticket view's form, the clock leaving it alone, its own alerts."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, Ticket, TicketEvent, User
from xobito_tickets.sla.alerts import send_sla_alerts
from xobito_tickets.sla.manual import set_manual_due
from xobito_tickets.sla.models import TimeAlert
from xobito_tickets.sla.settings import save_sla_settings
from xobito_tickets.tickets.services import change_priority, close_ticket, open_ticket, post_reply, reopen_ticket

from ..conftest import csrf_token_from
from ..mail.conftest import deliver, emails_to, mail_config, smtp_server  # noqa: F401 - fixtures
from .conftest import set_targets

URL = "/acme/admin/tickets/TKT-000001"


def _open(world, subject="Printer on fire"):
    acme = session.get(Tenant, world.acme_id)
    carla = session.get(User, world.customer_id)
    support = session.get(Department, world.support_id)
    return open_ticket(acme, carla, support, subject, "It jams.").id


def _ticket(ticket_id):
    return session.scalars(
        sa.select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
    ).one()


def _hour(moment):
    """``moment`` on the minute, as the form's datetime-local value (and the UTC time it means)."""
    moment = moment.replace(second=0, microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M"), moment


def _aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def test_staff_set_and_clear_a_due_time_from_the_ticket_view(app, world, client, auth):
    with app.app_context():
        set_targets(world.acme_id, medium=(60, 480))
        ticket_id = _open(world)
        sla_due = _aware(_ticket(ticket_id).due_at)
    auth.login("sam@acme.test")
    page = client.get(URL).get_data(as_text=True)
    assert "Due time" in page and "Set by the SLA targets" in page and 'name="due_at"' in page

    text, moment = _hour(datetime.now(UTC) + timedelta(days=2))
    response = client.post(f"{URL}/due", data={"due_at": text})
    assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    with app.app_context():
        ticket = _ticket(ticket_id)
        assert _aware(ticket.due_override_at) == moment
        assert _aware(ticket.due_at) == moment
        # The warning comes the tenant's lead time (60 business minutes, round the clock) before it.
        assert _aware(ticket.sla_warn_at) == moment - timedelta(minutes=60)
    page = client.get(URL).get_data(as_text=True)
    assert "The due time is set by hand." in page
    assert "Set by hand:" in page and "Sam Support</strong> set the due time by hand to" in page
    assert f'value="{text}"' in page  # the field shows the time set, to change it

    response = client.post(f"{URL}/due", data={"due_at": "", "clear": "1"})
    assert response.status_code == 303
    with app.app_context():
        ticket = _ticket(ticket_id)
        assert ticket.due_override_at is None
        assert _aware(ticket.due_at) == sla_due  # the SLA targets decide again
        kinds = session.scalars(
            sa.select(TicketEvent.new_value).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "due_by_hand"
            )
        ).all()
        assert kinds == [moment.isoformat(timespec="minutes"), None]
    assert "cleared the due time set by hand" in client.get(URL).get_data(as_text=True)


def test_the_time_is_read_in_the_staff_members_time_zone(app, world, client, auth):
    with app.app_context():
        session.get(User, world.staff_id).timezone = "Europe/Berlin"
        session.commit()
        ticket_id = _open(world)
    auth.login("sam@acme.test")
    year = datetime.now(UTC).year + 1
    # 10:00 in Berlin in January is 09:00 UTC; in July (summer time) 08:00 UTC.
    day = datetime(year, 1, 15, 10, 0) if datetime.now(UTC).month > 1 else datetime(year - 1, 7, 15, 10, 0)
    expected = day.replace(tzinfo=UTC) - timedelta(hours=1 if day.month == 1 else 2)
    assert client.post(f"{URL}/due", data={"due_at": day.strftime("%Y-%m-%dT%H:%M")}).status_code == 303
    with app.app_context():
        assert _aware(_ticket(ticket_id).due_override_at) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter the date and time the ticket is due by."),
        ("tomorrow", "Enter a date and time like 2026-12-24 17:00."),
        ("2001-01-01T10:00", "Choose a time in the future."),
        ("2999-01-01T10:00", "Choose a time within a year."),
    ],
)
def test_bad_input_is_422_next_to_the_field_and_stores_nothing(app, world, client, auth, value, message):
    with app.app_context():
        ticket_id = _open(world)
    auth.login("sam@acme.test")
    response = client.post(f"{URL}/due", data={"due_at": value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    assert f'value="{value}"' in page or not value  # what was typed is shown again
    with app.app_context():
        assert _ticket(ticket_id).due_override_at is None
        assert (
            session.scalar(sa.select(sa.func.count()).select_from(TicketEvent).where(TicketEvent.kind == "due_by_hand"))
            == 0
        )


def test_a_closed_ticket_gets_no_due_time(app, world, client, auth):
    with app.app_context():
        ticket_id = _open(world)
        close_ticket(_ticket(ticket_id), session.get(User, world.staff_id))
    auth.login("sam@acme.test")
    assert "due-title" not in client.get(URL).get_data(as_text=True)
    text, _ = _hour(datetime.now(UTC) + timedelta(days=1))
    response = client.post(f"{URL}/due", data={"due_at": text})
    assert response.status_code == 422
    assert "This ticket is closed: reopen it to set a due time." in response.get_data(as_text=True)
    with app.app_context():
        assert _ticket(ticket_id).due_override_at is None


@pytest.mark.parametrize(
    ("email", "tenant"),
    [
        ("carla@acme.test", "acme"),  # the customer: the staff side does not exist for them
        ("bea@acme.test", "acme"),  # staff of another department: the ticket is not visible
        ("gary@globex.test", "globex"),  # another tenant's admin, on their own tenant's URL
    ],
)
def test_who_may_not_see_the_ticket_gets_404_and_nothing_changes(app, world, client, auth, email, tenant):
    with app.app_context():
        ticket_id = _open(world)
    auth.login(email, tenant=tenant)
    text, _ = _hour(datetime.now(UTC) + timedelta(days=1))
    response = client.post(f"/{tenant}/admin/tickets/TKT-000001/due", data={"due_at": text})
    assert response.status_code == 404
    with app.app_context():
        assert _ticket(ticket_id).due_override_at is None
        assert (
            session.scalar(sa.select(sa.func.count()).select_from(TicketEvent).where(TicketEvent.kind == "due_by_hand"))
            == 0
        )


@pytest.fixture
def csrf_app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_the_post_needs_the_forms_csrf_token(csrf_app_config, app, world, client):
    with app.app_context():
        ticket_id = _open(world)
    login_page = client.get("/acme/login").get_data(as_text=True)
    client.post(
        "/acme/login",
        data={"email": "sam@acme.test", "password": "correct horse battery", "csrf_token": csrf_token_from(login_page)},
    )
    text, moment = _hour(datetime.now(UTC) + timedelta(days=1))
    assert client.post(f"{URL}/due", data={"due_at": text}).status_code in (400, 422)
    with app.app_context():
        assert _ticket(ticket_id).due_override_at is None
    page = client.get(URL).get_data(as_text=True)
    token = csrf_token_from(page[page.index('id="due-title"') :])
    assert client.post(f"{URL}/due", data={"due_at": text, "csrf_token": token}).status_code == 303
    with app.app_context():
        assert _aware(_ticket(ticket_id).due_override_at) == moment


def test_the_clocks_recomputations_leave_a_manual_due_alone_until_it_is_cleared(app, world):
    with app.test_request_context():
        set_targets(world.acme_id, medium=(60, 480), urgent=(10, 30))
        ticket_id = _open(world)
        sam = session.get(User, world.staff_id)
        carla = session.get(User, world.customer_id)
        manual = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
        set_manual_due(_ticket(ticket_id), sam, manual)

        def due():
            return _aware(_ticket(ticket_id).due_at)

        assert due() == manual
        change_priority(_ticket(ticket_id), sam, Priority.URGENT)  # a shorter target
        assert due() == manual
        post_reply(_ticket(ticket_id), sam, "On it.")  # pauses the clock: Answered
        assert due() == manual
        post_reply(_ticket(ticket_id), carla, "Still broken.")  # runs it again
        assert due() == manual
        save_sla_settings(world.acme_id, "UTC", tuple(((0, 1440),) for _ in range(7)), [], 30, {})  # new settings
        assert due() == manual and _aware(_ticket(ticket_id).sla_warn_at) == manual - timedelta(minutes=30)
        # Closed: nothing is due (not Overdue, no alerts); reopened: the hand-set time is back.
        close_ticket(_ticket(ticket_id), sam)
        assert due() is None and _aware(_ticket(ticket_id).due_override_at) == manual
        reopen_ticket(_ticket(ticket_id), sam)
        assert due() == manual
        # Cleared: the clock decides again (no targets are left after the new settings).
        set_manual_due(_ticket(ticket_id), sam, None)
        assert due() is None


class TestAlerts:
    @pytest.fixture
    def app_config(self, app_config, mail_config):  # noqa: F811
        app_config.update(mail_config)
        return app_config

    def test_warning_and_breach_emails_follow_the_manual_due_once_each(self, app, world, smtp_server):  # noqa: F811
        with app.test_request_context():
            set_targets(world.acme_id, medium=(60, 480))
            ticket_id = _open(world)
            now = datetime.now(UTC)
            # Without the hand-set time the first response's warning would be due now (60 minutes,
            # warned 60 minutes before); the hand-set time, three hours out, replaces it.
            manual = (now + timedelta(hours=3)).replace(second=0, microsecond=0)
            set_manual_due(_ticket(ticket_id), session.get(User, world.staff_id), manual)
            deliver(app)
            smtp_server.mailbox.received.clear()
            assert send_sla_alerts(app, now=now) == 0
            assert send_sla_alerts(app, now=manual - timedelta(minutes=59)) == 1  # inside the lead time
            assert send_sla_alerts(app, now=manual - timedelta(minutes=30)) == 0
            assert send_sla_alerts(app, now=manual + timedelta(minutes=1)) == 1
            assert send_sla_alerts(app, now=manual + timedelta(minutes=30)) == 0
            deliver(app)
            assert [m.subject for m in emails_to(smtp_server, "sam@acme.test")] == [
                "[TKT-000001] Manual due time due soon: Printer on fire",
                "[TKT-000001] Overdue (manual due time): Printer on fire",
            ]
            assert "manual due time" in emails_to(smtp_server, "sam@acme.test")[1].text
            assert emails_to(smtp_server, "carla@acme.test") == []

            # A new hand-set time is warned about once again.
            later = manual + timedelta(days=1)
            set_manual_due(_ticket(ticket_id), session.get(User, world.staff_id), later)
            assert send_sla_alerts(app, now=later - timedelta(minutes=10)) == 1
            assert send_sla_alerts(app, now=later - timedelta(minutes=5)) == 0
            kinds = sorted(session.scalars(sa.select(TimeAlert.kind).where(TimeAlert.ticket_id == ticket_id)))
            assert kinds == ["manual_warning"]
