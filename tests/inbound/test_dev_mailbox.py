"""The development mailbox's "Reply to this email": the answer goes through the inbound ingest."""

import os

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.mail.worker import OutboxWorker
from xobito_tickets.models import Department, Reply, Tenant, Ticket, User
from xobito_tickets.tickets.services import open_ticket, post_reply

from ..conftest import count_rows


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config.update(
        MAIL_SUPPRESS_SEND=False,
        TICKETS_MAIL_TRANSPORT="file",
        TICKETS_MAIL_FILE_DIR=str(tmp_path / "mail"),
        TICKETS_MAIL_DEV_PAGE=True,
    )
    return app_config


def test_the_development_mailbox_replies_through_the_ingest(app, client, world, tmp_path):
    with app.app_context():
        created = open_ticket(
            session.get(Tenant, world.acme_id),
            session.get(User, world.customer_id),
            session.get(Department, world.support_id),
            "Printer offline",
            "It is offline.",
        )
        post_reply(created, session.get(User, world.staff_id), "Restart the spooler please.")
        OutboxWorker().run_once()
        session.remove()
    names = sorted(os.listdir(tmp_path / "mail"))
    # The newest email to Carla: the staff reply's notification.
    to_carla = [n for n in names if b"carla@acme.test" in (tmp_path / "mail" / n).read_bytes().split(b"\r\n\r\n")[0]][
        -1
    ]
    page = client.get(f"/_tickets/mail/{to_carla}").get_data(as_text=True)
    assert "Reply to this email" in page
    response = client.post(f"/_tickets/mail/{to_carla}/reply", data={"body": "Done, it prints again."})
    assert response.status_code == 303
    with app.app_context():
        replies = session.scalars(sa.select(Reply).order_by(Reply.id)).all()
        assert replies[-1].body == "Done, it prints again." and replies[-1].author_id == world.customer_id
    assert count_rows(app, Ticket) == 1
