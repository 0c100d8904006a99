"""Pages of the mail feature: the admins' outbox page and the development mailbox.

- ``tickets.outbox``: ``/{tenant}/admin/outbox`` — the tenant's emails and their state,
  failed ones first, with a retry button. Admins only; everyone else gets 404.
- ``tickets_devmail``: ``/_tickets/mail/`` — the ``.eml`` files the file transport
  wrote, readable in the browser. Development only (TICKETS_MAIL_DEV_PAGE, by default
  on in debug mode with the file transport); otherwise 404. It is outside the
  tenant prefix because it shows the whole machine's mail, which is exactly why it
  never exists in production.
"""

import os
import re
from email import policy
from email.parser import BytesHeaderParser, BytesParser

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..db import begin_write, session
from ..models import OutboxEmail, OutboxStatus, utcnow
from ..tenancy.current import get_current_user
from ..tenancy.resolve import current_tenant
from ..web.forms import parse_row_id
from ..web.security import apply_security_headers
from .transport import mail_directory, transport_name

outbox_bp = Blueprint("outbox", __name__)
devmail_bp = Blueprint("tickets_devmail", __name__)

STATUS_ORDER = [OutboxStatus.FAILED, OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT]
PAGE_SIZE = 50


# -- the admins' outbox page ---------------------------------------------------------


@outbox_bp.before_request
def _admins_only():
    user = get_current_user()
    if user is None or not user.is_admin:
        abort(404)


def retry_failed(tenant_id, ids=None):
    """Queue failed emails again (all of a tenant, or the given ids); return how many."""
    begin_write()
    stmt = sa.update(OutboxEmail).where(OutboxEmail.status == OutboxStatus.FAILED.value)
    if tenant_id is not None:
        stmt = stmt.where(OutboxEmail.tenant_id == tenant_id)
    if ids is not None:
        stmt = stmt.where(OutboxEmail.id.in_(ids))
    count = session.execute(
        stmt.values(
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=utcnow(),
            claimed_by=None,
            claimed_at=None,
        ).execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return count


@outbox_bp.get("/")
def outbox_list():
    """List the tenant's outbox: counts per state and the latest emails of the chosen state."""
    counts = dict(
        session.execute(
            sa.select(OutboxEmail.status, sa.func.count())
            .where(OutboxEmail.tenant_id == current_tenant.id)
            .group_by(OutboxEmail.status)
        ).all()
    )
    status = request.args.get("status")
    if status not in {s.value for s in OutboxStatus}:
        status = OutboxStatus.FAILED.value if counts.get(OutboxStatus.FAILED.value) else None
    q = " ".join(request.args.get("q", "").split())[:200]
    stmt = sa.select(OutboxEmail).where(OutboxEmail.tenant_id == current_tenant.id)
    if status:
        stmt = stmt.where(OutboxEmail.status == status)
    if q:
        # A recipient (address or name) or a ticket: "TKT-000042" is in every subject of that ticket.
        stmt = stmt.where(
            sa.or_(
                OutboxEmail.recipient_email.icontains(q, autoescape=True),
                OutboxEmail.recipient_name.icontains(q, autoescape=True),
                OutboxEmail.subject.icontains(q, autoescape=True),
            )
        )
    before = parse_row_id(request.args.get("before", ""))
    if before is not None:
        stmt = stmt.where(OutboxEmail.id < before)
    emails = session.scalars(stmt.order_by(OutboxEmail.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(emails) > PAGE_SIZE
    emails = emails[:PAGE_SIZE]
    return render_template(
        "xobito_tickets/mail/outbox.html",
        emails=emails,
        counts=counts,
        statuses=STATUS_ORDER,
        status=status,
        q=q,
        page_size=PAGE_SIZE,
        next_before=emails[-1].id if more else None,
        paged=before is not None,
    )


@outbox_bp.post("/retry")
def outbox_retry():
    """Queue the tenant's failed emails again (one, with ``id``, or all)."""
    ids = None
    if request.form.get("id"):
        row_id = parse_row_id(request.form["id"])
        if row_id is None:
            abort(400)  # no such row; PostgreSQL would refuse to compare it with the column
        ids = [row_id]
    count = retry_failed(current_tenant.id, ids)
    flash(
        ngettext("%(num)d email queued again.", "%(num)d emails queued again.", count)
        if count
        else _("Nothing to retry."),
        "success",
    )
    return redirect(url_for("tickets.outbox.outbox_list"), 303)


# -- the development mailbox ---------------------------------------------------------

_FILE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,200}\.eml$")
DEV_PAGE_SIZE = 50
#: Bytes read from each file to list it: its headers, not its parts.
_HEADER_BYTES = 16 * 1024


def dev_page_enabled(app=None):
    """Return True if the development mailbox is served (TICKETS_MAIL_DEV_PAGE, default: debug + files)."""
    app = app or current_app
    setting = app.config.get("TICKETS_MAIL_DEV_PAGE")
    if setting is not None:
        return bool(setting)
    return app.debug and transport_name(app) == "file"


def dev_mailbox_url():
    """Jinja global: the development mailbox's URL, or None when it is off."""
    if not dev_page_enabled():
        return None
    return url_for("tickets_devmail.mailbox")


@devmail_bp.before_request
def _development_only():
    if not dev_page_enabled():
        abort(404)


devmail_bp.after_request(apply_security_headers)


@devmail_bp.after_request
def _never_cache(response):
    # Reset links are in here: no cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


def _read(name):
    if not _FILE_RE.match(name):
        abort(404)
    path = os.path.join(mail_directory(), name)
    try:
        with open(path, "rb") as handle:
            return BytesParser(policy=policy.default).parse(handle)
    except OSError:
        abort(404)


def _part(message, subtype):
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""


def _headers(directory, name):
    """Parse only the headers of a captured email (listing 500 emails must not parse 500 bodies)."""
    with open(os.path.join(directory, name), "rb") as handle:
        head = handle.read(_HEADER_BYTES)
    end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0), default=len(head))
    return BytesHeaderParser(policy=policy.default).parsebytes(head[:end])


