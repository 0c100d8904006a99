"""Attachment storage behind a small interface; local disk by default, or S3.

Files are stored under ``tickets/{tenant_id}/replies/{random name}``: the user's file
name never reaches the file system. The storage root is never served as a static
folder; downloads go through the views, which check who may see the ticket.

A backend has ``save(tenant_id, stream) -> key``, ``open(key)`` (a binary file object;
FileNotFoundError if the key is missing), ``delete(key)`` (a missing key is not an
error), ``exists(key)`` and ``iter_keys()`` (every stored key with its modification time, for
the storage sweep). Backends are registered by name in
``app.extensions["xobito_tickets"].storage_backends`` as ``factory(app) -> backend``.
"""

import os
import re
import secrets
import shutil
import tempfile
from datetime import UTC, datetime

from flask import current_app

#: The keys this module writes (and the local backend's half-written temporaries of them).
_KEY_RE = re.compile(r"^tickets/[0-9]+/replies/[^/]+$")


def new_key(tenant_id):
    """Return a fresh storage key for a file of ``tenant_id``."""
    return f"tickets/{int(tenant_id)}/replies/{secrets.token_hex(16)}"


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
        key = new_key(tenant_id)
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
        """Return True if ``key`` is stored."""
        return os.path.exists(self._path(key))

    def iter_keys(self):
        """Yield ``(key, modified)`` of every stored file, temporaries of killed uploads included."""
        top = os.path.join(self.root, "tickets")
        for directory, _, names in os.walk(top):
            for name in names:
                path = os.path.join(directory, name)
                key = os.path.relpath(path, self.root).replace(os.sep, "/")
                if not _KEY_RE.match(key):
                    continue
                try:
                    modified = os.stat(path).st_mtime
                except FileNotFoundError:
                    continue
                yield key, datetime.fromtimestamp(modified, UTC)


class S3Storage:
    """Stores attachments as objects of an S3-compatible bucket (AWS S3, MinIO, Ceph, …).

    Every app server sees the same files, so any of them can serve any download.
    Object names are ``prefix + key``; the database keeps the key alone, so a bucket
    can be shared by several deployments with different prefixes.
    """

    def __init__(self, client, bucket, prefix=""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def object_name(self, key):
        """Return the bucket's object name of ``key``."""
        if not key.startswith("tickets/") or any(part in ("", ".", "..") for part in key.split("/")):
            raise ValueError("not a storage key of this module")
        return self.prefix + key

    def save(self, tenant_id, stream):
        """Upload ``stream`` under a new generated key and return the key."""
        key = new_key(tenant_id)
        # One PUT: attachments are at most a few MiB, below where multipart pays off,
        # and an object appears whole or not at all.
        self.client.put_object(Bucket=self.bucket, Key=self.object_name(key), Body=stream)
        return key

    def open(self, key):
        """Return a streaming, file-like body of ``key``."""
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.object_name(key))["Body"]
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from exc
            raise

    def delete(self, key):
        """Remove ``key``; S3 answers a missing key with success too."""
        self.client.delete_object(Bucket=self.bucket, Key=self.object_name(key))

    def iter_keys(self):
        """Yield ``(key, modified)`` of every object under this deployment's prefix."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + "tickets/"):
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.prefix) :]
                if _KEY_RE.match(key):
                    yield key, item["LastModified"]

    def exists(self, key):
        """Return True if ``key`` is stored."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        return True


def _is_missing(exc):
    return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


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


def s3_storage_factory(app):
    """Build the S3 backend from ``TICKETS_S3_*``; credentials come from boto3's usual sources."""
    bucket = app.config.get("TICKETS_S3_BUCKET")
    if not bucket:
        raise RuntimeError("TICKETS_STORAGE_BACKEND = 's3' needs TICKETS_S3_BUCKET, the bucket name.")
    try:
        import boto3
    except ImportError:
        raise RuntimeError("TICKETS_STORAGE_BACKEND = 's3' needs boto3: pip install 'xobito-tickets[s3]'.") from None
    prefix = (app.config.get("TICKETS_S3_PREFIX") or "").strip("/")
    # A session of our own: boto3's default session is not safe to share between threads.
    client = boto3.session.Session().client("s3", endpoint_url=app.config.get("TICKETS_S3_ENDPOINT_URL") or None)
    return S3Storage(client, bucket, prefix + "/" if prefix else "")
