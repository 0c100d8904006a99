"""The one entry of inbound email (SPEC §15): ``ingest(tenant, raw, source)``.

Every door (stdin, IMAP, HTTP, the development mailbox) calls :func:`ingest`. A message
becomes a reply or a new ticket through the ticket services, so emails, counts, history and
signals are as for the web; the inbound log row is written inside that same transaction
(by the receivers at the end of this module), so a message is logged exactly when its
change committed. Ignored and quarantined messages are logged in a transaction of their own.
A failure to store anything now raises :class:`TemporaryFailure`: the door then leaves the
message where it is (exit 75, unflagged, 503) to be tried again.
"""

import contextvars
import io
import re
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from .. import signals
from ..cc.services import is_cc
from ..db import session
from ..errors import ServiceError
from ..models import (
    Department,
    Role,
    Tenant,
    Ticket,
    TicketStatus,
    User,
    format_ticket_number,
    parse_ticket_number,
    utcnow,
)
from ..team.services import create_user, normalize_email
from ..tickets.access import can_see_ticket
from ..tickets.services import open_ticket, post_reply
from ..tickets.storage import get_storage
from ..tickets.sweep import register_key_column
from ..tickets.uploads import UploadedFile, UploadRejected, check_content, clean_filename, extension_of
from .addresses import department_slug, parse_inbound_address
from .models import InboundMessage, InboundOutcome, SentMessageId
from .parse import ParsedMessage, header_block, parse_message
from .settings import default_department
from .tokens import read_reply_token

_SUBJECT_TAG = re.compile(r"\[(TKT-\d{6,12})\]")
_THREAD_ROOT = re.compile(r"^<ticket-(\d+)-(\d+)@")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|tr|rif|ref)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)

#: The inbound log row that the running ingest wants written with its ticket change.
_pending_log = contextvars.ContextVar("xobito_tickets_inbound_pending_log", default=None)


class TemporaryFailure(Exception):
    """The message could not be stored now; the door must leave it to be tried again."""


@dataclass
class IngestResult:
    """What became of one message: the log row's outcome and reason, and the ticket if any."""

    outcome: str
    reason: str = ""
    ticket_number: str | None = None
    log_id: int | None = None
    duplicate: bool = False


def _config(key):
    return current_app.config[key]


def _limit_reached(tenant, sender):
    limit = _config("TICKETS_INBOUND_MAX_NEW_PER_HOUR")
    if not limit:
        return False
    since = utcnow() - timedelta(hours=1)
    count = session.scalar(
        sa.select(sa.func.count(InboundMessage.id)).where(
            InboundMessage.tenant_id == tenant.id,
            InboundMessage.sender == sender,
            InboundMessage.outcome == InboundOutcome.NEW_TICKET,
            InboundMessage.received_at >= since,
        )
    )
    return count >= limit


# The raw messages live in the attachment storage: the storage sweep must keep every file a log row names.
register_key_column(InboundMessage.raw_key)


def _store_raw(tenant, raw):
    try:
        return get_storage().save(tenant.id, io.BytesIO(raw))
    except OSError as exc:
        raise TemporaryFailure(f"could not store the raw message: {exc}") from exc


def _discard_raw(key):
    if key:
        try:
            get_storage().delete(key)
        except OSError:
            current_app.logger.exception("could not remove the raw message %s", key)


def _log_row(tenant, parsed, source, raw_key, size, outcome, reason, ticket=None):
    return InboundMessage(
        tenant_id=tenant.id,
        source=source,
        sender=parsed.sender[:254],
        sender_name=parsed.sender_name[:200],
        subject=parsed.subject[:255],
        message_id=parsed.message_id[:255] or None,
        outcome=outcome,
        reason=reason[:255],
        ticket_id=ticket.id if ticket is not None else None,
        raw_key=raw_key,
        size=size,
    )


