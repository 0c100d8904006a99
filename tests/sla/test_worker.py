"""``flask tickets worker``: every job in one process, several processes at once, clean SIGTERM."""

import collections
import signal
import time

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.jobs import registered
from xobito_tickets.models import Department, OutboxEmail, Tenant, Ticket, User
from xobito_tickets.sla.models import TimeAlert
from xobito_tickets.tickets.services import open_ticket

from ..mail.conftest import extract_emails, flask_cli, mail_config, smtp_env, smtp_server  # noqa: F401
from .conftest import age_ticket, set_targets


@pytest.fixture
def app_config(app_config, mail_config):  # noqa: F811 - extends the suite's fixture
    app_config.update(mail_config)
    return app_config


def _overdue_tickets(app, world, count):
    with app.app_context():
        set_targets(world.acme_id, medium=(30, 480))
        acme = session.get(Tenant, world.acme_id)
        carla = session.get(User, world.customer_id)
        support = session.get(Department, world.support_id)
        ids = [open_ticket(acme, carla, support, f"Late {i}", "Nobody answered.").id for i in range(count)]
        for ticket_id in ids:
            age_ticket(ticket_id, 45)
        return ids


def test_every_job_is_registered(app):
    names = [entry.name for entry in registered()]
    for name in ("outbox", "sla-alerts", "auto-close", "storage-sweep"):
        assert name in names


def test_worker_once_runs_every_job_and_a_second_pass_changes_nothing(app, world, runner, smtp_server):  # noqa: F811
    _overdue_tickets(app, world, 2)
    result = runner.invoke(args=["tickets", "worker", "--once"])
    assert result.exit_code == 0, result.output
    # 2 tickets x (receipt to Carla + notices to Ada and Sam) + 2 breach emails to Sam, in the same pass.
    assert "sla-alerts 2" in result.output and "outbox 8" in result.output
    breaches = [e for e in extract_emails(smtp_server) if "Overdue" in e.subject]
    assert sorted(e.subject for e in breaches) == [
        "[TKT-000001] Overdue (first response): Late 0",
        "[TKT-000002] Overdue (first response): Late 1",
    ]
    again = runner.invoke(args=["tickets", "worker", "--once"])
    assert again.exit_code == 0 and "sla-alerts 0" in again.output and "outbox 0" in again.output
    assert len(extract_emails(smtp_server)) == 8


def test_unknown_job_is_refused(runner, app):
    result = runner.invoke(args=["tickets", "worker", "--once", "--job", "nope"])
    assert result.exit_code == 2 and "unknown job nope" in result.output


@pytest.mark.slow
def test_two_worker_processes_never_double_send(app, world, smtp_server):  # noqa: F811
    ids = _overdue_tickets(app, world, 30)
    with app.app_context():
        # Only the breach emails are left to send.
        session.execute(sa.delete(OutboxEmail))
        session.commit()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = smtp_env(smtp_server, TICKETS_MAIL_SMTP_TIMEOUT=60)
    workers = [flask_cli(url, "tickets", "worker", "--once", env=env) for _ in range(2)]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, f"{out}\n{err}"
        outputs.append(out)
    alerted = [int(out.split("sla-alerts ")[1].split(",")[0].rstrip(".\n")) for out in outputs]
    assert sum(alerted) == 30, outputs
    emails = extract_emails(smtp_server)
    per_ticket = collections.Counter(e.subject.split("]")[0] for e in emails)
    assert len(emails) == 30 and set(per_ticket.values()) == {1}
    assert len({e.header("Message-ID") for e in emails}) == 30
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(TimeAlert)) == 60  # breach + silent warning
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.id.in_(ids))) == 30
    # Both again, together: nothing left to do.
    workers = [flask_cli(url, "tickets", "worker", "--once", env=env) for _ in range(2)]
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0 and "sla-alerts 0" in out, f"{out}\n{err}"
    assert len(extract_emails(smtp_server)) == 30


@pytest.mark.slow
def test_worker_stops_cleanly_on_sigterm(app, world, smtp_server):  # noqa: F811
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    worker = flask_cli(url, "tickets", "worker", "--interval", "0.5", env=smtp_env(smtp_server))
    try:
        line = worker.stdout.readline()
        assert line.startswith("Worker running"), line + worker.stderr.read()
        time.sleep(1)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    assert "Worker stopped." in out
