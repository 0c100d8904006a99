"""Outbox delivery inside the development server, so ``flask run --debug`` shows emails with no setup.

Why a thread here, when the rule is "a worker process, never a bare thread": the
thread is only a convenience for the demo. It runs the very same
:class:`~.worker.OutboxWorker` (claims, leases, retries) on the same outbox, so it
can run next to real ``send-mail`` workers without sending anything twice. It starts
on the first request the development server serves, never at import or app
creation, so CLI commands (``flask tickets demo``, ``flask db upgrade``) and the
reloader's watcher process never start one. It is on when TICKETS_MAIL_DEV_WORKER is
True, or when it is None (the default), the app is in debug mode, not testing, and
mail goes to ``.eml`` files (no MAIL_SERVER). Production runs ``flask tickets send-mail``.
"""

import threading

from flask import current_app, url_for

from .transport import mail_directory, transport_name
from .views import dev_page_enabled
from .worker import OutboxWorker

_lock = threading.Lock()


def dev_worker_enabled(app):
    """Return True if this app delivers its outbox from a thread of the web process."""
    setting = app.config.get("TICKETS_MAIL_DEV_WORKER")
    if setting is not None:
        return bool(setting)
    return app.debug and not app.testing and transport_name(app) == "file"


def ensure_dev_worker():
    """before_app_request: start the development delivery thread once, if it is enabled."""
    app = current_app._get_current_object()
    mail_state = app.extensions["xobito_tickets"].mail
    if mail_state.dev_worker_checked:
        return
    with _lock:
        if mail_state.dev_worker_checked:
            return
        mail_state.dev_worker_checked = True
        if not dev_worker_enabled(app):
            return
        stop = threading.Event()
        thread = threading.Thread(target=_deliver_forever, args=(app, stop), name="xobito-tickets-mail", daemon=True)
        mail_state.dev_worker = (thread, stop)
        thread.start()
    where = mail_directory(app) if transport_name(app) == "file" else "the SMTP server"
    listed = f" (listed at {url_for('tickets_devmail.mailbox', _external=True)})" if dev_page_enabled(app) else ""
    app.logger.warning(
        "xobito_tickets: the development server delivers notification emails to %s%s. "
        "In production run 'flask tickets send-mail'.",
        where,
        listed,
    )


def stop_dev_worker(app, timeout=5):
    """Stop the development delivery thread of ``app`` (tests, clean shutdown)."""
    mail_state = app.extensions["xobito_tickets"].mail
    if mail_state.dev_worker is None:
        return
    thread, stop = mail_state.dev_worker
    stop.set()
    thread.join(timeout)
    mail_state.dev_worker = None


def _deliver_forever(app, stop):
    interval = float(app.config.get("TICKETS_MAIL_POLL_INTERVAL", 2))
    while not stop.is_set():
        try:
            with app.app_context():
                worker = OutboxWorker(name=None)
                worker.stop_event = stop
                worker.run_once()
        except Exception:  # keep the demo alive; the rows stay in the outbox
            app.logger.exception("xobito_tickets: development mail delivery failed")
        stop.wait(interval)
