"""Every endpoint of §17 doing its job, with the web's rules and messages."""

import io
import json

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Attachment, Department, Reply, Tenant, Ticket, TicketEvent, User
from xobito_tickets.tickets.services import open_ticket
from xobito_tickets.tickets.uploads import UploadedFile
from xobito_tickets.workspace.services import add_note

from .conftest import body

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_tickets(app, world, count, requester_id=None, department_id=None):
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        requester = session.get(User, requester_id or world.customer_id)
        department = session.get(Department, department_id or world.support_id)
        return [
            open_ticket(acme, requester, department, f"Ticket {i}", "Body text").display_number for i in range(count)
        ]


# -- list ----------------------------------------------------------------------------------


def test_customer_lists_own_tickets_without_staff_fields(app, api, world, tokens, ticket):
    make_tickets(app, world, 1, requester_id=world.other_customer_id)
    data = body(api.get("/tickets", tokens.customer))
    assert [t["number"] for t in data["data"]] == [ticket] and data["next_cursor"] is None
    (row,) = data["data"]
    assert set(row) == {
        "number", "subject", "status", "priority", "department", "requester",
        "created_at", "last_activity_at", "closed_at", "url",
    }  # fmt: skip
    assert row["status"] == "answered" and row["priority"] == "medium"
    assert row["department"] == {"id": world.support_id, "name": "Support"}
    assert row["requester"] == {"id": world.customer_id, "name": "Carla Customer", "email": "carla@acme.test"}
    assert row["created_at"].endswith("Z") and row["closed_at"] is None
    assert row["url"] == f"http://helpdesk.test/acme/tickets/{ticket}"


def test_staff_list_has_the_assignee_and_follows_visibility(app, api, world, tokens, ticket):
    make_tickets(app, world, 2, department_id=world.billing_id)
    staff = body(api.get("/tickets", tokens.staff))["data"]
    assert [t["number"] for t in staff] == [ticket]
    assert staff[0]["assignee"] is None
    assert staff[0]["url"].endswith(f"/acme/admin/tickets/{ticket}")
    assert len(body(api.get("/tickets", tokens.billing_staff))["data"]) == 2
    assert len(body(api.get("/tickets", tokens.admin))["data"]) == 3


def test_filters_and_cursor_pages(app, api, world, tokens):
    numbers = make_tickets(app, world, 7)
    seen, cursor = [], None
    while True:
        query = "/tickets?limit=3&status=open" + (f"&cursor={cursor}" if cursor else "")
        page = body(api.get(query, tokens.admin))
        seen += [t["number"] for t in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(numbers))
    assert body(api.get("/tickets?status=closed", tokens.admin))["data"] == []
    only = body(api.get(f"/tickets?q={numbers[2]}", tokens.admin))["data"]
    assert [t["number"] for t in only] == [numbers[2]]


def test_bad_limit_and_cursor_are_422(api, tokens, ticket):
    for query in ("limit=0", "limit=101", "limit=ten", "limit=-1"):
        response = api.get(f"/tickets?{query}", tokens.admin)
        assert response.status_code == 422 and "limit" in body(response)["errors"]
    response = api.get("/tickets?cursor=not-a-cursor", tokens.admin)
    assert response.status_code == 422 and "cursor" in body(response)["errors"]
    assert api.get("/tickets?limit=100", tokens.admin).status_code == 200


# -- create --------------------------------------------------------------------------------


def test_customer_opens_a_ticket_with_json(app, api, world, tokens):
    response = api.post(
        "/tickets",
        tokens.customer,
        json={"subject": "  VPN   down ", "department": world.billing_id, "priority": "high", "body": "Since 9am."},
    )
    assert response.status_code == 201, response.data
    data = body(response)
    assert data["number"] == "TKT-000001" and data["subject"] == "VPN down" and data["priority"] == "high"
    assert data["status"] == "open" and data["body"] == "Since 9am." and data["messages"] == []
    assert response.headers["Location"].endswith("/acme/api/v1/tickets/TKT-000001")
    with app.app_context():
        row = session.scalar(sa.select(Ticket))
        assert row.requester_id == world.customer_id and row.department_id == world.billing_id


