"""The OpenAPI 3.1 document: valid, complete, and shown by the app without script."""

import re

from openapi_spec_validator import validate

from xobito_tickets.api.spec import OPERATIONS

from .conftest import BASE


def test_document_is_valid_openapi_31(client, world):
    response = client.get("/acme/api/v1/openapi.json", base_url=BASE)
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert document["servers"] == [{"url": "http://helpdesk.test/acme/api/v1"}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert set(document["webhooks"]) == {
        "ticket.created", "ticket.replied", "ticket.note_added", "ticket.closed",
        "ticket.reopened", "ticket.assigned", "ticket.priority_changed", "ticket.merged",
    }  # fmt: skip


def test_every_api_route_is_documented(app):
    documented = {(op.method.upper(), op.path) for op in OPERATIONS}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("tickets_api.") or rule.endpoint.endswith(("openapi_document", "openapi_page")):
            continue
        path = rule.rule.split("/api/v1", 1)[1]
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((method, path))
    assert served == documented


def test_reference_page_shows_every_operation_without_script(client, world):
    response = client.get("/acme/api/v1/docs", base_url=BASE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script" not in page and "http://" not in page.replace("http://helpdesk.test", "")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    for op in OPERATIONS:
        assert op.path.replace("{", "").replace("}", "") in page.replace("{", "").replace("}", "")
    assert "WebhookEvent" in page
    # Its stylesheets come from the app itself.
    for href in re.findall(r'href="([^"]+\.css)"', page):
        with client.get(href, base_url=BASE) as stylesheet:
            assert stylesheet.status_code == 200


def test_unknown_workspace_has_no_document(client, world):
    assert client.get("/nope/api/v1/openapi.json", base_url=BASE).status_code == 404