def _record(tenant, parsed, source, raw_key, size, outcome, reason, ticket=None):
    """Write a log row of an ignored or quarantined message in a transaction of its own."""
    row = _log_row(tenant, parsed, source, raw_key, size, outcome, reason, ticket)
    try:
        session.add(row)
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        _discard_raw(raw_key)
        if _already_received(tenant, parsed):
            return IngestResult(outcome, "already received", duplicate=True)
        raise TemporaryFailure(f"could not write the inbound log: {exc}") from exc
    except sa.exc.SQLAlchemyError as exc:
        session.rollback()
        _discard_raw(raw_key)
        raise TemporaryFailure(f"could not write the inbound log: {exc}") from exc
    return IngestResult(outcome, reason, ticket.display_number if ticket is not None else None, row.id)


def _user_by_email(tenant, email):
    return session.scalar(sa.select(User).where(User.tenant_id == tenant.id, User.email == normalize_email(email)))


def _is_cc(ticket, email):
    """Return True if ``email`` is a CC of ``ticket`` (SPEC §14: CCs may answer by email)."""
    return is_cc(ticket, email)


def _our_addresses():
    sender = current_app.config.get("TICKETS_MAIL_SENDER") or current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    if isinstance(sender, tuple | list):
        sender = sender[1]
    from_address = sender.rpartition("<")[2].rstrip(">").strip().lower()
    return {from_address} if from_address else set()


def _ticket_from_token(tenant, parsed):
    """Return (ticket, token, problem) for the first reply token addressed to this tenant."""
    domain = (_config("TICKETS_INBOUND_DOMAIN") or "").lower()
    for address in parsed.recipients:
        inbound = parse_inbound_address(address, domain)
        if inbound is None or inbound.token is None or inbound.tenant_slug != tenant.slug:
            continue
        token = read_reply_token(current_app.config["SECRET_KEY"], tenant.id, inbound.token)
        if token is None:
            return None, None, "reply token not valid for this workspace"
        ticket = session.get(Ticket, token.ticket_id)
        if ticket is None or ticket.tenant_id != tenant.id:
            return None, None, "reply token names no ticket of this workspace"
        return ticket, token, None
    return None, None, None


def _ticket_from_thread(tenant, parsed):
    ids = parsed.thread_ids
    if not ids:
        return None
    found = session.scalar(
        sa.select(SentMessageId.ticket_id)
        .where(SentMessageId.tenant_id == tenant.id, SentMessageId.message_id.in_(ids[:100]))
        .limit(1)
    )
    if found is not None:
        return session.get(Ticket, found)
    for mid in ids:
        match = _THREAD_ROOT.match(mid)
        if match and int(match.group(1)) == tenant.id and int(match.group(2)) <= 2**31 - 1:
            ticket = session.scalar(
                sa.select(Ticket).where(Ticket.tenant_id == tenant.id, Ticket.number == int(match.group(2)))
            )
            if ticket is not None:
                return ticket
    return None


def _ticket_from_subject(tenant, parsed):
    match = _SUBJECT_TAG.search(parsed.subject)
    number = parse_ticket_number(match.group(1)) if match else None
    if number is None:
        return None
    return session.scalar(sa.select(Ticket).where(Ticket.tenant_id == tenant.id, Ticket.number == number))


def _follow_merges(ticket):
    """Return the ticket a merged ticket now lives in (the merge feature's ``merged_into_id``)."""
    seen = set()
    while ticket.merged_into_id and ticket.id not in seen:
        seen.add(ticket.id)
        target = session.get(Ticket, ticket.merged_into_id)
        if target is None or target.tenant_id != ticket.tenant_id:
            break
        ticket = target
    return ticket


def _may_post(ticket, user, sender):
    """Return True if the sender may post to ``ticket``: its requester, a CC, or staff who may see it."""
    if user is not None and not user.active:
        return False
    if user is not None and user.is_staff:
        return can_see_ticket(user, ticket)
    if user is not None and ticket.requester_id == user.id:
        return True
    return _is_cc(ticket, sender)


