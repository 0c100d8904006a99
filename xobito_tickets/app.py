"""The reference app: the helpdesk served standalone, built with ``Tickets`` as a host would."""

import os

from flask import Flask, redirect, url_for
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from .config import MIB
from .db import configure_sqlite_engine, metadata
from .extension import Tickets, render_error
from .security import apply_security_headers

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(test_config=None):
    """Create the standalone helpdesk app (many workspaces, its own users and login)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev-only-change-me",
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "xobito_tickets.sqlite"),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        # Five files of 10 MiB and the form around them; anything larger is a 413.
        MAX_CONTENT_LENGTH=51 * MIB,
        MAX_FORM_MEMORY_SIZE=256 * 1024,
        MAX_FORM_PARTS=200,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAIL_DEFAULT_SENDER="helpdesk@localhost",
        TICKETS_AUTH="standalone",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)
    if app.config.get("ENV_PRODUCTION") or os.environ.get("XOBITO_TICKETS_PRODUCTION"):
        app.config["SESSION_COOKIE_SECURE"] = app.config.get("SESSION_COOKIE_SECURE_OVERRIDE", True)
    os.makedirs(app.instance_path, exist_ok=True)

    db = SQLAlchemy(metadata=metadata)
    db.init_app(app)
    Migrate(app, db, directory=MIGRATIONS_DIR)
    CSRFProtect(app)

    login_manager = LoginManager(app)
    login_manager.session_protection = "basic"

    from .views.auth import load_standalone_user

    login_manager.user_loader(load_standalone_user)

    Tickets(app, db=db)
    with app.app_context():
        for engine in db.engines.values():
            configure_sqlite_engine(engine)

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)
    from flask_wtf.csrf import CSRFError

    app.register_error_handler(CSRFError, render_error)
    app.after_request(apply_security_headers)

    @app.get("/")
    def index():
        """Send visitors of the bare site to the demo workspace."""
        return redirect(url_for("tickets.portal.ticket_list", tenant=app.config.get("TICKETS_HOME_TENANT", "demo")))

    return app
