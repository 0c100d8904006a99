"""Attachment storage behind a small interface; local disk by default.

Files are stored under ``tickets/{tenant_id}/replies/{random name}``: the user's file
name never reaches the file system. The storage root is never served as a static
folder; downloads go through the views, which check who may see the ticket.
"""

import os
import secrets
import shutil
import tempfile

from flask import current_app


class LocalStorage:
    """Stores attachments as files under a root directory."""

    def __init__(self, root):
        self.root = os.path.abspath(root)

    def _path(self, key):
        path = os.path.abspath(os.path.join(self.root, key))
        if not path.startswith(self.root + os.sep):
            raise ValueError("storage key escapes the storage root")
        return path

    def save(self, tenant_id, stream):
        """Write ``stream`` to a new generated key and return the key."""
        key = f"tickets/{int(tenant_id)}/replies/{secrets.token_hex(16)}"
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Write to a temporary name first so a crash never leaves a half file
        # under a key that the database could point to.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, 1024 * 1024)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return key

    def open(self, key):
        """Return a binary file object for ``key``."""
        return open(self._path(key), "rb")

    def delete(self, key):
        """Remove ``key``; a missing file is not an error."""
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            pass

    def exists(self, key):
        return os.path.exists(self._path(key))


def get_storage():
    """Return the storage backend configured for the current app."""
    state = current_app.extensions["xobito_tickets"]
    backend = current_app.config["TICKETS_STORAGE_BACKEND"]
    cached = state.storage_cache.get(backend)
    if cached is not None:
        return cached
    factory = state.storage_backends.get(backend)
    if factory is None:
        raise RuntimeError(
            f"Unknown TICKETS_STORAGE_BACKEND {backend!r}; known: {', '.join(sorted(state.storage_backends))}"
        )
    storage = factory(current_app)
    state.storage_cache[backend] = storage
    return storage


def local_storage_factory(app):
    """Build the local-disk backend from ``TICKETS_STORAGE_ROOT``."""
    root = app.config["TICKETS_STORAGE_ROOT"]
    if not os.path.isabs(root):
        root = os.path.join(app.instance_path, root)
    return LocalStorage(root)
