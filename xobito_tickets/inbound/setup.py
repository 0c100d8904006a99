"""Wiring inbound email into an app: the receivers, the HTTP door, the development mailbox's reply button."""

from . import api, devreply, imap, replyto  # noqa: F401  (imap registers its background job)
from .ingest import connect_receivers


def init_app(app):
    """Connect the receivers and register the inbound blueprints (outside the tenant's pages)."""
    connect_receivers()
    replyto.connect_receivers()
    prefix = app.config["TICKETS_URL_PREFIX"].rstrip("/")
    app.register_blueprint(api.bp, url_prefix=f"{prefix}/_tickets/inbound")
    app.register_blueprint(devreply.bp, url_prefix=f"{prefix}/_tickets/mail")
