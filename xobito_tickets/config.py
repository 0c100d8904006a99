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
    #: How the tenant is found: ``"path"`` (``/{subdomain}/...``), ``"subdomain"``
    #: (``{subdomain}.example.com``, needs SERVER_NAME) or ``"single"`` (one fixed
    #: tenant, TICKETS_TENANT).
    "TICKETS_TENANCY": "path",
    #: The tenant slug used in ``"single"`` tenancy mode.
    "TICKETS_TENANT": None,
    #: URL prefix the module's pages are mounted under (``""`` or e.g. ``"/support"``).
    "TICKETS_URL_PREFIX": "",
    #: The template every page extends. A host points this at its own layout, which
    #: must provide a ``content`` block (and may provide ``title`` and ``head``).
    "TICKETS_BASE_TEMPLATE": "xobito_tickets/layout.html",
    #: Public base URL used in links inside emails (never taken from the Host header),
    #: e.g. ``"https://help.example.com"``. Empty: ``http://localhost:5000``.
    "TICKETS_BASE_URL": "http://localhost:5000",
    #: Sender address of notification emails (falls back to MAIL_DEFAULT_SENDER).
    "TICKETS_MAIL_SENDER": None,
    #: Send the security headers (CSP, nosniff, frame-ancestors, Referrer-Policy,
    #: no-store for logged-in pages) on the module's responses.
    "TICKETS_SECURITY_HEADERS": True,
    #: Failed logins allowed per account / per client address within the window.
    "TICKETS_LOGIN_MAX_FAILURES_ACCOUNT": 5,
    "TICKETS_LOGIN_MAX_FAILURES_ADDRESS": 20,
    #: The window for the login limits, in seconds.
    "TICKETS_LOGIN_WINDOW": 15 * 60,
    #: Whether new tenants allow customer self sign-up (each tenant can change it).
    "TICKETS_DEFAULT_ALLOW_SIGNUP": True,
}
