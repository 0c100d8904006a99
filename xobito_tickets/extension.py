"""The ``Tickets`` extension: everything a Flask app needs to serve the helpdesk.

A host site mounts it like any Flask extension and tells it about its users with hook
decorators (see :mod:`xobito_tickets.identity`)::

    tickets = Tickets(app, db=db)

    @tickets.identity_loader
    def helpdesk_identity(user):
        return {"id": user.id, "email": user.email, "name": user.name, "role": "customer"}
"""

from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_login.utils import login_url as flask_login_url
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from . import mail, search, sla
from .api import pages as api_pages
from .api import views as api_views
from .auth import account_views, reset_views
from .auth import views as auth_views
from .canned import views as canned_views
from .cc import views as cc_views
from .cli import tickets_cli
from .config import DEFAULTS
from .db import session as db_session
from .i18n import init_babel
from .i18n.setup import lazy_gettext as _l
from .inbound import setup as inbound_setup
from .inbound import views as inbound_views
from .mail.views import outbox_bp
from .merge import views as merge_views
from .migrate import create_all
from .onbehalf import views as onbehalf_views
from .previews import views as preview_views
from .profile import language as language_views
from .profile import views as profile_views
from .profile.enforce import enforce_two_factor
from .reports import rollup
from .reports import views as report_views
from .satisfaction import views as satisfaction_views
from .satisfaction.services import rating_of
from .sla import views as sla_views
from .team import departments, people
from .team.directory import current_directory_user, maybe_sync_staff
from .tenancy import resolve as tenancy
from .tenancy.current import get_current_user, is_host_auth
from .tenancy.identity import MissingHookError
from .tenancy.workspaces import is_valid_slug
from .tickets import portal
from .tickets import staff as staff_tickets
from .tickets.storage import local_storage_factory, s3_storage_factory
from .web import jinja, staff
from .web.health import health_check
from .web.layouts import check_host_layout
from .web.ratelimit import TooManyPosts
from .web.security import apply_security_headers, check_csrf, limit_urlencoded_body, reject_nul_bytes
from .webhooks import events as webhook_events
from .webhooks import views as webhook_views
from .workspace import views as workspace_views

#: The parent blueprint: tenant resolution, login guard, CSRF and headers for all pages.
bp = Blueprint("tickets", __name__, template_folder="templates")

#: CSS and JS, served outside the tenant prefix (no tenant lookup, cacheable).
assets_bp = Blueprint("tickets_assets", __name__, static_folder="static/xobito_tickets", static_url_path="/static")

EXTENSION_KEY = "xobito_tickets"

#: The module's own page layout; any other TICKETS_BASE_TEMPLATE is a host layout.
MODULE_LAYOUT = "xobito_tickets/layout.html"


class _State:
    """Per-app state, kept in ``app.extensions["xobito_tickets"]``."""

    def __init__(self, extension, db):
        self.extension = extension
        self.db = db
        self.storage_backends = {"local": local_storage_factory, "s3": s3_storage_factory}
        self.storage_cache = {}
        #: tenant id -> time.monotonic() of this process's last staff sync.
        self.staff_synced_at = {}
        #: host layout name -> True once its blocks were checked.
        self.checked_layouts = {}
        #: The mail feature's state (:class:`xobito_tickets.mail.MailState`), set by mail.init_app.
        self.mail = None
        #: Requests refused since the database stopped answering (0: it answers).
        self.database_outage = 0
        #: Host mode: the directory row of the host's logged-in user in a tenant (kept in sync).
        self.directory_user = current_directory_user
        #: time.monotonic() of this process's last pass over the IMAP mailboxes (the worker's job).
        self.inbound_polled_at = None

    @property
    def tenant_resolver(self):
        """The ``@tickets.tenant_resolver`` hook, or None (hooks may be registered after init_app)."""
        return self.extension._tenant_resolver


