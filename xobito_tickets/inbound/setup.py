"""Wiring inbound email into an app: the receivers, the HTTP door, the development mailbox's reply button."""

from flask_wtf.csrf import generate_csrf

from . import api, devreply, imap, replyto  # noqa: F401  (imap registers its background job)
from .ingest import connect_receivers
from .views import ticket_inbound_emails


def init_app(app):
    """Connect the receivers and register the inbound blueprints (outside the tenant's pages)."""
    connect_receivers()
    replyto.connect_receivers()
    prefix = app.config["TICKETS_URL_PREFIX"].rstrip("/")
    app.register_blueprint(api.bp, url_prefix=f"{prefix}/_tickets/inbound")
    app.register_blueprint(devreply.bp, url_prefix=f"{prefix}/_tickets/mail")
    app.jinja_env.globals.setdefault("tickets_inbound_emails", ticket_inbound_emails)
    app.jinja_env.globals.setdefault("tickets_dev_reply_csrf", generate_csrf)
