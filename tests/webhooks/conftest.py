"""Fixtures of the webhooks suite: a real HTTP receiver on loopback."""

import functools

import pytest
from werkzeug.security import generate_password_hash

import xobito_tickets.services

from .receiver import Receiver

SECRET = "whsec_test-secret"


@pytest.fixture
def receiver():
    """An HTTP receiver on 127.0.0.1 that checks signatures made with ``SECRET``."""
    server = Receiver(secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def receiver6():
    """An HTTP receiver on the IPv6 loopback address ``::1``."""
    server = Receiver(host="::1", secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Hash the fixture users' passwords with a low work factor; hashing stays real."""
    monkeypatch.setattr(
        xobito_tickets.services,
        "generate_password_hash",
        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"),
    )