class Tickets:
    """The helpdesk as a Flask extension.

    ``Tickets(app, db=db)`` or ``tickets = Tickets(); tickets.init_app(app, db=db)``.
    ``db`` is the app's Flask-SQLAlchemy instance (found in ``app.extensions`` when
    omitted); the module's tables share its database and session.

    Hooks are kept on this object, so one ``Tickets`` may serve several apps and
    hooks may be registered before or after ``init_app``.
    """

    def __init__(self, app=None, db=None):
        self.db = db
        self._tenant_resolver = None
        self._identity_loader = None
        self._current_user_loader = None
        self._staff_loader = None
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
        db = db or self.db or app.extensions.get("sqlalchemy")
        if db is None:
            raise RuntimeError(
                "xobito_tickets needs Flask-SQLAlchemy: create SQLAlchemy(app) before "
                "Tickets(app), or pass it as Tickets(app, db=db)."
            )
        options, asset_options = _mount_options(app)
        app.extensions[EXTENSION_KEY] = _State(self, db)
        app.register_blueprint(bp, **options)
        app.register_blueprint(assets_bp, **asset_options)
        if app.config["TICKETS_API"]:
            # Beside the pages, not under them: no session login, no CSRF, JSON errors.
            app.register_blueprint(
                api_views.bp, **dict(options, url_prefix=(options.get("url_prefix") or "") + "/api/v1")
            )
        if app.config["TICKETS_HEALTH_URL"]:
            app.add_url_rule(app.config["TICKETS_HEALTH_URL"], "tickets_health", health_check)

        app.cli.add_command(tickets_cli)
        app.jinja_env.globals.setdefault("tickets_base_template", base_template)
        app.jinja_env.globals.setdefault("tickets_assets", tickets_assets)
        app.jinja_env.globals.setdefault("tickets_rating_of", rating_of)
        jinja.register(app)
        init_babel(app, get_current_user)
        mail.init_app(app, app.extensions[EXTENSION_KEY])
        webhook_events.connect_receivers()
        sla.init_app(app)
        inbound_setup.init_app(app)
        search.init_app(app)
        rollup.connect_receivers()

    def tenant_resolver(self, func):
        """Decorator: ``func(slug) -> Tenant | str | None`` finds the tenant of a request.

        It replaces the built-in lookup of every mode. ``slug`` is the URL's slug in
        ``"path"`` and ``"subdomain"`` mode and None otherwise; read ``request`` for
        anything else (a custom domain, a header). Return a Tenant, a tenant slug, or
        None for a 404. Required with ``TICKETS_TENANCY = "custom"``.
        """
        self._tenant_resolver = func
        return func

    def identity_loader(self, func):
        """Decorator: ``func(host_user) -> Identity | dict | None`` describes a host user.

        Required when ``TICKETS_AUTH`` is ``"host"``. Return the user's ``id``, ``email``,
        ``name``, ``role`` (``"customer"``, ``"staff"`` or ``"admin"``) and ``active``
        as an :class:`~xobito_tickets.identity.Identity` or a dict; None keeps the user
        out of the helpdesk (403). ``current_tenant`` is set, so roles may differ per tenant.
        """
        self._identity_loader = func
        return func

    def current_user_loader(self, func):
        """Decorator: ``func() -> host_user | None`` returns the host's logged-in user.

        Optional: by default the module uses Flask-Login's ``current_user``.
        """
        self._current_user_loader = func
        return func

    def staff_loader(self, func):
        """Decorator: ``func() -> iterable of host users``: every staff member and admin.

        Optional. With it, ``flask tickets sync-users`` (and, every
        ``TICKETS_STAFF_SYNC_INTERVAL`` seconds, a staff member's visit) puts the staff
        in the helpdesk's directory before they ever log in, so admins can add them to
        departments, and demotes people the host no longer lists.
        """
        self._staff_loader = func
        return func

    def create_all(self):
        """Create the module's tables in the app's database and record their schema version.

        For quick starts and tests; sites with migrations use ``flask tickets db upgrade``,
        which continues from the version recorded here.
        """
        create_all()


def _mount_options(app):
    """Return the blueprint options of the pages and of the assets for ``TICKETS_TENANCY``."""
    config = app.config
    mode = config["TICKETS_TENANCY"]
    prefix = (config["TICKETS_URL_PREFIX"] or "").rstrip("/")
    if prefix and not prefix.startswith("/"):
        raise RuntimeError(f"TICKETS_URL_PREFIX must start with '/', like '/support', not {prefix!r}.")
    pages = {"url_prefix": prefix or None}
    assets = {"url_prefix": f"{prefix}/_tickets"}
    if mode == "path":
        pages["url_prefix"] = f"{prefix}/<tenant>"
    elif mode == "subdomain":
        if not config.get("SERVER_NAME"):
            raise RuntimeError(
                "TICKETS_TENANCY = 'subdomain' needs SERVER_NAME (e.g. 'example.com') to tell the "
                "tenant's subdomain from the rest of the host name."
            )
        if not app.subdomain_matching:
            raise RuntimeError(
                "TICKETS_TENANCY = 'subdomain' needs an app created with "
                "Flask(__name__, subdomain_matching=True): without it Flask ignores subdomains."
            )
        pages["subdomain"] = "<tenant>"
        # CSS and JS come from the tenant's own host: the pages' CSP allows 'self' only.
        assets["subdomain"] = "<tenant>"
    elif mode == "single":
        if not is_valid_slug(config["TICKETS_TENANT"] or ""):
            raise RuntimeError(
                "TICKETS_TENANCY = 'single' needs TICKETS_TENANT, the slug of the one tenant: 2-63 "
                f"lower-case letters, digits and hyphens (got {config['TICKETS_TENANT']!r})."
            )
    elif mode != "custom":
        raise RuntimeError(f"TICKETS_TENANCY must be one of {', '.join(map(repr, tenancy.MODES))}, not {mode!r}.")
    return pages, assets


