"""Email notifications that are never lost.

- :mod:`.receivers` subscribe to the lifecycle signals and write outbox rows in the
  transaction of the change (:mod:`.outbox`), for the people :mod:`.recipients` names.
- :mod:`.worker` (``flask tickets send-mail``) claims due rows, renders them
  (:mod:`.compose`, templates under ``templates/xobito_tickets/email/``) and sends them
  with Flask-Mail or writes ``.eml`` files (:mod:`.transport`), retrying with back-off.
- :mod:`.views`: the admins' outbox page and the development mailbox;
  :mod:`.devserver`: delivery from the development server itself.
"""

from flask_mail import Mail

from .devserver import ensure_dev_worker
from .receivers import connect_receivers
from .views import dev_mailbox_url, devmail_bp


class MailState:
    """The mail feature's per-app state (``app.extensions["xobito_tickets"].mail``)."""

    def __init__(self):
        self.dev_worker_checked = False
        self.dev_worker = None


def init_app(app, state):
    """Set up mail for ``app``: Flask-Mail (unless the host did), receivers, pages, dev delivery."""
    if app.extensions.get("mail") is None:
        # Flask-Mail reads its MAIL_* settings now: a host configures mail before Tickets(app).
        Mail().init_app(app)
    state.mail = MailState()
    connect_receivers()

    prefix = app.config["TICKETS_URL_PREFIX"].rstrip("/")
    app.register_blueprint(devmail_bp, url_prefix=f"{prefix}/_tickets/mail")
    app.before_request(ensure_dev_worker)
    app.jinja_env.globals.setdefault("tickets_dev_mailbox_url", dev_mailbox_url)
