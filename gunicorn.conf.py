"""gunicorn settings for serving the helpdesk in production.

    gunicorn -c gunicorn.conf.py            # from the project directory

Anything here can be overridden on the command line (``-b 0.0.0.0:8000 -w 8``) or in
``GUNICORN_CMD_ARGS``. The app itself is configured with ``FLASK_*`` environment
variables or ``instance/config.py`` (see the README, "Production").
"""

import multiprocessing
import os

#: The WSGI app: ``app = create_app()`` in wsgi.py.
wsgi_app = "wsgi:app"

#: Listen on loopback behind a reverse proxy; ``$PORT`` (as set by most platforms)
#: listens on every interface instead.
bind = [f"0.0.0.0:{os.environ['PORT']}"] if os.environ.get("PORT") else ["127.0.0.1:8000"]

#: Sync workers: each request holds one process, which suits a database-bound app.
#: ``WEB_CONCURRENCY`` sets the count; the default is gunicorn's rule of thumb.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)

#: Each worker builds its own app, database pool and S3 client after the fork:
#: connections must never be shared between processes.
preload_app = False

#: A request that takes longer is killed and logged (with its traceback) as a
#: timeout; uploads of 50 MB from slow clients must be buffered by the proxy.
timeout = 30
graceful_timeout = 30
#: Behind a load balancer that keeps connections open to the app servers.
keepalive = 5

#: Recycle workers now and then, so a slow leak in any library cannot grow forever.
max_requests = 2000
max_requests_jitter = 200

#: gunicorn's own messages (start, worker timeouts) to stderr. The app writes one
#: line per request itself (xobito_tickets.logs), so gunicorn's access log stays off.
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
accesslog = None

#: X-Forwarded-Proto from these addresses sets the request scheme (https). The client
#: address and host are taken from the proxy headers by the app when
#: TICKETS_PROXY_FIX says how many proxies to trust.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

#: gunicorn 25+ opens a control socket for ``gunicornc`` at one default path per
#: user, which several gunicorns on one host (instances, the tests, the benchmark)
#: would fight over. Off; to use gunicornc give each instance its own
#: ``--control-socket PATH`` and drop ``--no-control-socket``.
control_socket_disable = True

#: Heartbeat files in memory rather than on a possibly slow disk (containers).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