def base_template():
    """Jinja global: the template every module page extends.

    The module's own layout, or for a host layout a thin template in between that puts
    the module's CSS and JS into the host's ``head`` block and its menu into the
    optional ``tickets_nav`` block.
    """
    name = current_app.config["TICKETS_BASE_TEMPLATE"]
    if name == MODULE_LAYOUT:
        return name
    state = current_app.extensions[EXTENSION_KEY]
    if name not in state.checked_layouts:
        check_host_layout(current_app.jinja_env, name)
        state.checked_layouts[name] = True
    return "xobito_tickets/host_layout.html"


def tickets_assets():
    """Jinja global: the module's stylesheet and script tags for a host layout, once per page."""
    # Only on the module's pages: a host layout may call this on every page, and in
    # subdomain mode the assets' URL needs the tenant of a module page.
    if g.get("tickets_assets_done") or "tickets" not in request.blueprints:
        return Markup("")
    g.tickets_assets_done = True
    return Markup(render_template("xobito_tickets/_assets.html").strip())


bp.url_value_preprocessor(tenancy.pull_tenant)
bp.url_defaults(tenancy.add_tenant_to_urls)
assets_bp.url_value_preprocessor(tenancy.drop_tenant_from_asset_urls)
assets_bp.url_defaults(tenancy.add_tenant_to_urls)
bp.after_request(apply_security_headers)

#: Pages open without a login: the login pages, the language choice, and the rating page (its signed
#: link is the authority).
PUBLIC_BLUEPRINTS = {"tickets.auth", "tickets.language", "tickets.satisfaction"}


@bp.before_request
def _guard():
    """Check CSRF on POST and send anonymous visitors to the login page."""
    user = get_current_user()
    limit_urlencoded_body()
    check_csrf()
    reject_nul_bytes()
    if request.blueprint in PUBLIC_BLUEPRINTS:
        return enforce_two_factor(user, g.get("tickets_tenant"))
    if user is None:
        if g.get("tickets_access_denied"):
            abort(403)
        if is_host_auth():
            return host_login_redirect()
        if logged_in_to_another_tenant():
            # A login of workspace A is no login in workspace B, and B's pages must not
            # tell its holder what exists there: 404, as for anything one may not see.
            g.tickets_other_workspace = True
            abort(404)
        return redirect(login_url(request.full_path if request.query_string else request.path))
    if is_host_auth():
        maybe_sync_staff(g.tickets_tenant, user)
    return enforce_two_factor(user, g.get("tickets_tenant"))


def logged_in_to_another_tenant():
    """Return True if the standalone session belongs to a user of another workspace."""
    user = current_user._get_current_object()
    tenant = g.get("tickets_tenant")
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and tenant is not None
        and getattr(user, "tenant_id", None) not in (None, tenant.id)
    )


def login_url(next_path=None):
    """Return the login URL of the current tenant, with a same-site ``next``."""
    hook = current_app.config.get("TICKETS_LOGIN_URL")
    if hook:
        base = hook
        if next_path:
            base += ("&" if "?" in base else "?") + urlencode({"next": next_path})
        return base
    return url_for("tickets.auth.login", next=next_path)


def host_login_redirect():
    """Send an anonymous visitor to the host's login page, ``next`` pointing back here.

    ``TICKETS_LOGIN_URL`` (a URL or an endpoint) wins; otherwise Flask-Login's own
    ``unauthorized()`` runs, so the host's ``login_view``, ``blueprint_login_views``,
    ``unauthorized_handler`` and login message apply as on its other pages. ``next`` is
    a path when the login page is on the same host, the full URL otherwise (subdomains).
    """
    target = current_app.config.get("TICKETS_LOGIN_URL")
    if target:
        return redirect(flask_login_url(target, next_url=request.url))
    manager = getattr(current_app, "login_manager", None)
    if manager is not None and (manager.login_view or manager.blueprint_login_views or manager.unauthorized_callback):
        return manager.unauthorized()
    raise MissingHookError(
        "xobito_tickets does not know where your login page is: set login_manager.login_view "
        "(Flask-Login) or TICKETS_LOGIN_URL to its URL or endpoint."
    )


@bp.context_processor
def _template_context():
    return {
        "current_tenant": g.get("tickets_tenant"),
        "ticket_user": g.get("tickets_user"),
        "csrf_token": generate_csrf,
    }


