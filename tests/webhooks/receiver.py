"""A real HTTP receiver of webhooks on loopback, checking signatures with the README's recipe."""

import json
import os
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def readme_recipe():
    """Return the ``verify`` function of the README's "Verifying a webhook signature" section."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = readme.split("### Verifying a webhook signature", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len([line for line in code.splitlines() if line.strip() and not line.startswith("import")]) <= 5
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["verify"]


@dataclass
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict
    body: bytes
    signature_ok: bool | None
    client: tuple = ()
    at: float = field(default_factory=time.time)

    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    """How the receiver answers one request."""

    status: int = 200
    delay: float = 0.0
    headers: dict = field(default_factory=dict)
    body: bytes = b"ok"


class Receiver:
    """An HTTP server on a loopback address, in a thread, recording every request.

    ``secret``: check ``X-Xobito-Signature`` with the README recipe; a bad signature is
    answered 401 (what a real receiver does) and recorded with ``signature_ok=False``.
    ``answers``: a list of :class:`Answer` used one per request, then ``default``.
    """

    def __init__(self, host="127.0.0.1", secret=None, tls=None):
        self.secret = secret
        self.verify = readme_recipe()
        self.received = []
        self.answers = []
        self.default = Answer()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver._handle(self, "POST", body)

            def do_GET(self):
                receiver._handle(self, "GET", b"")

        family = socket.AF_INET6 if ":" in host else socket.AF_INET

        class Server(ThreadingHTTPServer):
            address_family = family
            daemon_threads = True

        self.server = Server((host, 0), Handler)
        self.scheme = "http"
        if tls is not None:
            # ``tls``: (certificate file, key file).
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.host = host
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handle(self, handler, method, body):
        signature_ok = None
        if self.secret is not None:
            signature_ok = self.verify(self.secret, handler.headers.get("X-Xobito-Signature", ""), body)
        with self.lock:
            self.received.append(
                Received(method, handler.path, dict(handler.headers), body, signature_ok, handler.client_address)
            )
            answer = self.answers.pop(0) if self.answers else self.default
        if signature_ok is False:
            answer = Answer(status=401, body=b"bad signature")
        if answer.delay:
            time.sleep(answer.delay)
        try:
            handler.send_response(answer.status)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(answer.body)))
            handler.end_headers()
            handler.wfile.write(answer.body)
        except OSError:
            pass  # the client gave up (a timeout test)

    def url(self, path="/hook", host=None):
        """Return the URL of ``path`` on this receiver (``host`` overrides the address, e.g. ``localhost``)."""
        host = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"{self.scheme}://{host}:{self.port}{path}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
