"""The health check, the request log, forwarded headers and secure cookies, in process."""

import logging

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from xobito_tickets import Tickets
from xobito_tickets.db import metadata

from .conftest import backend


def test_healthz_answers_200_with_a_small_json_body(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def _unreachable_database_urls(app, tmp_path):
    urls = ["sqlite:///" + str(tmp_path / "no-such-dir" / "tickets.sqlite")]
    if backend(app) == "postgresql":
        # The same server, a database that is not there; and a socket nobody listens on.
        base = app.config["SQLALCHEMY_DATABASE_URI"]
        urls.append(
            base.rsplit("/", 1)[0] + "/" + "xt_no_such_database" + "?" + base.split("?", 1)[1]
            if "?" in base
            else base.rsplit("/", 1)[0] + "/xt_no_such_database"
        )
        urls.append(f"postgresql+psycopg://nobody@/postgres?host={tmp_path}")
    return urls


def test_healthz_answers_503_when_the_database_is_unreachable(app, app_config, tmp_path, caplog, make_app):
    for url in _unreachable_database_urls(app, tmp_path):
        broken = make_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
        with caplog.at_level(logging.WARNING, logger="xobito_tickets"):
            response = broken.test_client().get("/healthz")
        assert response.status_code == 503, url
        assert response.get_json() == {"status": "error", "database": "unavailable"}
        assert "health check: database unavailable" in caplog.text
        caplog.clear()


def test_healthz_answers_503_before_the_schema_exists(app_config, tmp_path, make_app):
    empty = make_app({**app_config, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "empty.sqlite")})
    assert empty.test_client().get("/healthz").status_code == 503


def test_healthz_is_available_to_host_apps_when_asked_for(database_url, tmp_path, dispose_later):
    def host_app(**config):
        app = Flask("host")
        app.config.update(
            SECRET_KEY="host", SQLALCHEMY_DATABASE_URI=database_url, TICKETS_STORAGE_ROOT=str(tmp_path), **config
        )
        db = SQLAlchemy(app, metadata=metadata)
        Tickets(app, db=db)
        dispose_later(app)
        with app.app_context():
            metadata.create_all(db.engine)
        return app

    assert host_app().test_client().get("/healthz").status_code == 404
    hosted = host_app(TICKETS_HEALTH_URL="/-/health")
    assert hosted.test_client().get("/-/health").get_json() == {"status": "ok", "database": "ok"}


def test_each_request_is_logged_on_one_line(client, world, caplog):
    with caplog.at_level(logging.INFO, logger="xobito_tickets.request"):
        client.get("/acme/login")
        client.get("/acme/tickets/TKT-999999")
        client.get("/healthz")
    lines = [r.getMessage() for r in caplog.records if r.name == "xobito_tickets.request"]
    assert len(lines) == 2, lines  # the health check is logged at DEBUG only
    method, path, status, duration, size, address = lines[0].split(" ")
    assert (method, path, status, address) == ("GET", "/acme/login", "200", "127.0.0.1")
    assert duration.endswith("ms") and float(duration[:-2]) > 0
    assert size.endswith("B") and int(size[:-1]) > 0
    assert lines[1].startswith("GET /acme/tickets/TKT-999999 302 ")


@pytest.mark.parametrize(("hops", "client_address"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_forwarded_headers_are_trusted_only_when_configured(app, app_config, hops, client_address, caplog, make_app):
    proxied = make_app({**app_config, "TICKETS_PROXY_FIX": hops})
    with caplog.at_level(logging.INFO, logger="xobito_tickets.request"):
        response = proxied.test_client().get("/nowhere", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 404
    (line,) = [r.getMessage() for r in caplog.records if r.name == "xobito_tickets.request"]
    assert line.startswith("GET /nowhere 404 ") and line.endswith(" " + client_address)


def _cookie_app(make_app, app_config, **config):
    settings = {k: v for k, v in app_config.items() if k != "TESTING"}
    settings["WTF_CSRF_ENABLED"] = True  # the login form then puts its token in the session cookie
    settings["TICKETS_MAIL_DEV_WORKER"] = False  # no mail thread in debug mode
    settings.update(config)
    return make_app(settings)


def test_session_cookie_is_secure_in_production_settings(app, world, app_config, make_app):
    production = _cookie_app(make_app, app_config)
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    # In production only the host of TICKETS_BASE_URL is served (TRUSTED_HOSTS).
    response = production.test_client().get("/acme/login", base_url="http://helpdesk.test")
    cookie = response.headers["Set-Cookie"]
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "config", [{"SESSION_COOKIE_SECURE": False}, {"DEBUG": True}, {"TESTING": True}], ids=["off", "debug", "testing"]
)
def test_session_cookie_can_go_over_plain_http_for_local_runs(app, world, app_config, config, make_app):
    local = _cookie_app(make_app, app_config, **config)
    assert local.config["SESSION_COOKIE_SECURE"] is False
    response = local.test_client().get("/acme/login", base_url="http://helpdesk.test")
    assert "Secure" not in response.headers["Set-Cookie"]