ERROR_TEXT = {
    400: (_l("Bad request"), _l("The form could not be accepted. Reload the page and try again.")),
    403: (_l("Not allowed"), _l("You cannot do that here.")),
    404: (_l("Page not found"), _l("There is nothing here, or you do not have access to it.")),
    405: (_l("Not allowed"), _l("That page cannot be used this way.")),
    413: (
        _l("Upload too large"),
        _l("The request is too large. Each file may be at most 10 MB, and at most 5 files at once."),
    ),
    429: (_l("Too many attempts"), _l("Too many failed attempts. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Please try again in a moment.")),
    503: (
        _l("Back in a moment"),
        _l("The helpdesk cannot reach its database right now. Please try again in a minute."),
    ),
}

#: Seconds a client is asked to wait while the database cannot be reached.
OUTAGE_RETRY_AFTER = 30


def render_error(error):
    """Render an HTTP error as a page in the site's layout."""
    code = error.code if isinstance(error, HTTPException) else 500
    if isinstance(error, CSRFError):
        code = 400
    title, text = ERROR_TEXT.get(code, (getattr(error, "name", _("Error")), getattr(error, "description", "")))
    if isinstance(error, CSRFError):
        text = _("The form expired or came from another site. Go back, reload the page and try again.")
    if request_ctx.url_adapter is None:
        # No URL can be built for this request (a Host outside TRUSTED_HOSTS): no layout either.
        return current_app.response_class(f"{title}. {text}\n", code, mimetype="text/plain")
    retry_after = getattr(error, "retry_after", None) if code == 429 else None
    if isinstance(error, TooManyPosts):
        text = error.description
    elif retry_after:
        minutes = max(1, -(-int(retry_after) // 60))
        text = ngettext(
            "Too many failed attempts. Try again in %(num)d minute.",
            "Too many failed attempts. Try again in %(num)d minutes.",
            minutes,
        )
    response = current_app.make_response(
        (
            render_template(
                "xobito_tickets/error.html",
                code=code,
                title=title,
                text=text,
                other_workspace=code == 404 and g.get("tickets_other_workspace", False),
            ),
            code,
        )
    )
    if retry_after:
        response.headers["Retry-After"] = str(int(retry_after))
    return response


#: SQLite reports a broken schema as an OperationalError too: that is a bug, not an outage.
_SCHEMA_ERRORS = ("no such table", "no such column", "syntax error")


def _is_outage(error):
    """True for a database that cannot be reached (or is locked), not for a query that is wrong."""
    if error.connection_invalidated or isinstance(error, sa.exc.InterfaceError):
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    return not any(text in str(error.orig).lower() for text in _SCHEMA_ERRORS)


def database_unreachable(error):
    """Answer a database that cannot be reached with a 503 page: an outage, not a bug.

    One log line per outage (not a traceback per request): the first failure after a
    good request is logged, the others are counted until the database answers again.
    """
    if not _is_outage(error):
        raise error
    state = current_app.extensions[EXTENSION_KEY]
    if not state.database_outage:
        current_app.logger.error(
            "xobito_tickets: the database cannot be reached: %s", " ".join(str(error.orig).split())
        )
    state.database_outage += 1
    db_session.rollback()
    response = render_error(ServiceUnavailable())
    response.headers["Retry-After"] = str(OUTAGE_RETRY_AFTER)
    return response


def _database_answered(response):
    """after_request: a page was served, so any outage is over (log how many requests it cost)."""
    state = current_app.extensions[EXTENSION_KEY]
    if state.database_outage and response.status_code != 503:
        current_app.logger.warning(
            "xobito_tickets: the database answers again (%d requests refused meanwhile).", state.database_outage
        )
        state.database_outage = 0
    return response


for _code in (400, 403, 404, 405, 413, 429):
    bp.register_error_handler(_code, render_error)
bp.register_error_handler(sa.exc.DBAPIError, database_unreachable)
bp.after_request(_database_answered)
bp.register_error_handler(CSRFError, render_error)


# The staff side's views register themselves on the "admin" blueprint (web.staff.bp),
# the password reset pages on the auth blueprint; these imports load them.
_STAFF_VIEWS = (
    staff_tickets,
    workspace_views,
    departments,
    people,
    inbound_views,
    canned_views,
    merge_views,
    onbehalf_views,
    webhook_views,
    sla_views,
    report_views,
)
# CC and image previews have pages on both sides (staff and portal).
_BOTH_SIDES = (cc_views, preview_views)
_AUTH_PAGES = (reset_views, account_views)

bp.register_blueprint(auth_views.bp)
bp.register_blueprint(portal.bp)
bp.register_blueprint(api_pages.bp)
bp.register_blueprint(profile_views.bp)
bp.register_blueprint(language_views.bp)
bp.register_blueprint(satisfaction_views.bp)
bp.register_blueprint(outbox_bp, url_prefix="/admin/outbox")
bp.register_blueprint(staff.bp, url_prefix="/admin")
