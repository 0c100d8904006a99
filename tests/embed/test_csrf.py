"""The module checks CSRF itself: a host with CSRF on (Flask-WTF's setting) but no CSRFProtect
of its own still gets a 400 on every POST route the module registers, and nothing changes.
(Planting a bug that turned the module's own check off on one route went unnoticed while
every CSRF test ran on the standalone app, which also installs CSRFProtect.)"""

import pytest
import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Tenant, User
from xobito_tickets.team.services import create_department
from xobito_tickets.tickets.services import open_ticket

from ..security.conftest import snapshot

#: POST routes of the module that take no cookie and so need no CSRF token, each with the reason.
EXEMPT = {
    "tickets_inbound_api.receive_message": "the inbound mail door: the tenant's bearer token, never a cookie",
    **{
        endpoint: "the API takes a bearer token only; a cookie is never a login there (401)"
        for endpoint in (
            "tickets_api.ticket_create",
            "tickets_api.reply_create",
            "tickets_api.note_create",
            "tickets_api.ticket_close",
            "tickets_api.ticket_reopen",
        )
    },
}


@pytest.fixture
def host(make_host, tmp_path):
    # A captured notification, for the development mailbox's reply form.
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "notification.eml").write_bytes(
        b"From: help@example.test\r\nTo: casey@example.test\r\nSubject: [TKT-000001] Hi\r\n"
        b"Message-ID: <n1@example.test>\r\n\r\nHello\r\n"
    )
    site = make_host(
        {
            "TICKETS_TENANCY": "single",
            "TICKETS_TENANT": "support",
            "TICKETS_URL_PREFIX": "/support",
            "WTF_CSRF_ENABLED": True,
            # The development mailbox's reply form is checked too.
            "TICKETS_MAIL_DEV_PAGE": True,
            "TICKETS_MAIL_FILE_DIR": str(tmp_path / "mail"),
        }
    )
    assert "csrf" not in site.app.extensions  # no CSRFProtect: only the module's own check
    admin_id = site.add_user("morgan@example.test", "Morgan Admin", role="manager")
    customer_id = site.add_user("casey@example.test", "Casey Customer")
    site.client(customer_id).get("/support/tickets")  # both appear in the helpdesk's directory
    site.client(admin_id).get("/support/tickets")
    with site.app.app_context():
        tenant = session.scalar(sa.select(Tenant).where(Tenant.slug == "support"))
        morgan = session.scalar(sa.select(User).where(User.email == "morgan@example.test"))
        casey = session.scalar(sa.select(User).where(User.email == "casey@example.test"))
        department = create_department(tenant, "Support", members=[morgan])
        open_ticket(tenant, casey, department, "Printer", "It is on fire")
        site.ids = {"department_id": department.id, "user_id": casey.id}
        session.remove()
    site.admin = site.client(admin_id)
    return site


def _module_post_routes(app):
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint.startswith("tickets")]
    return sorted(rules, key=lambda r: r.rule)


def _fill(rule, ids):
    values = {
        "ticket": "TKT-000001",
        "token": "not-a-token",
        "name": "notification.eml",
        "subdomain": "support",
        "row_id": 1,
        "endpoint_id": 1,
        "delivery_id": 1,
        "number": "TKT-000001",
        "canned_id": 1,
        "token_id": 1,
        **ids,
    }
    url = rule.rule
    for key, value in values.items():
        for converter in ("", "int:", "path:"):
            url = url.replace(f"<{converter}{key}>", str(value))
    assert "<" not in url, f"no test value for an argument of {rule.rule}"
    return url


def test_every_module_post_route_checks_csrf_without_the_hosts_csrfprotect(host):
    routes = _module_post_routes(host.app)
    assert len(routes) >= 10, [r.rule for r in routes]
    before = snapshot(host.app, skip=())
    checked = []
    for rule in routes:
        if rule.endpoint in EXEMPT:
            continue
        response = host.admin.post(
            _fill(rule, host.ids), data={"body": "Forged", "name": "Forged", "priority": "urgent"}
        )
        assert response.status_code == 400, (rule.endpoint, response.status_code)
        checked.append(rule.endpoint)
    assert snapshot(host.app, skip=()) == before
    assert "tickets.admin.ticket_reply" in checked and "tickets.portal.ticket_store" in checked


def test_the_exempt_routes_are_the_ones_that_take_no_cookie(host):
    routes = {r.endpoint: r for r in _module_post_routes(host.app)}
    assert set(EXEMPT) <= set(routes)
    before = snapshot(host.app, skip=())
    for endpoint in EXEMPT:
        # A logged-in admin's cookie is no key to them: without their token, 401.
        response = host.admin.post(
            _fill(routes[endpoint], host.ids),
            data=b"From: a@example.test\r\nSubject: hi\r\n\r\nbody",
            content_type="message/rfc822",
        )
        assert response.status_code == 401, (endpoint, response.status_code)
    assert snapshot(host.app, skip=()) == before
