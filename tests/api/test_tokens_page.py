"""The profile's tokens page and ``flask tickets token create``."""

import re

import sqlalchemy as sa

from xobito_tickets.api.models import ApiToken
from xobito_tickets.db import session

from .conftest import body


def made_token(response):
    return re.search(r'id="api-token">([^<]+)<', response.get_data(as_text=True)).group(1)


def test_person_makes_a_token_sees_it_once_and_uses_it(app, api, world, auth, client):
    auth.login("sam@acme.test")
    response = client.post("/acme/profile/tokens", data={"name": "Dashboard"})
    assert response.status_code == 201
    token = made_token(response)
    assert token.startswith("xt_") and "no-store" in response.headers["Cache-Control"]
    page = client.get("/acme/profile/tokens").get_data(as_text=True)
    assert "Dashboard" in page and token not in page and token[:10] in page
    with app.app_context():
        row = session.scalar(sa.select(ApiToken))
        assert row.token_hash != token and token not in row.token_hash and row.user_id == world.staff_id
    assert body(api.get("/me", token))["email"] == "sam@acme.test"
    assert "Never" not in client.get("/acme/profile/tokens").get_data(as_text=True)


def test_read_only_checkbox(app, api, world, auth, client, ticket):
    auth.login("carla@acme.test")
    token = made_token(client.post("/acme/profile/tokens", data={"name": "Reader", "read_only": "y"}))
    assert api.get("/tickets", token).status_code == 200
    assert api.post(f"/tickets/{ticket}/close", token).status_code == 403


def test_blank_name_is_422_next_to_the_field(app, world, auth, client):
    auth.login("carla@acme.test")
    response = client.post("/acme/profile/tokens", data={"name": "   "})
    assert response.status_code == 422 and "Give the token a name" in response.get_data(as_text=True)
    with app.app_context():
        assert session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_revoke_own_token_and_not_someone_elses(app, api, world, auth, client):
    auth.login("carla@acme.test")
    token = made_token(client.post("/acme/profile/tokens", data={"name": "Mine"}))
    with app.app_context():
        token_id = session.scalar(sa.select(ApiToken.id))
    auth.logout()
    auth.login("oscar@acme.test")
    assert client.post(f"/acme/profile/tokens/{token_id}/revoke").status_code == 404
    assert api.get("/me", token).status_code == 200
    auth.logout()
    auth.login("carla@acme.test")
    assert client.post(f"/acme/profile/tokens/{token_id}/revoke").status_code == 303
    assert api.get("/me", token).status_code == 401
    assert "Revoked" in client.get("/acme/profile/tokens").get_data(as_text=True)


def test_tokens_page_needs_a_login(client, world):
    response = client.get("/acme/profile/tokens")
    assert response.status_code in (302, 303) and "/acme/login" in response.headers["Location"]


def test_cli_prints_the_token_alone_on_the_last_line(app, api, world, runner):
    result = runner.invoke(
        args=[
            "tickets",
            "token",
            "create",
            "--tenant",
            "acme",
            "--email",
            "ADA@acme.test",
            "--name",
            "CI",
            "--read-only",
        ]
    )
    assert result.exit_code == 0, result.output
    token = result.output.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(r"xt_[A-Za-z0-9_-]{40,}", token)
    data = body(api.get("/me", token))
    assert data["email"] == "ada@acme.test" and data["token"]["read_only"] is True and data["token"]["name"] == "CI"


def test_cli_refuses_an_unknown_person_or_workspace(runner, world):
    result = runner.invoke(args=["tickets", "token", "create", "--tenant", "acme", "--email", "nobody@acme.test"])
    assert result.exit_code != 0 and "No person" in result.output
    result = runner.invoke(args=["tickets", "token", "create", "--tenant", "nope", "--email", "ada@acme.test"])
    assert result.exit_code != 0 and "No workspace" in result.output
