"""The reference app: the helpdesk served standalone, built with ``Tickets`` as a host would."""

import os
from urllib.parse import urlsplit

from flask import Flask, redirect, request, url_for
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from .auth.views import load_standalone_user
from .config import MIB
from .db import configure_sqlite_engine, metadata
from .extension import Tickets, render_error
from .migrate import MIGRATIONS_DIR
from .web.logs import configure_logging
from .web.security import apply_security_headers

DEV_SECRET_KEY = "dev-only-change-me"


def _headers_outside_the_module(response):
    """after_request: the security headers on the app's other responses (the module's blueprint adds its own)."""
    if "tickets" in request.blueprints:
        return response
    return apply_security_headers(response)


def create_app(test_config=None):
    """Create the standalone helpdesk app (many workspaces, its own users and login)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=DEV_SECRET_KEY,
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "xobito_tickets.sqlite"),
        # Five files of 10 MiB and the form around them; anything larger is a 413.
        MAX_CONTENT_LENGTH=51 * MIB,
        MAX_FORM_MEMORY_SIZE=256 * 1024,
        MAX_FORM_PARTS=200,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # None: Secure unless the app runs in debug or testing mode (see below).
        SESSION_COOKIE_SECURE=None,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=None,
        MAIL_DEFAULT_SENDER="helpdesk@localhost",
        TICKETS_AUTH="standalone",
        # A form left open for hours must still post: tokens live as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        TICKETS_HEALTH_URL="/healthz",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)
    if app.config["SESSION_COOKIE_SECURE"] is None:
        # Production is the default: the login cookie travels over HTTPS only. The
        # debug server and the tests run on plain HTTP; any other plain-HTTP run sets
        # SESSION_COOKIE_SECURE = False itself (FLASK_SESSION_COOKIE_SECURE=false).
        app.config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)
    if app.config["REMEMBER_COOKIE_SECURE"] is None:
        app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if app.config.get("TRUSTED_HOSTS") is None and not (app.debug or app.testing):
        # Werkzeug copies the Host header into the Location of its redirects (the trailing
        # slash one, for instance): in production only the configured site's name is
        # accepted, anything else is a 400. The debug server and the tests take any host.
        host = urlsplit(app.config.get("TICKETS_BASE_URL") or "").hostname
        if host:
            app.config["TRUSTED_HOSTS"] = [host]
    os.makedirs(app.instance_path, exist_ok=True)
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # A server restart leaves dead connections in the pool: test each one as it is
        # taken (one round trip). A SQLite file has no connection to lose.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("pool_pre_ping", True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    db = SQLAlchemy(metadata=metadata)
    db.init_app(app)
    Migrate(app, db, directory=MIGRATIONS_DIR)
    CSRFProtect(app)

    login_manager = LoginManager(app)
    login_manager.session_protection = "basic"

    login_manager.user_loader(load_standalone_user)

    Tickets(app, db=db)
    with app.app_context():
        for engine in db.engines.values():
            configure_sqlite_engine(engine, app.config["TICKETS_SQLITE_CACHE_MB"])

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)
    from flask_wtf.csrf import CSRFError

    app.register_error_handler(CSRFError, render_error)
    app.after_request(_headers_outside_the_module)

    configure_logging(app)
    if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not (app.debug or app.testing):
        app.logger.warning("SECRET_KEY is the development default: anyone can forge logins. Set FLASK_SECRET_KEY.")
    hops = int(app.config["TICKETS_PROXY_FIX"] or 0)
    if hops:
        # Outermost, so the request log and the login limit see the client's address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)

    @app.get("/")
    def index():
        """Send visitors of the bare site to the demo workspace."""
        return redirect(url_for("tickets.portal.ticket_list", tenant=app.config.get("TICKETS_HOME_TENANT", "demo")))

    return app