def test_create_refusals_use_the_forms_messages_and_store_nothing(app, api, world, tokens):
    cases = [
        ({"department": world.support_id, "body": "x"}, "subject", "Missing data for required field."),
        ({"subject": " ", "department": world.support_id, "body": "x"}, "subject", "Subject is required."),
        ({"subject": "s", "department": world.legacy_id, "body": "x"}, "department", "Choose one of the listed"),
        ({"subject": "s", "department": world.globex_support_id, "body": "x"}, "department", "Choose one of"),
        ({"subject": "s", "department": world.support_id, "body": "y" * 1001}, "body", "at most 1000 characters"),
        ({"subject": "s", "department": world.support_id, "body": "   "}, "body", "The description is required."),
        ({"subject": "s", "department": "two", "body": "x"}, "department", "Not a valid integer."),
        ({"subject": "s", "department": world.support_id, "body": "x", "priority": "asap"}, "priority", "Choose"),
        ({"subject": "s", "department": world.support_id, "body": "x", "prority": "low"}, "prority", "Unknown"),
    ]
    for payload, field, message in cases:
        response = api.post("/tickets", tokens.customer, json=payload)
        assert response.status_code == 422, payload
        errors = body(response)["errors"]
        assert field in errors and any(message in m for m in errors[field]), (payload, errors)
    response = api.post("/tickets", tokens.customer, data="not json", content_type="application/json")
    assert response.status_code == 422
    response = api.post("/tickets", tokens.customer, data="subject=x", content_type="text/plain", validate=False)
    assert response.status_code == 415
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_staff_cannot_open_a_ticket_as_a_customer(app, api, world, tokens):
    response = api.post("/tickets", tokens.staff, json={"subject": "s", "department": world.support_id, "body": "b"})
    assert response.status_code == 403


