"""An existing Flask site (its own users, login and layout) with the helpdesk mounted at /support.

Run it with one command from the repository root::

    python -m examples.host_app

Everything the helpdesk needs is in :mod:`.helpdesk`; the rest is an ordinary site.
"""

import os

from flask import Flask, render_template
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from xobito_tickets.migrate import include_object

from .helpdesk import SETTINGS, tickets
from .models import User, db

HERE = os.path.dirname(os.path.abspath(__file__))

login_manager = LoginManager()
login_manager.login_view = "auth.login"
# The site's own migrations; include_object keeps the helpdesk's tables out of them.
migrate = Migrate(directory=os.path.join(HERE, "migrations"), include_object=include_object)


@login_manager.user_loader
def load_user(user_id):
    """Return the site's user with this id, or None."""
    return db.session.get(User, int(user_id)) if str(user_id).isdigit() else None


def create_app(test_config=None):
    """Create the example site."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="example-only-change-me",
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "host_app.sqlite"),
        SESSION_COOKIE_SAMESITE="Lax",
        **SETTINGS,
    )
    if test_config is None:
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    CSRFProtect(app)

    from . import auth

    app.register_blueprint(auth.bp)

    tickets.init_app(app, db=db)

    @app.get("/")
    def index():
        """The site's home page."""
        return render_template("index.html")

    return app