def _files(parsed):
    """Return (UploadedFile list, notes naming each refused file) by the rules of SPEC §6."""
    allowed = {ext.lower() for ext in _config("TICKETS_ALLOWED_EXTENSIONS")}
    max_size = _config("TICKETS_MAX_FILE_SIZE")
    max_files = _config("TICKETS_MAX_FILES")
    accepted, notes = [], []
    for item in parsed.files:
        name = clean_filename(item.filename)
        ext = extension_of(name)
        if ext not in allowed:
            notes.append(f"Not attached: {name} — type not allowed")
            continue
        if len(item.data) > max_size:
            notes.append(f"Not attached: {name} — larger than {max_size // (1024 * 1024)} MB")
            continue
        if len(accepted) >= max_files:
            notes.append(f"Not attached: {name} — more than {max_files} files")
            continue
        stream = io.BytesIO(item.data)
        try:
            content_type = check_content(ext, stream)
        except UploadRejected as exc:
            notes.append(f"Not attached: {name} — {str(exc).rstrip('.')}")
            continue
        accepted.append(UploadedFile(filename=name, content_type=content_type, stream=stream, size=len(item.data)))
    return accepted, notes


def _text_and_files(parsed, limit, minimum):
    """Return (body text within ``limit``, files) or raise ValueError when there is no text, or too little."""
    files, notes = _files(parsed)
    text = parsed.reply_text.strip()
    if len(text) < minimum:
        text = parsed.text.strip()
    note_text = "\n".join(notes)
    room = limit - (len(note_text) + 2 if note_text else 0)
    if len(text) > room:
        whole = text.encode("utf-8")
        # Nothing is lost: the whole text travels as message.txt (it takes a file's place if need be).
        files = files[: _config("TICKETS_MAX_FILES") - 1]
        files.append(UploadedFile("message.txt", "text/plain; charset=utf-8", io.BytesIO(whole), len(whole)))
        text = text[: max(room, 0)].rstrip()
    body = "\n\n".join(part for part in (text, note_text) if part)
    if not body:
        raise ValueError("the message has no text")
    if len(body) < minimum:
        raise ValueError(f"the text is shorter than {minimum} characters")
    return body[:limit], files


def _new_ticket_subject(parsed):
    subject = _REPLY_PREFIX.sub("", parsed.subject).strip()
    return subject[: _config("TICKETS_SUBJECT_MAX")] or "(no subject)"


def _addressed_department(tenant, parsed):
    """Return the active department named by a ``{subdomain}+{slug}@`` recipient, else None."""
    domain = (_config("TICKETS_INBOUND_DOMAIN") or "").lower()
    slugs = []
    for address in parsed.recipients:
        inbound = parse_inbound_address(address, domain)
        if inbound is not None and inbound.tenant_slug == tenant.slug and inbound.department:
            slugs.append(inbound.department)
    if not slugs:
        return None
    return department_by_slug(tenant, slugs[0])


def department_by_slug(tenant, slug):
    """Return the active department of ``tenant`` whose address slug is ``slug``, or None."""
    for department in active_departments_of(tenant):
        if department_slug(department.name) == slug:
            return department
    return None


def active_departments_of(tenant):
    """Return the tenant's active departments by name."""
    return session.scalars(
        sa.select(Department)
        .where(Department.tenant_id == tenant.id, Department.active.is_(True))
        .order_by(Department.name, Department.id)
    ).all()


def _post(tenant, parsed, source, raw_key, size, action):
    """Run ``action`` (a service call) with the inbound log row written in its transaction."""
    log = _log_row(tenant, parsed, source, raw_key, size, "", "")
    state = {"row": log}
    reset = _pending_log.set(state)
    try:
        result = action()
    except ServiceError as exc:
        session.rollback()
        return None, str(exc.message)
    except sa.exc.IntegrityError as exc:
        session.rollback()
        _discard_raw(raw_key)
        if _already_received(tenant, parsed):
            # Another process handled the same message a moment ago: once is once.
            return IngestResult(InboundOutcome.IGNORED, "already received", duplicate=True), None
        raise TemporaryFailure(str(exc)) from exc
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        # Any other database or storage failure: the message must not be lost, so the door
        # leaves it to be tried again (exit 75, unflagged, 503).
        session.rollback()
        _discard_raw(raw_key)
        raise TemporaryFailure(str(exc)) from exc
    finally:
        _pending_log.reset(reset)
    ticket = result.ticket if hasattr(result, "ticket") else result
    return IngestResult(log.outcome, log.reason, ticket.display_number, log.id), None


