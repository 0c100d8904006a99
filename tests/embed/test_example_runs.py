"""``python -m examples.host_app`` builds its database and serves the site: one command."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.mail.conftest import free_port

from .conftest import ROOT


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url):
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode()


def _start(tmp_path, environ_path):
    """Start the example site on a free port; return (process, port)."""
    port = free_port()
    env = dict(
        os.environ,
        PYTHONPATH=environ_path,
        PORT=str(port),
        FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'example.sqlite'}",
        FLASK_TICKETS_STORAGE_ROOT=str(tmp_path / "storage"),
        FLASK_TICKETS_MAIL_FILE_DIR=str(tmp_path / "mail"),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.host_app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, port


def test_one_command_serves_the_example_site(tmp_path, environ_path):
    process, port = _start(tmp_path, environ_path)
    retries = 3
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, body = _get(f"http://127.0.0.1:{port}/")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None:
                    output = process.stdout.read()
                    # The free port was taken between choosing it and the site binding it.
                    assert "Address already in use" in output and retries, output
                    retries -= 1
                    process, port = _start(tmp_path, environ_path)
                    continue
                assert time.monotonic() < deadline, "the example site did not start within 60 s"
                time.sleep(0.2)
        assert status == 200 and "Welcome to Example Co" in body
        status, headers, _ = _get(f"http://127.0.0.1:{port}/support/tickets")
        assert status == 302 and headers["Location"] == "/login?next=%2Fsupport%2Ftickets"
        status, _, css = _get(f"http://127.0.0.1:{port}/support/_tickets/static/tickets.css")
        assert status == 200 and ".xt-tickets" in css
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "the helpdesk is at http://localhost:" in output
    assert "casey@example.test / example-password" in output
