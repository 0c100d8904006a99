"""WSGI entry points for gunicorn in the benchmark (configured from BENCH_* variables)."""

import os

from flask_wtf.csrf import generate_csrf

from xobito_tickets import create_app


def bench_config(database_url, storage_root, **overrides):
    """Return the app configuration used both under gunicorn and in-process."""
    config = {
        "SECRET_KEY": "bench-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TICKETS_STORAGE_ROOT": storage_root,
        "TICKETS_BASE_URL": "http://127.0.0.1",
        "MAIL_SUPPRESS_SEND": True,
        # Plain HTTP on loopback: the cookie must not be Secure-only.
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        # gunicorn is reached at 127.0.0.1, the in-process test client at localhost.
        "TRUSTED_HOSTS": ["127.0.0.1", "localhost"],
        # One bench customer posts thousands of tickets and replies a minute; the per-person
        # posting limit is still counted on every POST (its statements stay), never reached.
        "TICKETS_POST_LIMIT_TICKETS": 10**9,
        "TICKETS_POST_LIMIT_REPLIES": 10**9,
    }
    config.update(overrides)
    return config


def create_bench_app(**overrides):
    """Build the real app over the benchmark database."""
    return add_empty_page(
        create_app(bench_config(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_STORAGE_ROOT"], **overrides))
    )


def create_ceiling():
    """Build the ceiling app over the benchmark database."""
    from bench.ceiling import create_ceiling_app

    return create_ceiling_app(os.environ["BENCH_DATABASE_URL"])


def create_same_bytes():
    """Build the same-bytes ceilings over the benchmark database (pages captured in BENCH_SAME_BYTES)."""
    from bench.samebytes import create_same_bytes_app

    return create_same_bytes_app()


def empty_page():
    """The module's fixed cost: a logged-in page of the module with only a form's CSRF token on it."""
    return (
        '<!doctype html><html lang="en"><title>Empty</title><form method="post" action="logout">'
        f'<input type="hidden" name="csrf_token" value="{generate_csrf()}"><button>Log out</button></form></html>'
    )


def add_empty_page(app):
    """Add ``/<tenant>/bench-empty`` under the module's blueprint: its hooks run, its work does not.

    The endpoint's name puts it in the ``tickets`` blueprint, so the tenant lookup, the
    login guard, CSRF, the security headers and the request log line apply as on every page.
    """
    prefix = (app.config["TICKETS_URL_PREFIX"] or "").rstrip("/")
    app.add_url_rule(f"{prefix}/<tenant>/bench-empty", "tickets.bench_empty", empty_page)
    return app
