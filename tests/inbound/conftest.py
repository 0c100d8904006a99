"""Fixtures of the inbound-email suite: a real IMAP server (dovecot) per test that asks for one."""

import shutil
import tempfile

import pytest

from .imapserver import DovecotServer


@pytest.fixture
def imap_server():
    """Start a private dovecot on a loopback port (IMAPS, self-signed certificate) and stop it afterwards."""
    # Not under pytest's tmp_path: its parents are private to root, and dovecot's own
    # processes must reach the passwd-file and the mail directory.
    root = tempfile.mkdtemp(prefix="xt-dovecot-")
    server = DovecotServer(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)
