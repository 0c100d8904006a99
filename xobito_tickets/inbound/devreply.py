"""The development mailbox's "Reply to this email" button: the answer goes through the real ingest.

It writes what a mail client would send (From the recipient, To the Reply-To address,
In-Reply-To and References, the notification quoted below) and hands it to :func:`ingest`,
so the demo shows the whole path. Development only, like the mailbox itself.
"""

import os
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..db import session
from ..mail.transport import mail_directory
from ..mail.views import dev_page_enabled
from ..models import Tenant
from ..web.security import apply_security_headers, check_csrf
from .addresses import parse_inbound_address
from .ingest import _THREAD_ROOT, TemporaryFailure, ingest, tenant_by_slug

bp = Blueprint("tickets_devreply", __name__)

#: The names the file transport gives captured emails (as the mailbox pages accept them).
_FILE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,200}\.eml$")
bp.after_request(apply_security_headers)


class DevReplyForm(FlaskForm):
    body = TextAreaField("Your answer", validators=[DataRequired("Write an answer."), Length(max=5000)])


@bp.before_request
def _development_only():
    if not dev_page_enabled():
        abort(404)
    # Outside the tickets blueprint, so its CSRF check is not inherited: a host without
    # CSRFProtect must still refuse a forged answer.
    check_csrf()


def _notification(name):
    if not _FILE_RE.match(name):
        abort(404)
    try:
        with open(os.path.join(mail_directory(), name), "rb") as handle:
            return BytesParser(policy=policy.default).parse(handle)
    except OSError:
        abort(404)


def _tenant_of(message, domain):
    """Return the tenant an answer to ``message`` goes to: the Reply-To's, else the thread root's."""
    reply_to = message.get("Reply-To")
    if reply_to is not None and reply_to.addresses:
        inbound = parse_inbound_address(reply_to.addresses[0].addr_spec, domain)
        if inbound is not None:
            return tenant_by_slug(inbound.tenant_slug)
    match = _THREAD_ROOT.match(str(message.get("In-Reply-To") or ""))
    return session.get(Tenant, int(match.group(1))) if match else None


def build_answer(message, text):
    """Return the bytes of the answer a mail client would send to ``message``."""
    answer = EmailMessage()
    answer["From"] = str(message["To"])
    answer["To"] = str(message.get("Reply-To") or message["From"])
    answer["Subject"] = "Re: " + str(message["Subject"])
    answer["Message-ID"] = make_msgid(domain="dev-mail-client.invalid")
    answer["In-Reply-To"] = str(message["Message-ID"])
    answer["References"] = " ".join(filter(None, [str(message.get("References") or ""), str(message["Message-ID"])]))
    part = message.get_body(preferencelist=("plain",))
    quoted = "\n".join("> " + line for line in (part.get_content() if part is not None else "").splitlines())
    answer.set_content(f"{text.strip()}\n\nOn {message['Date']}, {message['From']} wrote:\n{quoted}\n")
    return answer.as_bytes()


@bp.post("/<name>/reply")
def mailbox_reply(name):
    """Answer a captured notification as its recipient would, through the inbound ingest."""
    message = _notification(name)
    form = DevReplyForm()
    if not form.validate_on_submit():
        flash("Write an answer (at most 5000 characters).", "error")
        return redirect(url_for("tickets_devmail.mailbox_email", name=name), code=303)
    tenant = _tenant_of(message, current_app.config.get("TICKETS_INBOUND_DOMAIN"))
    if tenant is None:
        flash("This email belongs to no workspace's ticket.", "error")
        return redirect(url_for("tickets_devmail.mailbox_email", name=name), code=303)
    try:
        result = ingest(tenant, build_answer(message, form.body.data), "demo")
    except TemporaryFailure:
        flash("The answer could not be stored now; try again.", "error")
        return redirect(url_for("tickets_devmail.mailbox_email", name=name), code=303)
    where = f" on {result.ticket_number}" if result.ticket_number else ""
    flash(f"Answer received: {result.outcome.replace('_', ' ')}{where}. {result.reason}".strip(), "success")
    return redirect(url_for("tickets_devmail.mailbox"), code=303)
