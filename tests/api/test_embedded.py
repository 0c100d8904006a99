"""The API in a host site: host users make tokens on the same page and use the same API."""

import re


def made_token(response):
    return re.search(r'id="api-token">([^<]+)<', response.get_data(as_text=True)).group(1)


def test_host_user_makes_a_token_and_uses_the_api(single_host):
    carla = single_host.add_user("carla@host.test", "Carla Customer")
    browser = single_host.client(carla)
    response = browser.post("/support/profile/tokens", data={"name": "My script"})
    assert response.status_code == 201
    token = made_token(response)
    api = single_host.app.test_client()
    me = api.get("/support/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "carla@host.test" and me.get_json()["role"] == "customer"
    assert api.get("/support/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).get_json() == {
        "data": [],
        "next_cursor": None,
    }
    # The host's login cookie is no API login.
    assert browser.get("/support/api/v1/me").status_code == 401
    # The OpenAPI document names the host's address.
    document = api.get("/support/api/v1/openapi.json").get_json()
    assert document["servers"] == [{"url": "http://host.test/support/api/v1"}]


def test_host_can_leave_the_api_out(make_host):
    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support", "TICKETS_API": False})
    assert host.app.test_client().get("/api/v1/openapi.json").status_code == 404
    assert not [rule for rule in host.app.url_map.iter_rules() if rule.endpoint.startswith("tickets_api.")]
