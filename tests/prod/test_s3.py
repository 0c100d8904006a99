"""The S3 storage backend against a real S3 HTTP endpoint (moto's server on loopback)."""

import io
import secrets

import boto3
import pytest
import sqlalchemy as sa
from moto.server import ThreadedMotoServer

from xobito_tickets import signals
from xobito_tickets.db import session
from xobito_tickets.models import Attachment, Ticket
from xobito_tickets.tickets.storage import S3Storage, get_storage

from ..conftest import count_rows

# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
TEXT = b"Printer log\nline two\n"
PREFIX = "helpdesk"


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3 endpoint: moto's server, in a thread, on a free loopback port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    """A new bucket; boto3 finds its credentials in the environment, as in production."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    name = f"tickets-{secrets.token_hex(6)}"
    client = boto3.session.Session().client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3(s3_endpoint, bucket):
    """A client on the test bucket, to look at what the app stored."""
    client = boto3.session.Session().client("s3", endpoint_url=s3_endpoint)

    class Bucket:
        name = bucket

        def objects(self):
            listing = client.list_objects_v2(Bucket=bucket)
            return {item["Key"]: item["Size"] for item in listing.get("Contents", [])}

        def read(self, name):
            return client.get_object(Bucket=bucket, Key=name)["Body"].read()

        def delete(self, name):
            client.delete_object(Bucket=bucket, Key=name)

    return Bucket()


@pytest.fixture
def app_config(app_config, s3_endpoint, bucket):
    app_config.update(
        TICKETS_STORAGE_BACKEND="s3",
        TICKETS_S3_BUCKET=bucket,
        TICKETS_S3_ENDPOINT_URL=s3_endpoint,
        TICKETS_S3_PREFIX=PREFIX,
    )
    return app_config


@pytest.fixture
def customer(client, auth, world):
    assert auth.login("carla@acme.test").status_code == 302
    return client


def _create(client, world, files):
    return client.post(
        "/acme/tickets/store",
        data={
            "subject": "Printer on fire",
            "department": world.support_id,
            "priority": "high",
            "body": "See the attached photo.",
            "attachments": [(io.BytesIO(data), name) for data, name in files],
        },
        content_type="multipart/form-data",
    )


def _attachments(app):
    with app.app_context():
        return session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()


def test_uploads_go_to_the_bucket_and_download_from_it(app, world, customer, s3, tmp_path):
    response = _create(customer, world, [(PNG, "photo.png"), (TEXT, "log.txt")])
    assert response.status_code == 303
    stored = _attachments(app)
    assert [a.filename for a in stored] == ["photo.png", "log.txt"]
    objects = s3.objects()
    assert sorted(objects) == sorted(f"{PREFIX}/{a.storage_key}" for a in stored)
    for attachment in stored:
        assert attachment.storage_key.startswith(f"tickets/{world.acme_id}/replies/")
        assert "photo" not in attachment.storage_key and "log" not in attachment.storage_key
    assert objects[f"{PREFIX}/{stored[0].storage_key}"] == len(PNG)
    assert not (tmp_path / "storage").exists(), "nothing may be written to local disk"

    page = customer.get("/acme/tickets/TKT-000001").get_data(as_text=True)
    assert "photo.png" in page and "log.txt" in page
    for attachment, data in zip(stored, (PNG, TEXT), strict=True):
        download = customer.get(f"/acme/tickets/TKT-000001/download?attachment={attachment.id}")
        assert download.status_code == 200
        assert download.get_data() == data
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"

    reply = customer.post(
        "/acme/tickets/TKT-000001/reply",
        data={"body": "One more file", "attachments": [(io.BytesIO(TEXT), "more.txt")]},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 303
    assert len(s3.objects()) == 3
    newest = _attachments(app)[-1]
    assert newest.reply_id is not None
    assert s3.read(f"{PREFIX}/{newest.storage_key}") == TEXT


def test_a_failed_change_leaves_no_object_in_the_bucket(app, world, customer, s3):
    def broken_receiver(sender, **kwargs):
        raise RuntimeError("a receiver failed after the files were uploaded")

    with signals.ticket_created.connected_to(broken_receiver):
        with pytest.raises(RuntimeError, match="receiver failed"):
            _create(customer, world, [(PNG, "photo.png"), (TEXT, "log.txt")])
    assert s3.objects() == {}
    assert count_rows(app, Ticket) == 0
    assert count_rows(app, Attachment) == 0


def test_an_object_missing_from_the_bucket_is_a_404_not_a_500(app, world, customer, s3):
    assert _create(customer, world, [(PNG, "photo.png")]).status_code == 303
    (attachment,) = _attachments(app)
    s3.delete(f"{PREFIX}/{attachment.storage_key}")
    response = customer.get(f"/acme/tickets/TKT-000001/download?attachment={attachment.id}")
    assert response.status_code == 404


def test_the_s3_backend_keeps_the_storage_interface(app, s3):
    with app.app_context():
        storage = get_storage()
        assert isinstance(storage, S3Storage)
        key = storage.save(7, io.BytesIO(b"hello"))
        assert key.startswith("tickets/7/replies/") and len(key.rsplit("/", 1)[1]) == 32
        assert storage.exists(key)
        with storage.open(key) as handle:
            assert handle.read() == b"hello"
        assert s3.objects() == {f"{PREFIX}/{key}": 5}
        storage.delete(key)
        storage.delete(key)  # a missing key is not an error
        assert not storage.exists(key)
        with pytest.raises(FileNotFoundError):
            storage.open(key)
        for bad in ("../etc/passwd", "tickets/../../x", "tickets//x", "other/7/replies/x"):
            with pytest.raises(ValueError):
                storage.open(bad)


def test_the_s3_backend_without_a_bucket_says_what_is_missing(app):
    app.config["TICKETS_S3_BUCKET"] = None
    with app.app_context():
        with pytest.raises(RuntimeError, match="TICKETS_S3_BUCKET"):
            get_storage()
