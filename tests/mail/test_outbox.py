"""The outbox: written with the change or not at all; nothing lost while SMTP is down; failures stay visible."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets import signals
from xobito_tickets.db import session
from xobito_tickets.errors import ServiceError
from xobito_tickets.models import OutboxEmail, Reply, Ticket, utcnow

from ..conftest import count_rows
from .conftest import deliver, extract_emails
from .test_events import ADA, CARLA, SAM, Desk


def outbox_states(app):
    with app.app_context():
        return dict(session.execute(sa.select(OutboxEmail.status, sa.func.count()).group_by(OutboxEmail.status)).all())


class HostReceiverFailed(Exception):
    pass


def test_a_rolled_back_change_sends_nothing(app, world, smtp_server):
    desk = Desk(app, world, smtp_server)
    desk.open()
    desk.deliver()

    # A host's receiver of the same signal fails after ours has queued the emails:
    # the reply is rolled back, and the queued emails with it.
    def failing_receiver(sender, **kwargs):
        raise HostReceiverFailed("the host's CRM is down")

    signals.reply_posted.connect(failing_receiver)
    try:
        with pytest.raises(HostReceiverFailed):
            desk.reply(SAM, "This answer never happened.")
    finally:
        signals.reply_posted.disconnect(failing_receiver)
    assert count_rows(app, Reply) == 0
    assert desk.deliver() == []
    assert outbox_states(app) == {"sent": 3}

    # A refused change (a reply to a closed ticket) queues nothing either.
    desk.close(SAM)
    desk.deliver()
    with pytest.raises(ServiceError):
        desk.reply(CARLA, "Reply to a closed ticket")
    assert desk.deliver() == []


def test_no_rows_when_the_app_turns_notifications_off(app, world, smtp_server):
    app.config["TICKETS_NOTIFICATIONS"] = False
    desk = Desk(app, world, smtp_server)
    desk.open()
    desk.reply(SAM, "Quiet reply.")
    assert count_rows(app, OutboxEmail) == 0
    assert count_rows(app, Ticket) == 1


def test_retries_back_off_exponentially(app, world, smtp_server):
    app.config.update(TICKETS_MAIL_RETRY_BASE=60, TICKETS_MAIL_RETRY_MAX=600)
    smtp_server.stop()
    Desk(app, world, smtp_server).open()
    delays = []
    for _ in range(5):
        with app.app_context():
            session.execute(sa.update(OutboxEmail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
            session.commit()
        before = utcnow()
        deliver(app)
        after = utcnow()
        with app.app_context():
            row = session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).first()
            # The failure happened between ``before`` and ``after`` (however slow the machine).
            delays.append(
                ((row.next_attempt_at - before).total_seconds(), (row.next_attempt_at - after).total_seconds())
            )
    # 60, 120, 240, 480, then the 600 s cap (each ±10 %).
    for (longest, shortest), expected in zip(delays, [60, 120, 240, 480, 600], strict=True):
        assert longest >= expected * 0.89 and shortest <= expected * 1.11, delays


def test_after_the_last_attempt_an_email_is_failed_and_listed(app, world, smtp_server, runner, client, auth):
    app.config["TICKETS_MAIL_MAX_ATTEMPTS"] = 3
    smtp_server.mailbox.refuse.add(SAM)  # a permanent 550 for Sam only
    smtp_server.stop()
    desk = Desk(app, world, smtp_server)
    desk.open()
    for _ in range(3):
        deliver(app)
    assert outbox_states(app) == {"failed": 3}

    result = runner.invoke(args=["tickets", "outbox", "list"])
    assert result.exit_code == 0, result.output
    assert "failed 3" in result.output
    assert "carla@acme.test" in result.output and "cannot connect to the SMTP server" in result.output

    auth.login(ADA)
    page = client.get("/acme/admin/outbox/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Failed (3)" in html and "carla@acme.test" in html and "cannot connect" in html

    # The server is back: an admin retries all; Sam's address is refused for good.
    smtp_server.start()
    response = client.post("/acme/admin/outbox/retry")
    assert response.status_code == 303
    stats = deliver(app)
    assert (stats.sent, stats.failed) == (2, 1)
    assert sorted(e.envelope_to[0] for e in extract_emails(smtp_server)) == sorted([ADA, CARLA])
    with app.app_context():
        (failed,) = session.scalars(sa.select(OutboxEmail).where(OutboxEmail.status == "failed")).all()
        assert failed.recipient_email == SAM and failed.attempts == 1 and "550" in failed.last_error
        failed_id = failed.id

    smtp_server.mailbox.refuse.clear()
    result = runner.invoke(args=["tickets", "outbox", "retry", str(failed_id)])
    assert "Queued 1 failed email again." in result.output
    assert deliver(app).sent == 1
    assert outbox_states(app) == {"sent": 3}


def test_the_outbox_page_is_for_admins_of_the_tenant_only(app, world, client, auth, smtp_server):
    Desk(app, world, smtp_server).open()
    assert client.get("/acme/admin/outbox/").status_code == 302  # anonymous: to the login page
    for email in (CARLA, SAM):
        auth.login(email)
        assert client.get("/acme/admin/outbox/").status_code == 404
        assert client.post("/acme/admin/outbox/retry").status_code == 404
        assert "/admin/outbox" not in client.get("/acme/tickets", follow_redirects=True).get_data(as_text=True)
        auth.logout()
    auth.login(ADA)
    assert 'href="/acme/admin/outbox/"' in client.get("/acme/tickets", follow_redirects=True).get_data(as_text=True)
    auth.logout()
    auth.login("gary@globex.test", tenant="globex")
    html = client.get("/globex/admin/outbox/?status=all").get_data(as_text=True)
    assert "acme.test" not in html  # another tenant's emails stay out of sight


def test_send_mail_cli_once(app, world, runner, smtp_server):
    Desk(app, world, smtp_server).open()
    result = runner.invoke(args=["tickets", "send-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert "Outbox: sent 3" in result.output
    assert len(smtp_server.received) == 3


def test_a_connection_the_server_closed_while_idle_is_reopened_without_losing_the_email(app, world, smtp_server):
    from xobito_tickets.mail.compose import Job, build_message
    from xobito_tickets.mail.transport import open_transport

    smtp_server.stop()
    smtp_server.idle_timeout = 0.3  # the server hangs up on silent clients
    smtp_server.start()
    Desk(app, world, smtp_server).open()
    with app.app_context():
        rows = session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()
        jobs = [Job.from_row(row) for row in rows]
        with open_transport() as transport:
            transport.send(build_message(jobs[0]), jobs[0])
            time.sleep(0.8)  # the server closes the connection meanwhile
            transport.send(build_message(jobs[1]), jobs[1])
    assert [e.envelope_to for e in extract_emails(smtp_server)] == [
        [jobs[0].recipient_email],
        [jobs[1].recipient_email],
    ]


def test_the_outbox_page_pages_and_filters_by_recipient_or_ticket(app, world, client, auth):
    with app.app_context():
        for number in range(60):
            session.add(
                OutboxEmail(
                    tenant_id=world.acme_id,
                    kind="reply_posted",
                    recipient_email=f"person{number}@acme.test",
                    subject=f"[TKT-{number:06d}] New reply",
                    message_id=f"<m{number}@helpdesk.test>",
                    status="sent",
                )
            )
        session.commit()
    auth.login(ADA)
    first = client.get("/acme/admin/outbox/?status=all").get_data(as_text=True)
    assert "person59@acme.test" in first and "person9@acme.test" not in first
    assert 'rel="next"' in first
    older = client.get(f"/acme/admin/outbox/?status=all&before={_id_of(app, 'person10@acme.test')}")
    assert "person9@acme.test" in older.get_data(as_text=True)
    by_ticket = client.get("/acme/admin/outbox/?status=all&q=TKT-000007").get_data(as_text=True)
    assert "person7@acme.test" in by_ticket and "person8@acme.test" not in by_ticket
    assert client.get("/acme/admin/outbox/?before=%C2%B2").status_code == 200


def _id_of(app, email):
    with app.app_context():
        return session.scalar(sa.select(OutboxEmail.id).where(OutboxEmail.recipient_email == email))
