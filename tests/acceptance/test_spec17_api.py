"""SPEC §17, the REST API: shapes of tickets and messages, errors, the CLI token, the document."""

import re

from .conftest import body, login

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")
TICKET_KEYS = {
    "number",
    "subject",
    "status",
    "priority",
    "department",
    "requester",
    "created_at",
    "last_activity_at",
    "closed_at",
    "url",
}
STAFF_KEYS = {"assignee", "tags", "due"}
MESSAGE_KEYS = {"id", "kind", "author", "body", "created_at", "attachments"}


def test_ticket_and_message_shapes(app, client, desk, api, tokens, make):
    login(client, "sam@acme.test")
    client.post(f"/acme/admin/tickets/{desk.open_number}/note", data={"body": "Internal."})
    customer = body(api.get(f"/tickets/{desk.open_number}", tokens.customer))
    staff = body(api.get(f"/tickets/{desk.open_number}", tokens.admin))
    assert TICKET_KEYS <= set(customer) and not (STAFF_KEYS & set(customer))
    assert TICKET_KEYS | STAFF_KEYS <= set(staff)
    assert customer["status"] in ("open", "answered", "closed") and customer["priority"] == "medium"
    assert set(customer["department"]) >= {"id", "name"} and set(customer["requester"]) >= {"id", "name", "email"}
    for key in ("created_at", "last_activity_at"):
        assert ISO_UTC.match(customer[key]), customer[key]
    assert customer["closed_at"] is None and customer["url"].startswith("http")
    closed = body(api.get(f"/tickets/{desk.closed_number}", tokens.customer))
    assert closed["status"] == "closed" and ISO_UTC.match(closed["closed_at"])
    assert [m["kind"] for m in staff["messages"]].count("note") == 1
    assert [m["kind"] for m in customer["messages"]].count("note") == 0
    first = staff["messages"][0]
    assert MESSAGE_KEYS <= set(first) and ISO_UTC.match(first["created_at"])
    assert first["author"]["name"] == "Sam Support" and first["attachments"] == []
    # The ticket's own description and files are the ticket's (``body``, ``attachments``), not a message.
    attachment = customer["attachments"][0]
    assert {"id", "name", "size", "content_type", "download_url"} <= set(attachment)
    download = api.get(attachment["download_url"].split("/api/v1", 1)[1], tokens.customer, validate=False)
    assert download.status_code == 200


def test_list_pages_with_cursor_and_limit(app, desk, api, tokens, make):
    for i in range(3):
        make.ticket(subject=f"Extra {i}")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = body(api.get("/tickets", tokens.customer, query_string=query))
        assert set(page) == {"data", "next_cursor"} and len(page["data"]) <= 2
        seen += [t["number"] for t in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    assert api.get("/tickets", tokens.customer, query_string={"limit": 101}).status_code in (400, 422)
    assert api.get("/tickets", tokens.customer, query_string={"limit": 100}).status_code == 200


def test_errors(app, client, desk, api, tokens):
    no_token = api.get("/me", None)
    assert no_token.status_code == 401 and no_token.headers["WWW-Authenticate"].startswith("Bearer")
    # A cookie is never a credential here.
    login(client, "ada@acme.test")
    assert client.get("/acme/api/v1/me").status_code == 401
    assert (
        api.post(
            f"/tickets/{desk.open_number}/replies", tokens.read_only_customer, json={"body": "Hello there"}
        ).status_code
        == 403
    )
    assert api.get(f"/tickets/{desk.open_number}", tokens.other_customer).status_code == 404
    assert api.get(f"/tickets/{desk.open_number}", tokens.globex_admin, tenant="globex").status_code == 404
    refused = api.post(
        "/tickets", tokens.customer, json={"subject": "", "department": 999, "priority": "soon", "body": "   "}
    )
    assert refused.status_code == 422
    errors = body(refused)["errors"]
    assert {"subject", "department", "priority", "body"} <= set(errors)
    assert all(isinstance(v, list) and v and all(isinstance(m, str) for m in v) for v in errors.values())
    assert api.post(f"/tickets/{desk.open_number}/notes", tokens.customer, json={"body": "Let me in"}).status_code in (
        403,
        404,
    )


def test_the_whole_flow_for_staff(app, world, desk, api, tokens):
    created = api.post(
        "/tickets",
        tokens.customer,
        json={"subject": "By API", "department": world.support_id, "priority": "low", "body": "Made over the API."},
    )
    assert created.status_code == 201
    number = body(created)["number"]
    patched = api.patch(
        f"/tickets/{number}",
        tokens.admin,
        json={
            "priority": "urgent",
            "department": world.billing_id,
            "assignee": world.billing_staff_id,
            "tags": ["vip"],
        },
    )
    assert patched.status_code == 200
    data = body(patched)
    assert data["priority"] == "urgent" and data["assignee"]["id"] == world.billing_staff_id and data["tags"] == ["vip"]
    assert api.post(f"/tickets/{number}/notes", tokens.admin, json={"body": "Heads up."}).status_code == 201
    assert api.post(f"/tickets/{number}/replies", tokens.admin, json={"body": "Answered here."}).status_code == 201
    assert body(api.get(f"/tickets/{number}", tokens.admin))["status"] == "answered"
    assert body(api.post(f"/tickets/{number}/close", tokens.customer))["status"] == "closed"
    assert body(api.post(f"/tickets/{number}/reopen", tokens.admin))["status"] == "open"
    assert {d["name"] for d in body(api.get("/departments", tokens.customer))["data"]} >= {"Support", "Billing"}


def test_cli_token_create_and_openapi_31(app, runner, world, api):
    result = runner.invoke(
        args=[
            "tickets",
            "token",
            "create",
            "--tenant",
            "acme",
            "--email",
            "sam@acme.test",
            "--name",
            "ci",
            "--read-only",
        ]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    me = api.get("/me", token)
    assert me.status_code == 200 and body(me)["email"] == "sam@acme.test" if "email" in body(me) else True
    assert api.post("/tickets/TKT-000001/notes", token, json={"body": "nope"}).status_code in (403, 404)
    document = api.client.get("/acme/api/v1/openapi.json")
    assert document.status_code == 200 and document.get_json()["openapi"].startswith("3.1")
    assert api.client.get("/acme/api/v1/docs").status_code == 200
