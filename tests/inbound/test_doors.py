"""The three doors: stdin (a subprocess, as an MTA runs it), HTTP (bearer token, raw MIME), IMAP (a real dovecot)."""

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.inbound.imap import fetch_all
from xobito_tickets.inbound.models import InboundMessage
from xobito_tickets.inbound.settings import get_settings, inbound_token
from xobito_tickets.models import Tenant, Ticket

from ..conftest import count_rows
from ..mail.conftest import flask_cli
from .test_ingest import DOMAIN, eml

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def app_config(app_config):
    app_config.update(TICKETS_INBOUND_DOMAIN=DOMAIN)
    return app_config


def receive_mail(app, database_url, raw, tenant="acme", env=None):
    environment = {
        "FLASK_TICKETS_STORAGE_ROOT": app.config["TICKETS_STORAGE_ROOT"],
        "FLASK_TICKETS_INBOUND_DOMAIN": DOMAIN,
    }
    environment.update(env or {})
    process = flask_cli(database_url, "tickets", "receive-mail", "--tenant", tenant, env=environment, stdin=-1)
    out, err = process.communicate(raw.decode("latin-1"), timeout=120)
    return process.returncode, out.strip().splitlines()[-1] if out.strip() else "", err


# -- stdin -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, outcome",
    [
        ("iso_8859_1_new_ticket.eml", "new_ticket TKT-000001"),
        ("vacation_autoreply.eml", "ignored (automatic message (Auto-Submitted: auto-replied))"),
        ("malformed_mime.eml", "quarantined (malformed MIME structure)"),
    ],
)
def test_receive_mail_reads_one_message_from_stdin(app, world, database_url, name, outcome):
    code, last_line, err = receive_mail(app, database_url, (CORPUS / name).read_bytes())
    assert code == 0, err
    assert last_line == outcome


