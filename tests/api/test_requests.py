"""What the API does with the request itself: Idempotency-Key on every POST, 413 for a body too
large on every endpoint that reads one, and ``TICKETS_API = False``."""

import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from xobito_tickets import create_app
from xobito_tickets.api.models import ApiIdempotencyKey
from xobito_tickets.api.tokens import create_token
from xobito_tickets.db import session
from xobito_tickets.models import Attachment, Department, Reply, Tenant, Ticket, TicketEvent, User
from xobito_tickets.tickets.services import open_ticket, post_reply
from xobito_tickets.tickets.uploads import UploadedFile
from xobito_tickets.webhooks.models import WebhookDelivery
from xobito_tickets.webhooks.services import create_endpoint

from ..conftest import PASSWORD, count_rows
from .conftest import BASE, body


def count(app, model, *where):
    with app.app_context():
        return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# -- Idempotency-Key -----------------------------------------------------------------------


def test_a_note_sent_twice_with_one_key_is_added_once(app, api, tokens, ticket):
    answers = [
        api.post(
            f"/tickets/{ticket}/notes", tokens.staff, json={"body": "Call them back"}, headers={"Idempotency-Key": "n"}
        )
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[0].data == answers[1].data == answers[2].data
    assert "Idempotent-Replayed" not in answers[0].headers and answers[2].headers["Idempotent-Replayed"] == "true"
    assert count(app, Reply, Reply.body == "Call them back") == 1


def test_a_repeated_close_gets_the_first_answer_not_a_refusal(app, api, tokens, ticket):
    status_changes = count(app, TicketEvent, TicketEvent.kind == "status")
    first = api.post(f"/tickets/{ticket}/close", tokens.customer, headers={"Idempotency-Key": "close-1"})
    again = api.post(f"/tickets/{ticket}/close", tokens.customer, headers={"Idempotency-Key": "close-1"})
    assert first.status_code == again.status_code == 200 and again.data == first.data
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app, TicketEvent, TicketEvent.kind == "status") == status_changes + 1
    # Without the key the same request is a new one: the ticket is already closed.
    assert api.post(f"/tickets/{ticket}/close", tokens.customer).status_code == 422
    # Reopen (staff) replays too.
    answers = [api.post(f"/tickets/{ticket}/reopen", tokens.staff, headers={"Idempotency-Key": "r"}) for _ in "ab"]
    assert [a.status_code for a in answers] == [200, 200] and answers[1].headers["Idempotent-Replayed"] == "true"
    assert count(app, TicketEvent, TicketEvent.kind == "status") == status_changes + 2


def test_refusals_and_the_key(app, api, tokens, ticket):
    """A 422 did nothing: the key stays free for the corrected request. A 403 or 404 is kept."""
    first = api.post(f"/tickets/{ticket}/reopen", tokens.staff, headers={"Idempotency-Key": "early"})
    assert first.status_code == 422
    api.post(f"/tickets/{ticket}/close", tokens.staff)
    again = api.post(f"/tickets/{ticket}/reopen", tokens.staff, headers={"Idempotency-Key": "early"})
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers
    for _ in "ab":
        refused = api.post(f"/tickets/{ticket}/reopen", tokens.customer, headers={"Idempotency-Key": "cust"})
        assert refused.status_code == 403
    assert refused.headers["Idempotent-Replayed"] == "true"
    with app.app_context():
        assert session.scalar(sa.select(Ticket.status)) == "open"


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "bad\tkey"])
def test_unusable_keys_are_422_and_nothing_is_done(app, api, tokens, ticket, key):
    response = api.post(
        f"/tickets/{ticket}/replies", tokens.customer, json={"body": "With a bad key"}, headers={"Idempotency-Key": key}
    )
    assert response.status_code == 422 and "Idempotency-Key" in body(response)["errors"]
    assert count(app, Reply, Reply.body == "With a bad key") == 0


def test_a_key_in_use_is_409_and_an_old_key_is_forgotten(app, api, world, tokens, ticket):
    # Claim a key as a request still in flight would (no answer stored yet).
    first = api.post(
        f"/tickets/{ticket}/replies", tokens.customer, json={"body": "Claimed reply"}, headers={"Idempotency-Key": "k"}
    )
    assert first.status_code == 201
    with app.app_context():
        row = session.scalar(sa.select(ApiIdempotencyKey))
        token_id = row.token_id
        row.status_code = None
        row.response_body = None
        session.commit()
    busy = api.post(
        f"/tickets/{ticket}/replies", tokens.customer, json={"body": "Claimed reply"}, headers={"Idempotency-Key": "k"}
    )
    assert busy.status_code == 409 and "still being handled" in body(busy)["error"]
    # A day later the key is free again: the request is a new one.
    with app.app_context():
        row = session.scalar(sa.select(ApiIdempotencyKey).where(ApiIdempotencyKey.token_id == token_id))
        row.created_at -= timedelta(hours=25)
        session.commit()
    later = api.post(
        f"/tickets/{ticket}/replies", tokens.customer, json={"body": "Claimed reply"}, headers={"Idempotency-Key": "k"}
    )
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert count(app, Reply, Reply.body == "Claimed reply") == 2


