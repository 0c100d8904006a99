"""The documented production server: gunicorn with gunicorn.conf.py, as an operator runs it."""

import http.client
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from .conftest import ROOT, free_port

pytestmark = pytest.mark.slow


class Gunicorn:
    """gunicorn serving wsgi:app from the project directory with gunicorn.conf.py."""

    def __init__(self, env, log_path):
        self.log_path = log_path
        self._environ = {**os.environ, **env, "PYTHONPATH": ROOT}
        self._environ.pop("WEB_CONCURRENCY", None)
        self._log = None
        self._spawn()

    def _spawn(self):
        self.port = free_port()
        if self._log is not None:
            self._log.close()
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{self.port}", "-w", "2"],
            cwd=ROOT,
            env=self._environ,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def request(self, method, path, headers=None):
        """Send one request; return (status, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def wait_until_up(self, timeout=60):
        deadline = time.monotonic() + timeout
        retries = 3
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "Connection in use" in self.log() and retries:
                    # The free port was taken between choosing it and gunicorn binding it.
                    retries -= 1
                    self._spawn()
                    continue
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                return self.request("GET", "/healthz")
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer within {timeout} s:\n{self.log()}")

    def log(self):
        self._log.flush()
        with open(self.log_path) as handle:
            return handle.read()

    def wait_for_log(self, text, timeout=30):
        """Return the log once it contains ``text`` (workers write a moment after answering)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log()
            if text in log:
                return log
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not in the log:\n{self.log()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # quick shutdown; SIGTERM waits for workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture
def gunicorn(app, world, tmp_path):
    server = Gunicorn(
        {
            "FLASK_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "FLASK_SECRET_KEY": "gunicorn-test-secret",
            "FLASK_TICKETS_STORAGE_ROOT": str(tmp_path / "storage"),
            "FLASK_TICKETS_PROXY_FIX": "1",
            # The site's address: in production only its host is served (TRUSTED_HOSTS).
            "FLASK_TICKETS_BASE_URL": "http://127.0.0.1",
        },
        tmp_path / "gunicorn.log",
    )
    try:
        yield server
    finally:
        server.stop()
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


def _rename(app, old, new):
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        with engine.begin() as conn:
            conn.execute(sa.text(f"ALTER TABLE {old} RENAME TO {new}"))
        engine.dispose()


def test_gunicorn_serves_the_app_with_health_check_logs_and_secure_cookies(app, gunicorn):
    status, _, body = gunicorn.wait_until_up()
    assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok"}

    status, headers, body = gunicorn.request("GET", "/acme/login", {"X-Forwarded-For": "203.0.113.7"})
    assert status == 200 and b'name="password"' in body
    cookie = headers["Set-Cookie"]
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie

    log = gunicorn.wait_for_log("GET /acme/login 200 ")
    assert "Booting worker" in log  # gunicorn's own messages go to the same stream
    (line,) = [line for line in log.splitlines() if "GET /acme/login 200 " in line]
    # One line: time, level, worker pid, logger, method, path, status, duration, size, client.
    assert " INFO [" in line and "xobito_tickets.request: GET /acme/login 200 " in line
    assert line.endswith(" 203.0.113.7")  # the proxy's X-Forwarded-For (TICKETS_PROXY_FIX=1)
    assert "GET /healthz" not in log  # load balancer polls stay out of the log

    # The database breaks under the running server: the health check says so, and
    # pages fail with a 500 whose traceback is in the log.
    _rename(app, "tickets_tenants", "tickets_tenants_away")
    try:
        status, _, body = gunicorn.request("GET", "/healthz")
        assert status == 503 and json.loads(body) == {"status": "error", "database": "unavailable"}
        status, _, _ = gunicorn.request("GET", "/acme/login")
        assert status == 500
        log = gunicorn.wait_for_log("GET /acme/login 500 ")
        assert "health check: database unavailable" in log
        assert "ERROR [" in log and "Exception on /acme/login [GET]" in log
        assert "Traceback (most recent call last)" in log and "tickets_tenants" in log
    finally:
        _rename(app, "tickets_tenants_away", "tickets_tenants")
    status, _, _ = gunicorn.request("GET", "/healthz")
    assert status == 200