def test_receive_mail_asks_the_mta_to_retry_when_nothing_can_be_stored(app, world, database_url, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("storage cannot live under a file")
    raw = eml("carla@acme.test")
    code, _, err = receive_mail(app, database_url, raw, env={"FLASK_TICKETS_STORAGE_ROOT": str(blocked)})
    assert code == 75, err
    assert "try again later" in err
    assert count_rows(app, Ticket) == 0 and count_rows(app, InboundMessage) == 0
    # The MTA tries again later, and the message arrives once.
    code, last_line, err = receive_mail(app, database_url, raw)
    assert (code, last_line) == (0, "new_ticket TKT-000001"), err


def test_receive_mail_for_an_unknown_workspace_bounces(app, world, database_url):
    code, _, err = receive_mail(app, database_url, eml("carla@acme.test"), tenant="nope")
    assert code == 67 and "no active workspace" in err


def test_inbound_token_is_printed_again_and_rotated(app, world, database_url):
    first = flask_cli(
        database_url,
        "tickets",
        "inbound",
        "token",
        "--tenant",
        "acme",
        env={"FLASK_SECRET_KEY": app.config["SECRET_KEY"]},
    )
    out, err = first.communicate(timeout=120)
    token = out.strip().splitlines()[-1]
    again = flask_cli(
        database_url,
        "tickets",
        "inbound",
        "token",
        "--tenant",
        "acme",
        env={"FLASK_SECRET_KEY": app.config["SECRET_KEY"]},
    )
    assert again.communicate(timeout=120)[0].strip().splitlines()[-1] == token
    rotated = flask_cli(
        database_url,
        "tickets",
        "inbound",
        "token",
        "--tenant",
        "acme",
        "--rotate",
        env={"FLASK_SECRET_KEY": app.config["SECRET_KEY"]},
    )
    new = rotated.communicate(timeout=120)[0].strip().splitlines()[-1]
    assert new != token and len(new) == 40
    with app.app_context():
        assert inbound_token(session.get(Tenant, world.acme_id)) == new


# -- HTTP --------------------------------------------------------------------------


@pytest.fixture
def token(app, world):
    with app.app_context():
        return inbound_token(session.get(Tenant, world.acme_id))


def post(client, raw, token=None, content_type="message/rfc822", slug="acme"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/_tickets/inbound/{slug}", data=raw, content_type=content_type, headers=headers)


def test_http_door_accepts_a_message_with_the_bearer_token(app, client, token):
    response = post(client, eml("carla@acme.test"), token)
    assert response.status_code == 202
    assert response.json == {"outcome": "new_ticket", "reason": "", "ticket": "TKT-000001"}
    assert "Set-Cookie" not in response.headers
    assert count_rows(app, Ticket) == 1


def test_http_door_refuses_wrong_tokens_other_workspaces_and_non_messages(app, client, token, world):
    raw = eml("carla@acme.test")
    assert post(client, raw).status_code == 401
    assert post(client, raw, "x" * 40).status_code == 401
    assert post(client, raw, token, slug="globex").status_code == 401
    assert post(client, raw, token, slug="nope").status_code == 401
    assert post(client, b"just some text, no headers", token).status_code == 400
    assert post(client, raw, token, content_type="text/html").status_code == 400
    assert post(client, b"", token).status_code == 400
    assert count_rows(app, Ticket) == 0


def test_http_door_answers_413_past_the_size_limit(app, client, token):
    app.config["TICKETS_INBOUND_MAX_BYTES"] = 1024 * 1024
    response = post(client, eml("carla@acme.test", body="x" * (2 * 1024 * 1024)), token)
    assert response.status_code == 413
    assert count_rows(app, Ticket) == 0


def test_a_rotated_token_stops_working(app, client, token, world):
    with app.app_context():
        inbound_token(session.get(Tenant, world.acme_id), rotate=True)
    assert post(client, eml("carla@acme.test"), token).status_code == 401


# -- IMAP --------------------------------------------------------------------------


def configure_mailbox(app, world, server):
    app.config["TICKETS_INBOUND_IMAP_CAFILE"] = server.cafile
    with app.app_context():
        settings = get_settings(session.get(Tenant, world.acme_id), create=True)
        settings.imap_host, settings.imap_port = server.host, server.port
        settings.imap_user, settings.imap_password = server.user, server.password
        session.commit()


def fetch(app):
    with app.app_context():
        stats = fetch_all()
        session.remove()
        return stats


def test_fetch_mail_ingests_unseen_messages_and_flags_them_after_commit(app, world, imap_server):
    configure_mailbox(app, world, imap_server)
    imap_server.append(eml("carla@acme.test", subject="First"))
    imap_server.append((CORPUS / "vacation_autoreply.eml").read_bytes())
    imap_server.append(eml("oscar@acme.test", subject="Second"))
    stats = fetch(app)
    assert (stats.handled, stats.retried, stats.errors) == (3, 0, [])
    assert all("\\Seen" in flags for flags in imap_server.flags())
    assert count_rows(app, Ticket) == 2
    assert fetch(app).handled == 0  # nothing unseen is left


def set_failing_trigger(app, on):
    """Make every insert into the inbound log fail (a trigger), or stop that."""
    with app.app_context():
        postgres = session.get_bind().dialect.name == "postgresql"
        if on and postgres:
            session.execute(
                sa.text(
                    "CREATE FUNCTION xt_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
                )
            )
            session.execute(
                sa.text(
                    "CREATE TRIGGER xt_refuse BEFORE INSERT ON tickets_inbound_messages "
                    "FOR EACH ROW EXECUTE FUNCTION xt_refuse()"
                )
            )
        elif on:
            session.execute(
                sa.text(
                    "CREATE TRIGGER xt_refuse BEFORE INSERT ON tickets_inbound_messages "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
        else:
            session.execute(sa.text("DROP TRIGGER xt_refuse" + (" ON tickets_inbound_messages" if postgres else "")))
        session.commit()


def test_messages_stay_unflagged_when_the_transaction_fails(app, world, imap_server):
    configure_mailbox(app, world, imap_server)
    imap_server.append(eml("carla@acme.test", subject="Will wait"))
    # A real failure inside the transaction: the database refuses the inbound log's row.
    set_failing_trigger(app, True)
    stats = fetch(app)
    assert stats.handled == 0 and stats.retried == 1
    assert not any("\\Seen" in flags for flags in imap_server.flags())
    assert count_rows(app, Ticket) == 0
    set_failing_trigger(app, False)
    assert fetch(app).handled == 1
    assert all("\\Seen" in flags for flags in imap_server.flags())
    assert count_rows(app, Ticket) == 1


def test_fetch_mail_refuses_a_server_whose_certificate_is_not_trusted(app, world, imap_server):
    configure_mailbox(app, world, imap_server)
    app.config["TICKETS_INBOUND_IMAP_CAFILE"] = None
    imap_server.append(eml("carla@acme.test"))
    stats = fetch(app)
    assert stats.handled == 0 and "CERTIFICATE_VERIFY_FAILED" in " ".join(stats.errors)
    assert count_rows(app, Ticket) == 0


def test_fetch_mail_command_runs_once(app, world, imap_server, database_url):
    configure_mailbox(app, world, imap_server)
    imap_server.append(eml("carla@acme.test"))
    process = flask_cli(
        database_url,
        "tickets",
        "fetch-mail",
        "--once",
        env={
            "FLASK_TICKETS_STORAGE_ROOT": app.config["TICKETS_STORAGE_ROOT"],
            "FLASK_TICKETS_INBOUND_IMAP_CAFILE": imap_server.cafile,
        },
    )
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "1 handled" in out
    assert count_rows(app, Ticket) == 1


def test_storage_failure_leaves_imap_messages_unseen(app, world, imap_server, tmp_path):
    configure_mailbox(app, world, imap_server)
    imap_server.append(eml("carla@acme.test"))
    storage = Path(app.config["TICKETS_STORAGE_ROOT"])
    shutil.rmtree(storage, ignore_errors=True)
    storage.write_text("a file where the storage directory should be")
    assert fetch(app).retried == 1
    assert not any("\\Seen" in flags for flags in imap_server.flags())
    os.unlink(storage)
    assert fetch(app).handled == 1