# -- 413 -----------------------------------------------------------------------------------


@pytest.fixture
def small_requests(app):
    app.config["MAX_CONTENT_LENGTH"] = 2000


def big_json(**fields):
    return {**fields, "body": "x" * 3000}


@pytest.mark.parametrize(
    ("method", "path", "options"),
    [
        ("POST", "/tickets", {"json": big_json(subject="Big", department=1)}),
        ("POST", "/tickets/TKT-000001/replies", {"json": big_json()}),
        ("POST", "/tickets/TKT-000001/notes", {"json": big_json()}),
        ("PATCH", "/tickets/TKT-000001", {"json": {"tags": ["x" * 30] * 100}}),
        (
            "POST",
            "/tickets/TKT-000001/replies",
            lambda: {
                "data": {"body": "A reply with a big file", "attachments": [(io.BytesIO(b"a" * 5000), "big.txt")]},
                "content_type": "multipart/form-data",
            },
        ),
        (
            "POST",
            "/tickets/TKT-000001/notes",
            lambda: {
                "data": {"body": "A note with a big file", "attachments": [(io.BytesIO(b"a" * 5000), "big.txt")]},
                "content_type": "multipart/form-data",
            },
        ),
    ],
)
@pytest.mark.parametrize("with_key", [False, True])
def test_too_large_is_413_as_json_and_stores_nothing(app, api, tokens, ticket, small_requests, method, path, options,
                                                     with_key):  # fmt: skip
    token = tokens.customer if path == "/tickets" else tokens.staff
    headers = {"Idempotency-Key": "big"} if with_key else {}
    before = [count_rows(app, model) for model in (Ticket, Reply, Attachment, TicketEvent, ApiIdempotencyKey)]
    # Files are made anew for each run (a test client closes what it sent).
    response = api.request(method, path, token, headers=headers, **(options() if callable(options) else options))
    assert response.status_code == 413, response.data
    assert response.mimetype == "application/json" and "too large" in body(response)["error"]
    after = [count_rows(app, model) for model in (Ticket, Reply, Attachment, TicketEvent, ApiIdempotencyKey)]
    assert after == before


def test_too_many_parts_is_413(app, api, tokens, ticket):
    app.config["MAX_FORM_PARTS"] = 5
    data = {"body": "Many parts", **{f"field{i}": "x" for i in range(10)}}
    response = api.post(f"/tickets/{ticket}/replies", tokens.customer, data=data, content_type="multipart/form-data")
    assert response.status_code == 413 and "error" in body(response)
    assert count(app, Reply, Reply.body == "Many parts") == 0


# -- TICKETS_API = False -------------------------------------------------------------------


@pytest.fixture
def api_off_app(app_config, world):
    """A second app over the same database, with the API switched off."""
    app = create_app({**app_config, "TICKETS_API": False, "TICKETS_WEBHOOK_ALLOW_PRIVATE": True})
    yield app
    with app.app_context():
        # Its connections are closed now, not whenever the garbage collector finds them.
        app.extensions["sqlalchemy"].engine.dispose()


def test_api_off_answers_nothing_and_the_web_keeps_working(api_off_app, world):
    app = api_off_app
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        carla = session.get(User, world.customer_id)
        token = create_token(carla, "made before the API was switched off")[1]
        create_endpoint(acme, "http://127.0.0.1:9/hook")
        ticket = open_ticket(acme, carla, session.get(Department, world.support_id), "Switched off", "Body")
        upload = UploadedFile("log.txt", "text/plain", io.BytesIO(b"error log"), 9)
        post_reply(ticket, carla, "Here is the log.", files=[upload])
        number = ticket.display_number
        replied = json.loads(
            session.scalar(sa.select(WebhookDelivery.body).where(WebhookDelivery.event == "ticket.replied"))
        )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/me", "/tickets", f"/tickets/{number}", "/departments", "/openapi.json", "/docs"):
        response = client.get(f"/acme/api/v1{path}", headers=headers, base_url=BASE)
        assert response.status_code == 404, path
        assert b"Switched off" not in response.data and b"carla@acme.test" not in response.data
    response = client.post("/acme/api/v1/tickets", headers=headers, json={"subject": "s"}, base_url=BASE)
    assert response.status_code in (404, 405)
    assert count_rows(app, Ticket) == 1
    # Webhooks still go out; a file's link leads to the staff page, not to an API that is not there.
    (attachment,) = replied["data"]["message"]["attachments"]
    assert attachment["download_url"].startswith(f"http://helpdesk.test/acme/admin/tickets/{number}/download")
    assert "/api/" not in json.dumps(replied)
    # The web is all there.
    login = client.post("/acme/login", data={"email": "carla@acme.test", "password": PASSWORD}, base_url=BASE)
    assert login.status_code in (302, 303)
    page = client.get("/acme/tickets", base_url=BASE)
    assert page.status_code == 200 and "Switched off" in page.get_data(as_text=True)
