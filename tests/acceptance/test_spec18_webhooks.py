"""SPEC §18, webhooks: registered with the CLI, fed by the web pages, delivered by ``flask tickets worker --once``."""

import hashlib
import hmac
import re

import pytest

from ..webhooks.conftest import receiver  # noqa: F401
from .conftest import login

STAFF_TICKET_KEYS = {"number", "subject", "status", "priority", "department", "requester", "assignee", "tags", "due"}


@pytest.fixture
def app_config(app_config):
    app_config["TICKETS_WEBHOOK_ALLOW_PRIVATE"] = True
    return app_config


def register(runner, url, *events):
    args = ["tickets", "webhook", "create", "--tenant", "acme", "--url", url]
    for event in events:
        args += ["--event", event]
    return runner.invoke(args=args)


def worker_once(runner):
    result = runner.invoke(args=["tickets", "worker", "--once"])
    assert result.exit_code == 0, result.output


def test_web_changes_are_delivered_signed_by_the_worker(app, client, runner, world, desk, receiver):  # noqa: F811
    result = register(runner, receiver.url())
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    receiver.secret = secret
    login(client, "carla@acme.test")
    client.post(f"/acme/tickets/{desk.open_number}/reply", data={"body": "Any news on this?"})
    login(client, "ada@acme.test")
    number = desk.open_number
    client.post(f"/acme/admin/tickets/{number}/note", data={"body": "Checking the fuser."})
    client.post(f"/acme/admin/tickets/{number}/priority", data={"priority": "high"})
    client.post(
        f"/acme/admin/tickets/{number}/assign",
        data={"department": str(world.support_id), "assignee": str(world.staff_id)},
    )
    client.post(f"/acme/admin/tickets/{number}/close")
    client.post(f"/acme/admin/tickets/{number}/reopen")
    worker_once(runner)
    received = receiver.received
    assert [r.json()["type"] for r in received] == [
        "ticket.replied",
        "ticket.note_added",
        "ticket.priority_changed",
        "ticket.assigned",
        "ticket.closed",
        "ticket.reopened",
    ]
    for request in received:
        payload = request.json()
        assert request.method == "POST" and set(payload) == {"id", "type", "created_at", "tenant", "data"}
        assert request.headers["X-Xobito-Event"] == payload["type"]
        assert request.headers["X-Xobito-Delivery"] == str(payload["id"])
        match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", request.headers["X-Xobito-Signature"])
        assert match, request.headers["X-Xobito-Signature"]
        expected = hmac.new(secret.encode(), match.group(1).encode() + b"." + request.body, hashlib.sha256)
        assert hmac.compare_digest(expected.hexdigest(), match.group(2))
        assert payload["tenant"] == "acme" and STAFF_TICKET_KEYS <= set(payload["data"]["ticket"])
    note = received[1].json()["data"]["message"]
    assert note["kind"] == "note" and note["body"] == "Checking the fuser."
    assert received[0].json()["data"]["message"]["body"] == "Any news on this?"
    # Idempotent: a second pass sends nothing again.
    worker_once(runner)
    assert len(receiver.received) == len(received)


def test_an_endpoint_gets_only_its_events_and_refused_urls(app, client, runner, world, desk, receiver):  # noqa: F811
    result = register(runner, receiver.url(), "ticket.closed")
    assert result.exit_code == 0
    login(client, "ada@acme.test")
    client.post(f"/acme/admin/tickets/{desk.open_number}/note", data={"body": "Not for this endpoint."})
    client.post(f"/acme/admin/tickets/{desk.open_number}/close")
    worker_once(runner)
    assert [r.json()["type"] for r in receiver.received] == ["ticket.closed"]
    for url in ("ftp://example.com/hook", "file:///etc/passwd", "not a url"):
        assert register(runner, url).exit_code != 0, url
    app.config["TICKETS_WEBHOOK_ALLOW_PRIVATE"] = False
    for url in ("http://127.0.0.1:9/hook", "http://10.0.0.1/hook", "http://169.254.169.254/", "http://[::1]/x"):
        assert register(runner, url).exit_code != 0, url


def test_the_webhooks_page_is_for_admins(app, client, world):
    login(client, "sam@acme.test")
    assert client.get("/acme/admin/webhooks").status_code == 404
    login(client, "ada@acme.test")
    assert client.get("/acme/admin/webhooks").status_code == 200
