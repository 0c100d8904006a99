"""The storage sweep after a process really killed between writing a file and committing its row."""

import io
import json
import os
import signal
import subprocess
import sys

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Attachment, Department, Tenant, Ticket, User
from xobito_tickets.tickets.services import open_ticket
from xobito_tickets.tickets.storage import get_storage
from xobito_tickets.tickets.sweep import sweep_storage
from xobito_tickets.tickets.uploads import UploadedFile

from ..prod.test_s3 import PREFIX, bucket, s3, s3_endpoint  # noqa: F401 - fixtures

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _ticket_with_a_file(world):
    acme = session.get(Tenant, world.acme_id)
    carla = session.get(User, world.customer_id)
    support = session.get(Department, world.support_id)
    data = b"first log\n"
    ticket = open_ticket(
        acme, carla, support, "Printer", "It jams.", files=[UploadedFile("a.txt", "text/plain", io.BytesIO(data), 10)]
    )
    return ticket.id


def _kill_mid_upload(app_config, ticket_id, author_id):
    """Run a reply with a file in another process and SIGKILL it before its commit; return the file's key."""
    config = {k: v for k, v in app_config.items() if isinstance(v, str | int | float | bool)}
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "hang_in_upload.py"), json.dumps(config), str(ticket_id), str(author_id)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        line = process.stdout.readline()
        if line.startswith("WRITTEN "):
            os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None and not line.startswith("WRITTEN "):
            process.kill()
        _, errors = process.communicate(timeout=30)
    assert line.startswith("WRITTEN "), errors
    assert process.returncode == -signal.SIGKILL
    return line.split()[1]


def _check_sweep(app, world, app_config):
    with app.app_context():
        ticket_id = _ticket_with_a_file(world)
        kept_key = session.scalar(sa.select(Attachment.storage_key))
    orphan = _kill_mid_upload(app_config, ticket_id, world.customer_id)
    with app.app_context():
        storage = get_storage()
        # The killed process wrote the file; its row never committed.
        assert storage.exists(orphan)
        assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1
        assert session.get(Ticket, ticket_id).replies == []
        # Younger than an hour: it could still belong to a running transaction.
        assert sweep_storage(app) == 0
        assert storage.exists(orphan)
        # Once old enough (here: any age), it goes; the named file stays.
        assert sweep_storage(app, min_age=0) == 1
        assert not storage.exists(orphan)
        assert storage.exists(kept_key)
        assert sweep_storage(app, min_age=0) == 0
        with storage.open(kept_key) as stream:
            assert stream.read() == b"first log\n"


def test_sweep_on_local_disk_after_a_killed_upload(app, world, app_config):
    _check_sweep(app, world, app_config)


@pytest.fixture
def s3_config(app_config, s3_endpoint, bucket):  # noqa: F811 - fixtures of the S3 suite
    app_config.update(
        TICKETS_STORAGE_BACKEND="s3",
        TICKETS_S3_BUCKET=bucket,
        TICKETS_S3_ENDPOINT_URL=s3_endpoint,
        TICKETS_S3_PREFIX=PREFIX,
    )
    return app_config


def test_sweep_on_s3_after_a_killed_upload(s3_config, app, world, s3):  # noqa: F811
    _check_sweep(app, world, s3_config)
    # Only the named file is left in the bucket.
    assert len(s3.objects()) == 1
