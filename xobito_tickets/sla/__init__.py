"""Service levels: business hours and SLA targets, due times kept by signal receivers, warning and
breach emails, auto-close, and the admins' settings pages. :mod:`.clock` is pure (stdlib only); the rest
may import models, db, signals, jobs, mail, the ticket services, the workspace's queue tabs, tenancy and
web — never the reverse."""

# Importing alerts and autoclose registers their background jobs; queue adds the Overdue tab.
from . import alerts, autoclose, queue  # noqa: F401
from .chips import clock_summary, due_chip, is_paused
from .receivers import connect_receivers


def init_app(app):
    """Set up service levels for ``app``: keep due times on every change; due chips in templates."""
    connect_receivers()
    app.jinja_env.globals.setdefault("tickets_due_chip", due_chip)
    app.jinja_env.globals.setdefault("tickets_sla_clocks", clock_summary)
    app.jinja_env.globals.setdefault("tickets_sla_paused", is_paused)