@devmail_bp.get("/")
def mailbox():
    """List the captured emails, newest first, a page at a time, filtered by recipient, subject or ticket."""
    directory = mail_directory()
    try:
        names = sorted((n for n in os.listdir(directory) if _FILE_RE.match(n)), reverse=True)
    except FileNotFoundError:
        names = []
    q = " ".join(request.args.get("q", "").split())[:200]
    after = request.args.get("after", "")
    if _FILE_RE.match(after):
        names = [n for n in names if n < after]
    emails = []
    for name in names:
        if len(emails) > DEV_PAGE_SIZE:
            break
        try:
            headers = _headers(directory, name)
        except OSError:
            continue
        email = {"name": name, "to": str(headers["To"] or ""), "subject": str(headers["Subject"] or "")}
        if q and q.casefold() not in (email["to"] + " " + email["subject"]).casefold():
            continue
        email["date"] = headers["Date"]
        emails.append(email)
    more = len(emails) > DEV_PAGE_SIZE
    emails = emails[:DEV_PAGE_SIZE]
    return render_template(
        "xobito_tickets/mail/dev_mailbox.html",
        emails=emails,
        q=q,
        next_after=emails[-1]["name"] if more else None,
        paged=bool(after),
        directory=directory,
    )


@devmail_bp.get("/<name>")
def mailbox_email(name):
    """Show one captured email: its headers and its text part."""
    message = _read(name)
    headers = [(key, str(value)) for key, value in message.items()]
    return render_template(
        "xobito_tickets/mail/dev_email.html", name=name, headers=headers, text=_part(message, "plain")
    )


@devmail_bp.get("/<name>/html")
def mailbox_email_html(name):
    """Serve the HTML part of a captured email, sandboxed: no script, no requests."""
    message = _read(name)
    response = current_app.make_response(_part(message, "html"))
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    return response
