"""Send one webhook request: to the checked addresses only, no redirects, a hard time limit.

urllib3 rather than requests: requests resolves the host name itself when it connects (so the
address checked by the guard and the address connected to could differ), follows redirects
unless told not to on every call, and reads proxy settings and ``.netrc`` from the environment.
urllib3's connection pool is opened on the checked IP address while the ``Host`` header, TLS
SNI and certificate check use the URL's name (``server_hostname``/``assert_hostname``).
"""

import threading
import time
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError

from .guard import Target

#: Seconds a delivery may take in all: connecting, sending and reading the answer (SPEC §18).
DEFAULT_TIMEOUT = 10.0

#: Bytes of the receiver's answer kept for the delivery log.
RESPONSE_EXCERPT = 1024

USER_AGENT = "Xobito-Tickets-Webhooks/1"


@dataclass
class DeliveryResult:
    """What one attempt gave: the status code (None when no answer came) and the reason."""

    status_code: int | None
    error: str | None
    response_excerpt: str
    duration_ms: int

    @property
    def ok(self):
        """True for a 2xx answer, the only one that counts as delivered."""
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender:
    """Send webhook requests, keeping one connection pool per address, port and host name.

    Use it as a context manager for a pass of the worker, so that several deliveries to one
    receiver share a kept-alive connection; the pools are closed at the end.
    """

    def __init__(self, timeout=DEFAULT_TIMEOUT, ca_certs=None, connections=8):
        self.timeout = timeout
        self.ca_certs = ca_certs
        #: Connections kept per pool: the worker's lanes to one receiver share its pool.
        self.connections = connections
        self._pools = {}
        self._lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Close every connection this sender opened."""
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def _pool(self, target, address):
        key = (target.scheme, address, target.port, target.host)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = self._new_pool(target, address)
            return pool

    def _new_pool(self, target, address):
        """Return a pool that connects to ``address`` and speaks to ``target.host`` (Host, SNI, certificate)."""
        options = dict(maxsize=self.connections, retries=False, timeout=urllib3.Timeout(total=self.timeout))
        if target.scheme == "https":
            return urllib3.HTTPSConnectionPool(
                address,
                target.port,
                cert_reqs="CERT_REQUIRED",
                ca_certs=self.ca_certs,
                server_hostname=target.host,
                assert_hostname=target.host,
                **options,
            )
        return urllib3.HTTPConnectionPool(address, target.port, **options)

    def post(self, target: Target, body: bytes, headers):
        """POST ``body`` to ``target``; return a :class:`DeliveryResult` (never raises for network faults).

        The addresses are tried in order while connecting fails; once a request was sent,
        its answer (or its timeout) is the result.
        """
        started = time.monotonic()
        deadline = started + self.timeout
        request_headers = {
            "Host": target.host_header,
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            **headers,
        }
        error = "no address to connect to"
        for address in target.addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                error = f"timed out after {self.timeout:g} s"
                break
            try:
                response = self._pool(target, address).urlopen(
                    "POST",
                    target.path,
                    body=body,
                    headers=request_headers,
                    redirect=False,
                    retries=False,
                    timeout=urllib3.Timeout(total=remaining),
                    preload_content=False,
                    assert_same_host=False,
                )
            except urllib3.exceptions.NewConnectionError as exc:
                error = _describe(exc)
                continue
            except (HTTPError, OSError) as exc:
                error = _describe(exc)
                break
            try:
                excerpt = _read_excerpt(response, deadline)
            except (HTTPError, OSError) as exc:
                # The status line came: the answer counts, its body is only for the log.
                excerpt = f"(answer cut off: {_describe(exc)})"
            finally:
                response.release_conn()
            return DeliveryResult(response.status, None, excerpt, _elapsed_ms(started))
        return DeliveryResult(None, error, "", _elapsed_ms(started))


def _read_excerpt(response, deadline):
    """Read at most RESPONSE_EXCERPT bytes of the answer before ``deadline``.

    A receiver that sends more, or too slowly, is cut off and its connection not reused.
    """
    data = b""
    finished = False
    while len(data) <= RESPONSE_EXCERPT and time.monotonic() < deadline:
        chunk = response.read1(RESPONSE_EXCERPT + 1 - len(data))
        if not chunk:
            finished = True
            break
        data += chunk
    if not finished:
        response.close()
    return data[:RESPONSE_EXCERPT].decode("utf-8", "replace")


def _describe(exc):
    """Return a short, log-friendly reason for a network fault."""
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    # NewConnectionError is a subclass of ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return "could not connect"
    if isinstance(exc, urllib3.exceptions.TimeoutError) or "timed out" in text.lower():
        return "timed out"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS error: {text}"
    return text[:300] or exc.__class__.__name__


def _elapsed_ms(started):
    return int((time.monotonic() - started) * 1000)
