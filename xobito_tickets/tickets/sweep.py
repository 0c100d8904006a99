"""The storage sweep: remove attachment files that no row names, once they are old enough.

A service writes its files before it commits (:class:`~.transaction.Transaction`) and removes
them again when the transaction fails; a process killed between the write and the commit leaves
a file that no row will ever name. No transaction lasts an hour, so a file older than
TICKETS_STORAGE_SWEEP_AGE that no row names is such an orphan: the sweep removes it, on the
local disk (with half-written ``.upload-*`` temporaries) and on S3 alike. Features that keep
files of their own in the attachment storage register the column that names them with
:func:`register_key_column`.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from ..db import session
from ..jobs import job
from ..models import Attachment, utcnow
from .storage import get_storage

#: The columns whose values are storage keys; a key named by none of them is an orphan.
_KEY_COLUMNS = [Attachment.storage_key]

_BATCH = 500


def register_key_column(column):
    """Declare that ``column`` (a mapped column) names files in the attachment storage."""
    if not any(column is known for known in _KEY_COLUMNS):
        _KEY_COLUMNS.append(column)


def _named(keys):
    """Return the subset of ``keys`` that some row names."""
    named = set()
    for column in _KEY_COLUMNS:
        named.update(session.scalars(sa.select(column).where(column.in_(keys))))
    return named


def _remove_orphans(storage, keys):
    orphans = sorted(set(keys) - _named(keys))
    # End the read transaction before the slow part (one request per file on S3).
    session.rollback()
    for key in orphans:
        storage.delete(key)
        current_app.logger.info("storage sweep: removed %s, which no row names", key)
    return len(orphans)


def sweep_storage(app=None, now=None, min_age=None):
    """Remove stored files older than ``min_age`` seconds that no row names; return how many."""
    now = now or utcnow()
    if min_age is None:
        min_age = float(current_app.config["TICKETS_STORAGE_SWEEP_AGE"])
    cutoff = now - timedelta(seconds=min_age)
    storage = get_storage()
    removed, batch = 0, []
    for key, modified in storage.iter_keys():
        if modified > cutoff:
            continue
        batch.append(key)
        if len(batch) >= _BATCH:
            removed += _remove_orphans(storage, batch)
            batch = []
    if batch:
        removed += _remove_orphans(storage, batch)
    return removed


job("storage-sweep")(sweep_storage)
