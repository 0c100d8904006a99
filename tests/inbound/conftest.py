"""Fixtures of the inbound-email suite: a real IMAP server (dovecot) per test that asks for one."""

import pytest

from .imapserver import DovecotServer


@pytest.fixture
def imap_server(tmp_path_factory):
    """Start a private dovecot on a loopback port (IMAPS, self-signed certificate) and stop it afterwards."""
    server = DovecotServer(tmp_path_factory.mktemp("dovecot")).start()
    yield server
    server.stop()
