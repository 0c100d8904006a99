"""The storage sweep keeps every raw message that the inbound log names (they live in the attachment storage)."""

import io

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.inbound.models import InboundMessage
from xobito_tickets.models import Tenant
from xobito_tickets.tickets.storage import get_storage
from xobito_tickets.tickets.sweep import sweep_storage

from .test_ingest import DOMAIN, app_config, eml, run  # noqa: F401 - app_config: the inbound domain


def test_raw_messages_of_the_inbound_log_survive_a_sweep(app, world):
    posted = run(app, eml("carla@acme.test", to=f"acme+support@{DOMAIN}", body="Raw message kept."))
    with app.app_context():
        session.get(Tenant, world.acme_id).allow_signup = False
        session.commit()
    quarantined = run(app, eml("nina@example.com", body="Held for review."))
    assert (posted.outcome, quarantined.outcome) == ("new_ticket", "quarantined")
    with app.app_context():
        keys = session.scalars(sa.select(InboundMessage.raw_key).order_by(InboundMessage.id)).all()
        assert len(keys) == 2 and all(keys)
        storage = get_storage()
        # A file that no row names, as a process killed before its commit leaves one: the sweep removes it.
        orphan = storage.save(world.acme_id, io.BytesIO(b"orphan"))
        session.remove()
        # Any age is old enough here: only the rows decide what stays.
        assert sweep_storage(app, min_age=0) == 1
        assert not storage.exists(orphan)
        for key, text in zip(keys, (b"Raw message kept.", b"Held for review."), strict=True):
            with storage.open(key) as stream:
                assert text in stream.read()
