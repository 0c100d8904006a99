"""WSGI entry points for gunicorn in the benchmark (configured from BENCH_* variables)."""

import os

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
    }
    config.update(overrides)
    return config


def create_bench_app(**overrides):
    """Build the real app over the benchmark database."""
    return create_app(bench_config(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_STORAGE_ROOT"], **overrides))


def create_ceiling():
    """Build the ceiling app over the benchmark database."""
    from bench.ceiling import create_ceiling_app

    return create_ceiling_app(os.environ["BENCH_DATABASE_URL"])
