"""Fixtures of the webhooks suite: a real HTTP receiver on loopback."""

import pytest

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
