"""Sending one webhook request to a real receiver on loopback."""

import os
import socket
import time

import pytest_localserver

from xobito_tickets.webhooks.guard import Target, check_url
from xobito_tickets.webhooks.signing import signature_header
from xobito_tickets.webhooks.transport import DEFAULT_TIMEOUT, RESPONSE_EXCERPT, Sender

from .conftest import SECRET
from .receiver import Answer, Receiver

BODY = b'{"id":"evt_1","type":"ticket.created","data":{}}'
CERTS = os.path.dirname(pytest_localserver.__file__)
CERT, KEY = os.path.join(CERTS, "cert.crt"), os.path.join(CERTS, "server.key")


def send(target, body=BODY, secret=SECRET, sender=None, **extra):
    headers = {"X-Xobito-Signature": signature_header(secret, body), "X-Xobito-Event": "ticket.created", **extra}
    with sender or Sender() as s:
        return s.post(target, body, headers)


def test_delivery_reaches_the_receiver_signed_and_answered(receiver):
    receiver.default = Answer(status=202, body=b"thanks")
    result = send(check_url(receiver.url("/in?src=test"), allow_private=True))
    assert result.ok and result.status_code == 202 and result.response_excerpt == "thanks"
    (request,) = receiver.received
    assert request.method == "POST" and request.path == "/in?src=test"
    assert request.body == BODY and request.signature_ok is True
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Xobito-Event"] == "ticket.created"


def test_wrong_secret_is_refused_by_the_receiver(receiver):
    result = send(check_url(receiver.url(), allow_private=True), secret="whsec_wrong")
    assert not result.ok and result.status_code == 401
    assert receiver.received[0].signature_ok is False


def test_server_error_is_a_failed_attempt(receiver):
    receiver.default = Answer(status=500, body=b"boom")
    result = send(check_url(receiver.url(), allow_private=True))
    assert not result.ok and result.status_code == 500 and result.response_excerpt == "boom"


def test_redirects_are_not_followed(receiver):
    receiver.answers = [Answer(status=302, headers={"Location": receiver.url("/elsewhere")})]
    result = send(check_url(receiver.url(), allow_private=True))
    assert not result.ok and result.status_code == 302
    time.sleep(0.2)
    assert [r.path for r in receiver.received] == ["/hook"]


def test_slow_receiver_times_out(receiver):
    assert DEFAULT_TIMEOUT == 10
    receiver.default = Answer(delay=3)
    started = time.monotonic()
    result = send(check_url(receiver.url(), allow_private=True), sender=Sender(timeout=0.5))
    assert time.monotonic() - started < 2
    assert result.status_code is None and result.error == "timed out"


def test_nothing_listening_is_a_failed_attempt():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = send(check_url(f"http://127.0.0.1:{port}/", allow_private=True))
    assert result.status_code is None and result.error == "could not connect"


def test_the_checked_address_is_connected_to_without_a_second_lookup(receiver):
    """DNS rebinding: the name is not resolved again; the request goes to the checked address."""
    target = Target("http", "rebind.invalid", receiver.port, "/hook", ("127.0.0.1",))
    result = send(target)
    assert result.ok
    assert receiver.received[0].headers["Host"] == f"rebind.invalid:{receiver.port}"


def test_next_address_is_tried_when_connecting_fails(receiver):
    # Nothing listens on [::1] at the receiver's port; 127.0.0.1 answers.
    target = Target("http", "localhost", receiver.port, "/hook", ("::1", "127.0.0.1"))
    assert send(target).ok


def test_ipv6_receiver(receiver6):
    target = check_url(receiver6.url(), allow_private=True)
    assert target.addresses == ("::1",)
    assert send(target).ok
    assert receiver6.received[0].headers["Host"] == f"[::1]:{receiver6.port}"


def test_long_answer_is_cut_for_the_log(receiver):
    receiver.default = Answer(body=b"x" * 100_000)
    result = send(check_url(receiver.url(), allow_private=True))
    assert result.ok and len(result.response_excerpt) == RESPONSE_EXCERPT


def test_https_checks_the_certificate_against_the_url_name():
    receiver = Receiver(secret=SECRET, tls=(CERT, KEY)).start()
    try:
        target = check_url(receiver.url(host="localhost"), allow_private=True)
        assert send(target, sender=Sender(ca_certs=CERT)).ok
        # The same address under a name the certificate does not carry.
        wrong = Target("https", "wrong.test", receiver.port, "/hook", ("127.0.0.1",))
        result = send(wrong, sender=Sender(ca_certs=CERT))
        assert result.status_code is None and result.error.startswith("TLS error")
        # A self-signed certificate is not trusted by default.
        result = send(target)
        assert result.status_code is None and result.error.startswith("TLS error")
        assert len(receiver.received) == 1
    finally:
        receiver.stop()


def test_connections_are_kept_alive_within_a_sender(receiver):
    target = check_url(receiver.url(), allow_private=True)
    with Sender() as sender:
        for _ in range(3):
            assert send(target, sender=_Shared(sender)).ok
    assert len(receiver.received) == 3
    assert len({r.client for r in receiver.received}) == 1, "one kept-alive connection"


class _Shared:
    """Wrap a sender so ``send``'s ``with`` does not close it."""

    def __init__(self, sender):
        self.sender = sender

    def __enter__(self):
        return self.sender

    def __exit__(self, *exc):
        return False