def _customer_for(tenant, parsed):
    """Return the sender's customer account, made without a password where sign-up is allowed; or a reason."""
    user = _user_by_email(tenant, parsed.sender)
    if user is not None:
        if not user.active:
            return None, "the sender's account is deactivated"
        if user.is_staff:
            return None, "a staff member's email names no ticket"
        return user, None
    if not tenant.allow_signup:
        return None, "unknown sender, and this workspace does not allow sign-up"
    name = parsed.sender_name or parsed.sender.partition("@")[0]
    try:
        user = create_user(tenant, parsed.sender, name[:200], role=Role.CUSTOMER, password=None)
    except ServiceError as exc:
        session.rollback()
        return None, exc.message
    return user, None


def _open(tenant, parsed, source, raw_key, size, requester, department, follow_up_of=None):
    if department is None:
        return None, "no active department to open a ticket in"
    try:
        body, files = _text_and_files(parsed, _config("TICKETS_BODY_MAX") - 40, _config("TICKETS_BODY_MIN"))
    except ValueError as exc:
        return None, str(exc)
    subject = _new_ticket_subject(parsed)
    if follow_up_of is not None:
        body = f"Follow-up to {follow_up_of.display_number}\n\n{body}"
        subject = follow_up_of.subject
    state_extra = {"follow_up_of_id": follow_up_of.id if follow_up_of is not None else None}

    def action():
        _pending_log.get()["extra"] = state_extra
        return open_ticket(tenant, requester, department, subject, body, files=files)

    return _post(tenant, parsed, source, raw_key, size, action)


def _reply(tenant, parsed, source, raw_key, size, ticket, author):
    try:
        body, files = _text_and_files(parsed, _config("TICKETS_REPLY_MAX"), _config("TICKETS_REPLY_MIN"))
    except ValueError as exc:
        return None, str(exc)
    return _post(tenant, parsed, source, raw_key, size, lambda: post_reply(ticket, author, body, files=files))


def _decide(tenant, parsed, source, raw_key, size):
    """Match the message to a ticket and post it; return (IngestResult or None, quarantine reason)."""
    sender = parsed.sender
    user = _user_by_email(tenant, sender)
    ticket, token, problem = _ticket_from_token(tenant, parsed)
    if problem:
        return None, problem
    if token is not None and not token.is_for(sender):
        return None, "reply token of another recipient"
    if ticket is None:
        ticket = _ticket_from_thread(tenant, parsed) or _ticket_from_subject(tenant, parsed)
    if ticket is None:
        if _limit_reached(tenant, sender):
            return None, "too many new tickets from this sender in the last hour"
        requester, reason = _customer_for(tenant, parsed)
        if requester is None:
            return None, reason
        department = _addressed_department(tenant, parsed) or default_department(tenant)
        return _open(tenant, parsed, source, raw_key, size, requester, department)
    ticket = _follow_merges(ticket)
    # With a token the sender is its recipient; the sender must still be allowed on the ticket now.
    if not _may_post(ticket, user, sender):
        return None, "the sender may not post to " + ticket.display_number
    if user is None:
        # A CC without an account answers as a customer account without a password (made now,
        # whatever the sign-up setting: someone on the ticket copied them). It gives no portal
        # access to the ticket: that stays the requester's.
        name = parsed.sender_name or parsed.sender.partition("@")[0]
        try:
            user = create_user(tenant, parsed.sender, name[:200], role=Role.CUSTOMER, password=None)
        except ServiceError as exc:
            session.rollback()
            return None, exc.message
    if ticket.status == TicketStatus.CLOSED.value:
        if user.is_staff:
            return None, f"{ticket.display_number} is closed"
        if _limit_reached(tenant, sender):
            return None, "too many new tickets from this sender in the last hour"
        department = ticket.department if ticket.department.active else default_department(tenant)
        return _open(tenant, parsed, source, raw_key, size, user, department, follow_up_of=ticket)
    return _reply(tenant, parsed, source, raw_key, size, ticket, user)


