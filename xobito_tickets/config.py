"""Every ``TICKETS_*`` setting with its default.

Defaults are applied with ``app.config.setdefault`` in ``Tickets.init_app`` and read
through ``current_app.config`` at request time, so a host may change them before or
after creating the extension, in any of Flask's usual ways.
"""

MIB = 1024 * 1024

DEFAULTS = {
    #: Where attachments are written. Relative paths are resolved against the app's
    #: instance folder. Files land under ``tickets/{tenant_id}/replies/`` inside it.
    "TICKETS_STORAGE_ROOT": "storage",
    #: Storage backend: ``"local"`` (disk under TICKETS_STORAGE_ROOT) or ``"s3"``.
    "TICKETS_STORAGE_BACKEND": "local",
    #: The bucket of the ``"s3"`` backend (required with it). Credentials and region
    #: come from boto3's usual sources: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
    #: AWS_DEFAULT_REGION, ~/.aws, or an instance role.
    "TICKETS_S3_BUCKET": None,
    #: Endpoint of an S3-compatible service (MinIO, Ceph, …), e.g.
    #: ``"https://minio.internal:9000"``; None: AWS S3.
    "TICKETS_S3_ENDPOINT_URL": None,
    #: Prefix of the object names in the bucket (e.g. ``"helpdesk"``; a slash is put
    #: after it), so one bucket can hold several deployments. Objects are named
    #: ``{prefix}/tickets/{tenant_id}/replies/{random}``; the database keeps the key alone.
    "TICKETS_S3_PREFIX": "",
    #: URL of the health check (``GET`` → 200 ``{"status": "ok"}``, or 503 when the
    #: database cannot be reached), outside any tenant. None: not registered. The
    #: standalone app sets ``"/healthz"``.
    "TICKETS_HEALTH_URL": None,
    #: Standalone app: how many reverse proxies in front of the app set
    #: X-Forwarded-For, -Proto, -Host and -Prefix (werkzeug's ProxyFix trusts that
    #: many hops). 0: the headers are ignored and the peer's address is the client's.
    #: Set it behind a load balancer, or the login limit per address counts the proxy.
    "TICKETS_PROXY_FIX": 0,
    #: Standalone app: level of the log written to stderr (one line per request at
    #: INFO, errors with their traceback at ERROR).
    "TICKETS_LOG_LEVEL": "INFO",
    #: Largest attachment accepted, in bytes (10 MiB).
    "TICKETS_MAX_FILE_SIZE": 10 * MIB,
    #: Most files on one ticket creation and on one reply.
    "TICKETS_MAX_FILES": 5,
    #: Attachment extensions accepted (lower case). html and svg are left out on
    #: purpose: served from the helpdesk's origin they would run script there.
    "TICKETS_ALLOWED_EXTENSIONS": ("jpg", "jpeg", "png", "gif", "pdf", "doc", "docx", "txt", "zip"),
    #: Ticket body length, in characters (a line break counts as one).
    "TICKETS_BODY_MIN": 1,
    "TICKETS_BODY_MAX": 1000,
    #: Reply length, in characters.
    "TICKETS_REPLY_MIN": 5,
    "TICKETS_REPLY_MAX": 2000,
    #: Subject length, in characters.
    "TICKETS_SUBJECT_MAX": 255,
    #: Rows per page on list pages.
    "TICKETS_PAGE_SIZE": 25,
    #: Search: the language whose stemming PostgreSQL uses for a tenant that chose none
    #: (``simple`` for none; see ``search.schema.LANGUAGES``). SQLite folds case and
    #: accents and matches prefixes in every language, without stemming.
    "TICKETS_SEARCH_LANGUAGE": "english",
    #: Search: a word search ranks the newest this many matching tickets the person may
    #: see, and the tabs count up to it ("1,000+"), so a search costs the same at any size.
    "TICKETS_SEARCH_LIMIT": 1000,
    #: SQLite: the page cache of each database connection, in MiB (SQLite's default is 2).
    #: It fills only as pages are read, and is kept while no other connection writes; a
    #: search at a million tickets reads between 64 and 128 MiB of index pages.
    "TICKETS_SQLITE_CACHE_MB": 128,
    #: Tickets read per query while the queue's CSV export streams (keyset batches).
    "TICKETS_EXPORT_BATCH": 1000,
    #: How the tenant is found: ``"path"`` (``/{subdomain}/...``), ``"subdomain"``
    #: (``{subdomain}.example.com``; needs SERVER_NAME and
    #: ``Flask(__name__, subdomain_matching=True)``), ``"single"`` (one fixed tenant,
    #: TICKETS_TENANT, no slug in URLs) or ``"custom"`` (no slug in URLs; the
    #: ``@tickets.tenant_resolver`` hook finds the tenant).
    "TICKETS_TENANCY": "path",
    #: The tenant slug used in ``"single"`` tenancy mode.
    "TICKETS_TENANT": None,
    #: Display name of the ``"single"`` tenant when the module creates it (None: the slug).
    "TICKETS_TENANT_NAME": None,
    #: Create the ``"single"`` tenant on its first request or command if it does not
    #: exist. False: create it yourself with ``flask tickets tenant create``.
    "TICKETS_TENANT_AUTO_CREATE": True,
    #: URL prefix the module's pages are mounted under (``""`` or e.g. ``"/support"``).
    "TICKETS_URL_PREFIX": "",
    #: The template every page extends. A host points this at its own layout, which
    #: must provide a ``content`` block and may provide ``title``, ``head`` (where the
    #: module's CSS and JS go, or call ``{{ tickets_assets() }}`` there) and
    #: ``tickets_nav`` (the helpdesk's menu).
    "TICKETS_BASE_TEMPLATE": "xobito_tickets/layout.html",
    #: Whose users and login: ``"host"`` (the default for ``Tickets(app)``: your site's
    #: users, described by the ``@tickets.identity_loader`` hook; the module's login
    #: and sign-up pages are off) or ``"standalone"`` (the module's own accounts and
    #: login pages, as ``create_app`` uses).
    "TICKETS_AUTH": "host",
    #: Languages of pages and emails, as language codes. A person's own choice (profile),
    #: else a visitor's choice from the footer switch, else the browser's Accept-Language
    #: picks among them; ``BABEL_DEFAULT_LOCALE`` (``"en"``) is the fallback. The module
    #: ships German and Spanish catalogues.
    "TICKETS_LANGUAGES": ("en", "de", "es"),
    #: How long an invitation or sign-up link works, in seconds (7 days). Resending a link
    #: or setting the password voids the earlier ones.
    "TICKETS_INVITATION_MAX_AGE": 7 * 24 * 3600,
    #: Host mode: where anonymous visitors go, a URL or an endpoint (``"auth.login"``),
    #: with ``?next=`` the page they wanted. None: Flask-Login's ``login_view`` (and
    #: its ``unauthorized_handler``).
    "TICKETS_LOGIN_URL": None,
    #: Host mode: a staff member's visit refreshes the staff directory from the
    #: ``@tickets.staff_loader`` hook at most this often, in seconds, per process.
    #: 0: only ``flask tickets sync-users`` does.
    "TICKETS_STAFF_SYNC_INTERVAL": 300,
    #: Standalone app: the workspace that ``/`` redirects to.
    "TICKETS_HOME_TENANT": "demo",
    #: How passwords are hashed (a werkzeug ``generate_password_hash`` method). The default,
    #: scrypt, is deliberately slow; a test suite may set ``"pbkdf2:sha256:1"`` to build its
    #: people quickly (hashing and checking stay real). Existing hashes keep working when
    #: it changes: each hash names its own method.
    "TICKETS_PASSWORD_HASH_METHOD": "scrypt",
    #: Public base URL used in links inside emails (never taken from the Host header),
    #: e.g. ``"https://help.example.com"``. Empty: ``http://localhost:5000``.
    "TICKETS_BASE_URL": "http://localhost:5000",
    #: Sender address of notification emails (falls back to MAIL_DEFAULT_SENDER).
    "TICKETS_MAIL_SENDER": None,
    #: Write notification emails to the outbox when tickets change. False: the
    #: module's receivers do nothing (a host may send its own from the signals).
    #: Password reset emails are sent either way.
    "TICKETS_NOTIFICATIONS": True,
    #: Where the worker delivers: ``"smtp"`` (Flask-Mail, MAIL_SERVER/MAIL_PORT/…),
    #: ``"file"`` (``.eml`` files in TICKETS_MAIL_FILE_DIR) or ``"auto"``: SMTP when
    #: MAIL_SERVER is set, files otherwise (the no-setup demo).
    "TICKETS_MAIL_TRANSPORT": "auto",
    #: Folder of the file transport; relative paths are inside the instance folder.
    "TICKETS_MAIL_FILE_DIR": "mail",
    #: Serve the development mailbox at ``/_tickets/mail/`` (it lists every captured
    #: email, reset links included). None: only in debug mode with the file transport.
    "TICKETS_MAIL_DEV_PAGE": None,
    #: Deliver the outbox from a thread of the development server. None: only in
    #: debug mode (not testing) with the file transport. Production runs
    #: ``flask tickets send-mail``.
    "TICKETS_MAIL_DEV_WORKER": None,
    #: Outbox rows a worker claims at a time.
    "TICKETS_MAIL_BATCH_SIZE": 20,
    #: Attempts before an email is marked failed (it stays listed and can be retried).
    "TICKETS_MAIL_MAX_ATTEMPTS": 10,
    #: Seconds before the first retry; doubled after each failed attempt, capped at
    #: TICKETS_MAIL_RETRY_MAX (the defaults keep trying for about three hours).
    "TICKETS_MAIL_RETRY_BASE": 30,
    "TICKETS_MAIL_RETRY_MAX": 3600,
    #: Seconds after which an email claimed by a worker that stopped answering is
    #: queued again. Keep it well above TICKETS_MAIL_SMTP_TIMEOUT.
    "TICKETS_MAIL_CLAIM_TIMEOUT": 600,
    #: Socket timeout of the SMTP connection, in seconds.
    "TICKETS_MAIL_SMTP_TIMEOUT": 30,
    #: Seconds an idle worker waits before looking for new emails.
    "TICKETS_MAIL_POLL_INTERVAL": 2,
    #: Seconds an idle ``flask tickets worker`` waits between passes over its jobs (outbox,
    #: SLA warnings, auto-close, storage sweep, …); a pass that found work is followed at once.
    "TICKETS_WORKER_INTERVAL": 5,
    #: Seconds after which a stored file that no row names is removed by the worker's storage
    #: sweep (a process killed between writing a file and committing its row leaves one).
    #: Keep it far above the longest transaction.
    "TICKETS_STORAGE_SWEEP_AGE": 3600,
    #: How long a password reset link works, in seconds.
    "TICKETS_PASSWORD_RESET_MAX_AGE": 3600,
    #: Reset emails sent to one address per TICKETS_LOGIN_WINDOW at most (more
    #: requests get the same answer but send nothing).
    "TICKETS_PASSWORD_RESET_LIMIT": 3,
    #: Send the security headers (CSP, nosniff, frame-ancestors, Referrer-Policy,
    #: no-store for logged-in pages) on the module's responses.
    "TICKETS_SECURITY_HEADERS": True,
    #: The Content-Security-Policy of the module's pages; None: the built-in strict
    #: policy (``security.CONTENT_SECURITY_POLICY``: no inline script or style). A host
    #: whose layout needs more sets its own, keeping ``script-src`` free of 'unsafe-inline'.
    "TICKETS_CONTENT_SECURITY_POLICY": None,
    #: Failed logins allowed per account / per client address within the window.
    "TICKETS_LOGIN_MAX_FAILURES_ACCOUNT": 5,
    "TICKETS_LOGIN_MAX_FAILURES_ADDRESS": 20,
    #: Tickets / replies one person may post per TICKETS_POST_LIMIT_WINDOW; more is a
    #: 429 page with Retry-After (0: no limit). Counted in the login limit's table.
    "TICKETS_POST_LIMIT_TICKETS": 20,
    "TICKETS_POST_LIMIT_REPLIES": 60,
    #: The window of the posting limits, in seconds.
    "TICKETS_POST_LIMIT_WINDOW": 10 * 60,
    #: The window for the login limits, in seconds.
    "TICKETS_LOGIN_WINDOW": 15 * 60,
    #: Longest life of a standalone login, in seconds: a stolen session cookie stops
    #: working after this even if its owner never logs out.
    "TICKETS_LOGIN_SESSION_LIFETIME": 14 * 24 * 3600,
    #: Whether new tenants allow customer self sign-up (each tenant can change it).
    "TICKETS_DEFAULT_ALLOW_SIGNUP": True,
    #: The domain that receives inbound email (its MX points at your mail server): a
    #: workspace receives at ``{subdomain}@{domain}``, a department at
    #: ``{subdomain}+{department-slug}@{domain}``, and notifications carry
    #: ``Reply-To: {subdomain}+t.{token}@{domain}``. None: no Reply-To is added.
    "TICKETS_INBOUND_DOMAIN": None,
    #: New tickets by email one sender may open per hour in a workspace; more are
    #: quarantined. 0: no limit.
    "TICKETS_INBOUND_MAX_NEW_PER_HOUR": 10,
    #: The largest inbound message accepted, in bytes (larger: 413 at the HTTP door,
    #: quarantined without its content at the others).
    "TICKETS_INBOUND_MAX_BYTES": 25 * MIB,
    #: A CA bundle to verify the IMAP servers' certificates with (a private CA); None:
    #: the system's. Certificates are always verified.
    "TICKETS_INBOUND_IMAP_CAFILE": None,
    #: Seconds to wait for an IMAP server before giving up on this pass.
    "TICKETS_INBOUND_IMAP_TIMEOUT": 30,
    #: Seconds between two passes over the IMAP mailboxes (``fetch-mail`` and the worker's job).
    "TICKETS_INBOUND_POLL_INTERVAL": 60,
    #: REST API v1 under ``/{subdomain}/api/v1/`` (bearer tokens). False: not mounted.
    "TICKETS_API": True,
    #: Requests one API token may make per TICKETS_API_RATE_WINDOW seconds (more get 429).
    "TICKETS_API_RATE_LIMIT": 300,
    "TICKETS_API_RATE_WINDOW": 60,
    #: Let webhooks reach loopback, private, link-local and other internal addresses. Off:
    #: such URLs are refused (SSRF). Turn on only where the helpdesk's network has nothing to hide.
    "TICKETS_WEBHOOK_ALLOW_PRIVATE": False,
    #: Seconds one webhook request may take in all (connect, send, answer).
    "TICKETS_WEBHOOK_TIMEOUT": 10,
    #: Seconds a failing delivery is retried before it is marked failed; an endpoint whose
    #: deliveries all failed for this long is switched off and the admins are emailed.
    "TICKETS_WEBHOOK_RETRY_WINDOW": 24 * 3600,
    #: Seconds before the first retry of a webhook; doubled after each failure, capped at
    #: TICKETS_WEBHOOK_RETRY_MAX.
    "TICKETS_WEBHOOK_RETRY_BASE": 30,
    "TICKETS_WEBHOOK_RETRY_MAX": 3600,
    #: Webhook deliveries a worker claims at a time, and how many of them it sends at once.
    "TICKETS_WEBHOOK_BATCH_SIZE": 50,
    "TICKETS_WEBHOOK_CONCURRENCY": 8,
    #: Seconds after which a delivery claimed by a worker that stopped answering is queued again.
    "TICKETS_WEBHOOK_CLAIM_TIMEOUT": 300,
}
