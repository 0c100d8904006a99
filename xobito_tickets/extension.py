"""The ``Tickets`` extension: everything a Flask app needs to serve the helpdesk."""

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException

from . import tenancy
from .config import DEFAULTS
from .security import apply_security_headers, check_csrf, reject_nul_bytes
from .storage import local_storage_factory, s3_storage_factory
from .users import get_current_user

#: The parent blueprint: tenant resolution, login guard, CSRF and headers for all pages.
bp = Blueprint("tickets", __name__, template_folder="templates")

#: CSS and JS, served outside the tenant prefix (no tenant lookup, cacheable).
assets_bp = Blueprint("tickets_assets", __name__, static_folder="static/xobito_tickets", static_url_path="/static")

EXTENSION_KEY = "xobito_tickets"


class _State:
    """Per-app state, kept in ``app.extensions["xobito_tickets"]``."""

    def __init__(self, extension, db):
        self.extension = extension
        self.db = db
        self.storage_backends = {"local": local_storage_factory, "s3": s3_storage_factory}
        self.storage_cache = {}
        self.tenant_resolver = extension._tenant_resolver
        self.identity_loader = extension._identity_loader
        #: The mail feature's state (:class:`xobito_tickets.mail.MailState`), set by mail.init_app.
        self.mail = None


class Tickets:
    """The helpdesk as a Flask extension.

    ``Tickets(app, db=db)`` or ``tickets = Tickets(); tickets.init_app(app, db=db)``.
    ``db`` is the app's Flask-SQLAlchemy instance (found in ``app.extensions`` when
    omitted); the module's tables share its database and session.
    """

    def __init__(self, app=None, db=None):
        self.db = db
        self._tenant_resolver = None
        self._identity_loader = None
        if app is not None:
            self.init_app(app, db)

    def init_app(self, app, db=None):
        """Register the module's blueprints, CLI, hooks and config defaults on ``app``."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "xobito_tickets is already set up on this app. Call Tickets(app) or "
                "tickets.init_app(app) once per app, not both."
            )
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
        db = db or self.db or app.extensions.get("sqlalchemy")
        if db is None:
            raise RuntimeError(
                "xobito_tickets needs Flask-SQLAlchemy: create SQLAlchemy(app) before "
                "Tickets(app), or pass it as Tickets(app, db=db)."
            )
        app.extensions[EXTENSION_KEY] = _State(self, db)

        mode = app.config["TICKETS_TENANCY"]
        prefix = app.config["TICKETS_URL_PREFIX"].rstrip("/")
        options = {}
        if mode == "path":
            options["url_prefix"] = f"{prefix}/<tenant>"
        elif mode == "subdomain":
            options["url_prefix"] = prefix or None
            options["subdomain"] = "<tenant>"
        elif mode == "single":
            if not app.config["TICKETS_TENANT"]:
                raise RuntimeError("TICKETS_TENANCY = 'single' needs TICKETS_TENANT, the slug of the tenant.")
            options["url_prefix"] = prefix or None
        else:
            raise RuntimeError(f"TICKETS_TENANCY must be 'path', 'subdomain' or 'single', not {mode!r}.")
        app.register_blueprint(bp, **options)
        app.register_blueprint(assets_bp, url_prefix=f"{prefix}/_tickets")
        if app.config["TICKETS_HEALTH_URL"]:
            from .health import health_check

            app.add_url_rule(app.config["TICKETS_HEALTH_URL"], "tickets_health", health_check)

        from .cli import tickets_cli

        app.cli.add_command(tickets_cli)
        app.jinja_env.globals.setdefault("tickets_base_template", lambda: current_app.config["TICKETS_BASE_TEMPLATE"])
        app.jinja_env.globals.setdefault("tickets_has_endpoint", lambda name: name in current_app.view_functions)
        from . import filters

        filters.register(app)
        from . import mail

        mail.init_app(app, app.extensions[EXTENSION_KEY])

    def tenant_resolver(self, func):
        """Decorator: ``func(view_args) -> Tenant | None`` finds the tenant of a request.

        It replaces the built-in path/subdomain/single resolution; it must pop any
        URL values it consumes. None answers 404.
        """
        self._tenant_resolver = func
        return func

    def identity_loader(self, func):
        """Decorator: ``func() -> User | None`` returns the module user of the request."""
        self._identity_loader = func
        return func


bp.url_value_preprocessor(tenancy.pull_tenant)
bp.url_defaults(tenancy.add_tenant_to_urls)
bp.after_request(apply_security_headers)

PUBLIC_BLUEPRINTS = {"tickets.auth"}


@bp.before_request
def _guard():
    """Check CSRF on POST and send anonymous visitors to the login page."""
    user = get_current_user()
    check_csrf()
    reject_nul_bytes()
    if request.blueprint in PUBLIC_BLUEPRINTS:
        return None
    if user is None:
        return redirect(login_url(request.full_path if request.query_string else request.path))
    return None


def login_url(next_path=None):
    """Return the login URL of the current tenant, with a same-site ``next``."""
    hook = current_app.config.get("TICKETS_LOGIN_URL")
    if hook:
        base = hook
        if next_path:
            from urllib.parse import urlencode

            base += ("&" if "?" in base else "?") + urlencode({"next": next_path})
        return base
    return url_for("tickets.auth.login", next=next_path)


@bp.context_processor
def _template_context():
    return {
        "current_tenant": g.get("tickets_tenant"),
        "ticket_user": g.get("tickets_user"),
        "csrf_token": generate_csrf,
    }


ERROR_TEXT = {
    400: ("Bad request", "The form could not be accepted. Reload the page and try again."),
    403: ("Not allowed", "You cannot do that here."),
    404: ("Page not found", "There is nothing here, or you do not have access to it."),
    405: ("Not allowed", "That page cannot be used this way."),
    413: ("Upload too large", "The request is too large. Each file may be at most 10 MB, and at most 5 files at once."),
    429: ("Too many attempts", "Too many failed attempts. Wait a few minutes and try again."),
    500: ("Something went wrong", "The error has been logged. Please try again in a moment."),
}


def render_error(error):
    """Render an HTTP error as a page in the site's layout."""
    code = error.code if isinstance(error, HTTPException) else 500
    if isinstance(error, CSRFError):
        code = 400
    title, text = ERROR_TEXT.get(code, (getattr(error, "name", "Error"), getattr(error, "description", "")))
    if isinstance(error, CSRFError):
        text = "The form expired or came from another site. Go back, reload the page and try again."
    retry_after = getattr(error, "retry_after", None) if code == 429 else None
    if retry_after:
        minutes = max(1, -(-int(retry_after) // 60))
        text = f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    response = current_app.make_response(
        (render_template("xobito_tickets/error.html", code=code, title=title, text=text), code)
    )
    if retry_after:
        response.headers["Retry-After"] = str(int(retry_after))
    return response


for _code in (400, 403, 404, 405, 413, 429):
    bp.register_error_handler(_code, render_error)
bp.register_error_handler(CSRFError, render_error)


def _register_children():
    from .views import auth, portal

    bp.register_blueprint(auth.bp)
    bp.register_blueprint(portal.bp)
    from .mail.views import outbox_bp
    from .views import password  # noqa: F401  (adds the password reset routes to auth.bp)

    bp.register_blueprint(outbox_bp, url_prefix="/admin/outbox")
    try:
        from .views import admin
    except ImportError:  # the staff side is optional while it is being built
        return
    bp.register_blueprint(admin.bp, url_prefix="/admin")


_register_children()
