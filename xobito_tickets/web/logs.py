"""Logging of the standalone app: to stderr, one line per request, errors with their traceback."""

import logging
import sys
import time

from flask.logging import default_handler

#: Timestamp, level, worker process, logger: what an operator greps for.
LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"

request_logger = logging.getLogger("xobito_tickets.request")


def configure_logging(app):
    """Send the app's logs to stderr at ``TICKETS_LOG_LEVEL`` and log every request.

    A handler is added to the root logger only if nothing configured logging before
    (gunicorn leaves the root logger alone; a ``logging.config`` set up by the
    operator wins). Flask's own handler is removed so that errors, which Flask logs
    with their traceback on ``app.logger``, are written once, in the same format.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    level = app.config["TICKETS_LOG_LEVEL"]
    logging.getLogger("xobito_tickets").setLevel(level)
    app.logger.setLevel(level)
    app.logger.removeHandler(default_handler)
    # The development server logs each request itself.
    if not app.debug:
        app.wsgi_app = RequestLogMiddleware(app.wsgi_app, quiet_paths={app.config.get("TICKETS_HEALTH_URL")})


class RequestLogMiddleware:
    """WSGI middleware: one log line per request with method, path, status, duration, size and client.

    The duration runs until the response is ready to send; the transfer of a large
    download afterwards is not counted (and the server's sendfile stays usable).
    Successful hits of ``quiet_paths`` (the health check a load balancer polls every
    few seconds) are logged at DEBUG only.
    """

    def __init__(self, wsgi_app, quiet_paths=()):
        self.wsgi_app = wsgi_app
        self.quiet_paths = {path for path in quiet_paths if path}

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        seen = {}

        def _start_response(status, headers, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            seen["length"] = next((value for name, value in headers if name.lower() == "content-length"), "-")
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, _start_response)
        except BaseException:
            seen.setdefault("status", "500")
            raise
        finally:
            self._log(environ, seen.get("status", "-"), seen.get("length", "-"), time.perf_counter() - started)

    def _log(self, environ, status, length, seconds):
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        level = logging.INFO
        if status == "200" and path in self.quiet_paths:
            level = logging.DEBUG
        request_logger.log(
            level,
            "%s %s %s %.1fms %sB %s",
            environ.get("REQUEST_METHOD", "-"),
            path,
            status,
            seconds * 1000,
            length,
            environ.get("REMOTE_ADDR", "-"),
        )