def _already_received(tenant, parsed):
    if not parsed.message_id:
        return False
    return (
        session.scalar(
            sa.select(InboundMessage.id).where(
                InboundMessage.tenant_id == tenant.id,
                InboundMessage.sender == parsed.sender,
                InboundMessage.message_id == parsed.message_id,
            )
        )
        is not None
    )


def _is_echo(tenant, parsed):
    if parsed.message_id and session.get(SentMessageId, parsed.message_id) is not None:
        return "our own notification came back"
    if parsed.sender in _our_addresses():
        return "sent by the helpdesk itself"
    return None


def ingest(tenant, raw, source):
    """Handle one RFC 5322 message sent to ``tenant``; return an :class:`IngestResult`.

    Raises :class:`TemporaryFailure` when the message could not be stored now.
    """
    raw = bytes(raw or b"")
    size = len(raw)
    try:
        if size > _config("TICKETS_INBOUND_MAX_BYTES"):
            parsed = parse_message(header_block(raw))
            parsed.problem = f"larger than {_config('TICKETS_INBOUND_MAX_BYTES') // (1024 * 1024)} MB"
            return _record(tenant, parsed, source, None, size, InboundOutcome.QUARANTINED, parsed.problem)
        parsed = parse_message(raw)
        if parsed.problem is None and _already_received(tenant, parsed):
            return IngestResult(InboundOutcome.IGNORED, "already received", duplicate=True)
        session.rollback()  # end the read; the writes below start their own transactions
    except sa.exc.SQLAlchemyError as exc:
        session.rollback()
        raise TemporaryFailure(str(exc)) from exc
    raw_key = _store_raw(tenant, raw)
    if parsed.problem:
        return _record(tenant, parsed, source, raw_key, size, InboundOutcome.QUARANTINED, parsed.problem)
    reason = parsed.noise or _is_echo(tenant, parsed)
    if reason:
        return _record(tenant, parsed, source, raw_key, size, InboundOutcome.IGNORED, reason)
    try:
        result, problem = _decide(tenant, parsed, source, raw_key, size)
    except TemporaryFailure:
        raise
    except sa.exc.SQLAlchemyError as exc:
        session.rollback()
        _discard_raw(raw_key)
        raise TemporaryFailure(str(exc)) from exc
    if result is not None:
        return result
    return _record(tenant, parsed, source, raw_key, size, InboundOutcome.QUARANTINED, problem or "not matched")


def read_raw(row):
    """Return the stored raw bytes of an inbound log row (b"" when none was kept)."""
    if not row.raw_key:
        return b""
    with get_storage().open(row.raw_key) as stream:
        return stream.read()


def tenant_by_slug(slug):
    """Return the active tenant with ``slug``, or None."""
    return session.scalar(sa.select(Tenant).where(Tenant.slug == str(slug or "").lower(), Tenant.active.is_(True)))


# -- receivers: the inbound log row joins the transaction of the change it caused ----------


def _on_change(outcome):
    def receiver(sender, ticket, actor, **extra):
        state = _pending_log.get()
        if state is None or state.get("done"):
            return
        state["done"] = True
        row = state["row"]
        row.outcome = outcome
        row.ticket_id = ticket.id
        more = state.get("extra") or {}
        row.follow_up_of_id = more.get("follow_up_of_id")
        if row.follow_up_of_id:
            row.reason = f"follow-up to {format_ticket_number(session.get(Ticket, row.follow_up_of_id).number)}"
        session.add(row)
        session.flush()

    return receiver


_on_created = _on_change(InboundOutcome.NEW_TICKET)
_on_replied = _on_change(InboundOutcome.REPLY)


def connect_receivers():
    """Connect the receivers that write the inbound log inside the ticket services' transaction."""
    signals.ticket_created.connect(_on_created)
    signals.reply_posted.connect(_on_replied)


def pending_parse(raw):
    """Return the parsed message of ``raw`` (for the log pages)."""
    return parse_message(raw) if raw else ParsedMessage(problem="no raw message kept")