def test_multipart_ticket_with_attachments(app, api, world, tokens):
    response = api.post(
        "/tickets",
        tokens.customer,
        data={
            "subject": "Screenshot",
            "department": str(world.support_id),
            "body": "See attached.",
            "attachments": [(io.BytesIO(PNG), "shot.png"), (io.BytesIO(b"plain text"), "notes.txt")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.data
    files = body(response)["attachments"]
    assert [(f["name"], f["content_type"], f["size"]) for f in files] == [
        ("shot.png", "image/png", len(PNG)),
        ("notes.txt", "text/plain; charset=utf-8", 10),
    ]
    download = api.get(files[0]["download_url"].split("/api/v1", 1)[1], tokens.customer)
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_refused_attachment_stores_nothing(app, api, world, tokens, tmp_path):
    response = api.post(
        "/tickets",
        tokens.customer,
        data={
            "subject": "Bad file",
            "department": str(world.support_id),
            "body": "x",
            "attachments": [(io.BytesIO(b"MZ\x90\x00"), "setup.exe")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "not allowed" in body(response)["errors"]["attachments"][0]
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_too_large_request_is_413_json(app, api, world, tokens):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api.post(
        "/tickets",
        tokens.customer,
        data={"subject": "Big", "department": str(world.support_id), "body": "x",
              "attachments": [(io.BytesIO(b"a" * 5000), "big.txt")]},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 413 and "error" in body(response)


# -- one ticket ----------------------------------------------------------------------------


def test_detail_has_the_thread(api, tokens, ticket):
    data = body(api.get(f"/tickets/{ticket}", tokens.customer))
    assert data["body"] == "It is on fire."
    assert [(m["kind"], m["author"]["name"], m["body"]) for m in data["messages"]] == [
        ("reply", "Carla Customer", "Still burning, please help."),
        ("reply", "Sam Support", "We are on our way."),
    ]


def test_reply_moves_status_as_on_the_web(app, api, world, tokens):
    (number,) = make_tickets(app, world, 1)
    response = api.post(f"/tickets/{number}/replies", tokens.staff, json={"body": "Have you tried turning it off?"})
    assert response.status_code == 201
    assert body(response)["author"] == {"id": world.staff_id, "name": "Sam Support", "role": "staff"}
    assert body(api.get(f"/tickets/{number}", tokens.customer))["status"] == "answered"
    response = api.post(f"/tickets/{number}/replies", tokens.customer, json={"body": "ok"})
    assert response.status_code == 422
    assert body(response)["errors"] == {"body": ["The reply must be at least 5 characters (it has 2)."]}


def test_closed_ticket_takes_no_reply(app, api, tokens, ticket):
    assert api.post(f"/tickets/{ticket}/close", tokens.customer).status_code == 200
    response = api.post(f"/tickets/{ticket}/replies", tokens.customer, json={"body": "One more thing"})
    assert response.status_code == 422 and "closed" in body(response)["errors"]["body"][0]
    response = api.post(f"/tickets/{ticket}/close", tokens.customer)
    assert response.status_code == 422 and "already closed" in body(response)["errors"]["status"][0]
    # Customers cannot reopen; staff can.
    assert api.post(f"/tickets/{ticket}/reopen", tokens.customer).status_code == 403
    data = body(api.post(f"/tickets/{ticket}/reopen", tokens.staff))
    assert data["status"] == "open" and data["closed_at"] is None
    assert api.post(f"/tickets/{ticket}/reopen", tokens.staff).status_code == 422


def test_patch_changes_priority_department_and_assignee(app, api, world, tokens, ticket):
    response = api.patch(f"/tickets/{ticket}", tokens.admin, json={"priority": "urgent", "assignee": world.staff_id})
    assert response.status_code == 200, response.data
    data = body(response)
    assert data["priority"] == "urgent" and data["assignee"]["email"] == "sam@acme.test"
    data = body(api.patch(f"/tickets/{ticket}", tokens.admin, json={"department": world.billing_id, "assignee": None}))
    assert data["department"]["name"] == "Billing" and data["assignee"] is None
    with app.app_context():
        kinds = session.scalars(sa.select(TicketEvent.kind).order_by(TicketEvent.id)).all()
        assert {"priority", "assigned", "department"} <= set(kinds)


def test_patch_refusals(app, api, world, tokens, ticket):
    cases = [
        ({"priority": "asap"}, "priority"),
        ({"department": world.legacy_id}, "department"),
        ({"department": world.globex_support_id}, "department"),
        ({"assignee": world.customer_id}, "assignee"),
        ({"assignee": world.globex_admin_id}, "assignee"),
        ({"status": "closed"}, "status"),
    ]
    for payload, field in cases:
        response = api.patch(f"/tickets/{ticket}", tokens.admin, json=payload)
        assert response.status_code == 422 and field in body(response)["errors"], (payload, response.data)
    assert api.patch(f"/tickets/{ticket}", tokens.customer, json={"priority": "high"}).status_code == 403
    with app.app_context():
        row = session.scalar(sa.select(Ticket))
        assert (row.priority, row.department_id, row.assignee_id) == (2, world.support_id, None)


def test_departments_for_customers_and_staff(api, world, tokens):
    customer = [d["name"] for d in body(api.get("/departments", tokens.customer))["data"]]
    assert customer == ["Billing", "Support"]
    staff = {d["name"]: d["active"] for d in body(api.get("/departments", tokens.staff))["data"]}
    assert staff == {"Billing": True, "Legacy": False, "Support": True}


# -- idempotency ---------------------------------------------------------------------------


def test_idempotency_key_returns_the_first_result(app, api, world, tokens):
    payload = {"subject": "Once", "department": world.support_id, "body": "Only once please."}
    first = api.post("/tickets", tokens.customer, json=payload, headers={"Idempotency-Key": "k-1"})
    again = api.post("/tickets", tokens.customer, json=payload, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.data == again.data and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    other = api.post("/tickets", tokens.customer, json={**payload, "body": "Else"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and "Idempotency-Key" in body(other)["errors"]
    # Another token's key space is its own.
    ro = api.post("/tickets", tokens.other_customer, json=payload, headers={"Idempotency-Key": "k-1"})
    assert ro.status_code == 201 and body(ro)["number"] == "TKT-000002"


def test_idempotent_reply_is_posted_once(app, api, tokens, ticket):
    for _ in range(3):
        response = api.post(
            f"/tickets/{ticket}/replies",
            tokens.customer,
            json={"body": "Retry-safe reply"},
            headers={"Idempotency-Key": "r"},
        )
        assert response.status_code == 201
    with app.app_context():
        assert (
            session.scalar(sa.select(sa.func.count()).select_from(Reply).where(Reply.body == "Retry-safe reply")) == 1
        )


def test_list_rows_match_the_schema_dumped_detail(app, api, world, tokens, ticket):
    """The list is written by a fast presenter; each row must equal what the schemas write."""
    api.patch(f"/tickets/{ticket}", tokens.admin, json={"assignee": world.staff_id})
    api.post(f"/tickets/{ticket}/close", tokens.customer)
    for token in (tokens.customer, tokens.staff, tokens.admin):
        (row,) = body(api.get("/tickets", token))["data"]
        detail = body(api.get(f"/tickets/{ticket}", token))
        assert row == {key: detail[key] for key in row}
        assert set(detail) - set(row) == {"body", "attachments", "messages"}
        assert row["closed_at"] is not None


def test_the_webs_posting_limit_holds_for_the_api(app, api, tokens, ticket):
    app.config["TICKETS_POST_LIMIT_REPLIES"] = 2
    for _ in range(2):
        assert (
            api.post(f"/tickets/{ticket}/replies", tokens.customer, json={"body": "One more reply"}).status_code == 201
        )
    response = api.post(f"/tickets/{ticket}/replies", tokens.customer, json={"body": "One reply too many"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "error" in body(response)
    with app.app_context():
        assert (
            session.scalar(sa.select(sa.func.count()).select_from(Reply).where(Reply.body == "One reply too many")) == 0
        )


def test_notes_written_on_the_staff_side_never_reach_a_customers_api_view(app, api, world, tokens, ticket):
    with app.app_context():
        t = session.scalar(sa.select(Ticket))
        upload = UploadedFile("secret.txt", "text/plain", io.BytesIO(b"internal only"), 13)
        add_note(t, session.get(User, world.staff_id), "Customer sounds upset; call them.", files=[upload])
    staff_view = body(api.get(f"/tickets/{ticket}", tokens.staff))
    assert [m["kind"] for m in staff_view["messages"]] == ["reply", "reply", "note"]
    note_file = staff_view["messages"][-1]["attachments"][0]
    customer_view = api.get(f"/tickets/{ticket}", tokens.customer)
    assert [m["kind"] for m in body(customer_view)["messages"]] == ["reply", "reply"]
    assert b"upset" not in customer_view.data and b"secret.txt" not in customer_view.data
    path = note_file["download_url"].split("/api/v1", 1)[1]
    assert api.get(path, tokens.customer).status_code == 404
    assert api.get(path, tokens.staff).status_code == 200


def test_staff_add_notes_that_customers_never_see(app, api, tokens, ticket):
    response = api.post(f"/tickets/{ticket}/notes", tokens.staff, json={"body": "VIP: call before closing"})
    assert response.status_code == 201
    note = body(response)
    assert note["kind"] == "note" and note["body"] == "VIP: call before closing"
    staff_view = body(api.get(f"/tickets/{ticket}", tokens.staff))
    assert ("note", "VIP: call before closing") in [(m["kind"], m["body"]) for m in staff_view["messages"]]
    assert staff_view["status"] == "answered"  # a note changes no status
    customer_view = body(api.get(f"/tickets/{ticket}", tokens.customer))
    assert all(m["kind"] == "reply" for m in customer_view["messages"])
    assert "VIP" not in json.dumps(customer_view)
    assert api.post(f"/tickets/{ticket}/notes", tokens.customer, json={"body": "I am staff now"}).status_code == 403
    response = api.post(f"/tickets/{ticket}/notes", tokens.staff, json={"body": ""})
    assert response.status_code == 422 and body(response)["errors"] == {"body": ["The note is required."]}


def test_staff_filter_the_list_by_assignee(app, api, world, tokens, ticket):
    (other,) = make_tickets(app, world, 1)
    api.patch(f"/tickets/{ticket}", tokens.admin, json={"assignee": world.staff_id})

    def numbers(query, token=tokens.admin):
        return sorted(t["number"] for t in body(api.get(query, token))["data"])

    assert numbers(f"/tickets?assignee={world.staff_id}") == [ticket]
    assert numbers("/tickets?assignee=me", tokens.staff) == [ticket]
    assert numbers("/tickets?assignee=none") == [other]
    # Not a staff member's id, or no id at all: the filter is ignored, as on the queue page.
    assert numbers(f"/tickets?assignee={world.customer_id}") == sorted([ticket, other])
    assert numbers("/tickets?assignee=999999") == numbers("/tickets?assignee=x1") == sorted([ticket, other])
