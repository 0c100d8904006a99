"""Fixtures of the API suite: tokens for every kind of person, and a client whose every answer
is checked against the app's own OpenAPI document with openapi-core."""

import json

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.testing import MockRequest

from xobito_tickets.api.tokens import create_token, revoke_token
from xobito_tickets.db import session
from xobito_tickets.models import Department, Tenant, User
from xobito_tickets.tickets.services import open_ticket, post_reply

# The embedding suite's host sites, for tests/api/test_embedded.py.
from ..embed.conftest import make_host, single_host  # noqa: E402, F401
from ..mail.conftest import smtp_server  # noqa: E402, F401

BASE = "http://helpdesk.test"

#: Documents already loaded by openapi-core (loading checks the whole document: seconds).
_LOADED = {}


class ApiClient:
    """Send API requests with a bearer token; check every answer against openapi.json."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self._openapi = {}
        self.checked = 0

    def openapi(self, tenant="acme"):
        if tenant not in self._openapi:
            response = self.client.get(f"/{tenant}/api/v1/openapi.json", base_url=BASE)
            assert response.status_code == 200, response.data
            if response.data not in _LOADED:
                _LOADED[response.data] = OpenAPI.from_dict(response.get_json())
            self._openapi[tenant] = _LOADED[response.data]
        return self._openapi[tenant]

    def request(self, method, path, token=None, tenant="acme", validate=True, headers=None, **kwargs):
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(f"/{tenant}/api/v1{path}", method=method, headers=headers, base_url=BASE, **kwargs)
        # Read the body now and close: a download's file handle is released at once.
        response.get_data()
        response.close()
        if validate:
            self.validate(response, tenant)
        return response

    def validate(self, response, tenant="acme"):
        """Check ``response`` (status, headers, body) against the document; raise if it differs."""
        openapi = self.openapi(tenant)
        # The request only names the operation (its body was read by the app already).
        sent = response.request
        request = MockRequest(BASE, sent.method, sent.path, args=sent.args, headers=dict(sent.headers))
        openapi.validate_response(request, WerkzeugOpenAPIResponse(response))
        self.checked += 1

    def get(self, path, token, **kwargs):
        return self.request("GET", path, token, **kwargs)

    def post(self, path, token, **kwargs):
        return self.request("POST", path, token, **kwargs)

    def patch(self, path, token, **kwargs):
        return self.request("PATCH", path, token, **kwargs)


@pytest.fixture
def api(app):
    return ApiClient(app)


class Tokens:
    """A token for each person of the World, plus a revoked and a read-only one."""

    def __init__(self, app, world):
        with app.app_context():

            def make(user_id, name="test", read_only=False):
                return create_token(session.get(User, user_id), name, read_only=read_only)[1]

            self.customer = make(world.customer_id)
            self.other_customer = make(world.other_customer_id)
            self.staff = make(world.staff_id)
            self.billing_staff = make(world.billing_staff_id)
            self.admin = make(world.admin_id)
            self.globex_admin = make(world.globex_admin_id)
            self.read_only_customer = make(world.customer_id, "ro", read_only=True)
            self.read_only_staff = make(world.staff_id, "ro", read_only=True)
            revoked_row, self.revoked = create_token(session.get(User, world.staff_id), "old")
            revoke_token(session.get(User, world.staff_id), revoked_row.id)


@pytest.fixture
def tokens(app, world):
    return Tokens(app, world)


@pytest.fixture
def ticket(app, world):
    """Carla's ticket in Support with a customer reply and a staff reply: ``TKT-000001``."""
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        carla = session.get(User, world.customer_id)
        t = open_ticket(acme, carla, session.get(Department, world.support_id), "Printer on fire", "It is on fire.")
        post_reply(t, carla, "Still burning, please help.")
        post_reply(t, session.get(User, world.staff_id), "We are on our way.")
        return t.display_number


def body(response):
    """Return the JSON of ``response`` (with the raw text in the assertion message if it is not JSON)."""
    try:
        return json.loads(response.data)
    except ValueError:
        raise AssertionError(response.data) from None
