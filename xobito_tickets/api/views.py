"""REST API v1 (SPEC §17) under ``/{subdomain}/api/v1/``: bearer tokens only, JSON answers.

One guard for the blueprint authenticates the token, counts it against its rate limit and
refuses writes of a read-only token; each view then loads through ``tickets.access`` (a miss
is 404) and calls the same service as the web page.
"""

import json
import weakref

import sqlalchemy as sa
from flask import Blueprint, current_app, g, render_template, request, url_for
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import HTTPException
from wtforms.fields.choices import SelectChoice

from ..auth.twofactor_service import held_at_enrolment
from ..db import session
from ..errors import ServiceError
from ..mail.outbox import external_url
from ..models import Attachment, Department, MessageKind, Priority, Reply, Ticket, User
from ..tenancy import resolve as tenancy
from ..tenancy.resolve import current_tenant
from ..tickets.access import (
    active_departments,
    assignment_choices,
    can_see_ticket,
    department_choices,
    get_attachment_or_404,
    get_ticket_or_404,
    staff_choices,
    visible_tickets_clause,
)
from ..tickets.downloads import send_attachment
from ..tickets.forms import ReplyForm, TicketCreateForm
from ..tickets.listing import SORTS, TicketFilters, decode_cursor, paginate_tickets
from ..tickets.services import close_ticket, open_ticket, post_reply, reopen_ticket
from ..web.ratelimit import limit_posting
from ..web.security import apply_security_headers
from ..workspace.forms import ComposerForm
from ..workspace.models import Tag, TicketTag
from ..workspace.queue import TABS, QueueFilters
from ..workspace.services import add_note, save_properties
from . import docs, present, schemas
from .idempotency import idempotent
from .inputs import InputError, read_body, validate_body, validate_form
from .spec import TicketListQuerySchema, documented, spec_json
from .tokens import RateCounter, find_token

bp = Blueprint("tickets_api", __name__)
bp.url_defaults(tenancy.add_tenant_to_urls)

#: Methods a read-only token may use.
READ_METHODS = ("GET", "HEAD", "OPTIONS")
#: Pages of the document itself, open without a token (it describes the API, nothing of the tenant).
PUBLIC_ENDPOINTS = {"tickets_api.openapi_document", "tickets_api.openapi_page"}
#: Each app's per-token request counts (their totals live in the database).
_RATE_COUNTERS = weakref.WeakKeyDictionary()
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class ApiError(HTTPException):
    """An error answer with a message (and optional headers)."""

    def __init__(self, code, message, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra_headers = headers or {}


def _json(payload, status=200, headers=None):
    response = current_app.response_class(
        json.dumps(payload, separators=(",", ":")), status=status, mimetype="application/json"
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _dump(schema, data, status=200, headers=None):
    return _json(schema().dump(data), status, headers)


ERROR_MESSAGES = {
    400: "The request could not be understood.",
    401: "Send a valid token: Authorization: Bearer <token>.",
    403: "This token may not do that.",
    404: "Not found, or not visible to this token.",
    405: "This method is not allowed here.",
    413: "The request is too large. Each file may be at most 10 MB, and at most 5 files at once.",
    415: "Send JSON (Content-Type: application/json) or multipart/form-data.",
    429: "Too many requests for this token.",
    500: "Something went wrong; it has been logged.",
}


@bp.url_value_preprocessor
def _tenant_and_no_csrf(endpoint, values):
    """Find the URL's tenant (or 404), and keep a CSRF check of the app (Flask-WTF) off the API.

    It runs before the app's own before_request functions, so it works whether the host set up
    CSRFProtect before or after the helpdesk. Bearer tokens are not sent by browsers on their
    own, which is why the API needs no CSRF token.
    """
    csrf = current_app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
    tenancy.pull_tenant(endpoint, values)


def _http_error(error):
    """Answer every error of the API as JSON."""
    code = error.code or 500
    message = getattr(error, "message", None) or ERROR_MESSAGES.get(code) or error.name
    headers = dict(getattr(error, "extra_headers", {}))
    if code == 429 and getattr(error, "retry_after", None):
        # The web's posting limit (web.ratelimit) says how long to wait.
        headers.setdefault("Retry-After", str(int(error.retry_after)))
    if code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    return _json({"error": message}, code, headers)


# By code as well as by class: Flask looks for a handler of the code (the app's HTML pages
# register some) before it looks for one of the class.
bp.register_error_handler(HTTPException, _http_error)
for _code in ERROR_MESSAGES:
    bp.register_error_handler(_code, _http_error)


@bp.errorhandler(InputError)
def _input_error(error):
    return _json({"errors": error.errors}, 422)


@bp.before_request
def _authenticate():
    """Find the person of the bearer token (cookies are never looked at), count the request."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Send a token: Authorization: Bearer <token>.")
    found = find_token(current_tenant.id, token.strip())
    if found is None:
        raise ApiError(401, "The token is unknown, revoked, or its person is inactive.")
    row, user = found
    if held_at_enrolment(user, current_tenant):
        # Not 401: the token is good, its person must set up two-factor login before it works again.
        raise ApiError(
            403, "This workspace requires two-factor login: set it up on your profile page, then the token works."
        )
    config = current_app.config
    counter = _RATE_COUNTERS.setdefault(current_app._get_current_object(), RateCounter())
    wait = counter.count(row.id, int(config["TICKETS_API_RATE_LIMIT"]), int(config["TICKETS_API_RATE_WINDOW"]))
    if wait:
        raise ApiError(429, f"Too many requests for this token: wait {wait} seconds.", {"Retry-After": str(wait)})
    if request.method not in READ_METHODS and row.read_only:
        raise ApiError(403, "This token is read-only.")
    # The API's person is the token's, never a session's: get_current_user() answers this.
    g.tickets_user = user
    g.api_token = row
    return None


@bp.after_request
def _headers(response):
    """The pages' security headers (the reference page is HTML); answers are never stored."""
    response.headers.setdefault("Cache-Control", "no-store")
    return apply_security_headers(response)


def _user():
    return g.tickets_user


def _require_staff(what):
    if not _user().is_staff:
        raise ApiError(403, f"Only staff can {what}.")


# -- tickets -------------------------------------------------------------------------------

_DETAIL_OPTIONS = (joinedload(Ticket.department), joinedload(Ticket.requester), joinedload(Ticket.assignee))


def _load(number):
    return get_ticket_or_404(number, _user(), *_DETAIL_OPTIONS)


#: The closed times of a list page's tickets; with their tags for staff. Built once (their SQL
#: cache keys stay warm): building them on each request cost as much as running them.
_PAGE_CLOSED = sa.select(Ticket.id, Ticket.closed_at).where(
    Ticket.tenant_id == sa.bindparam("tenant_id"), Ticket.id.in_(sa.bindparam("ids", expanding=True))
)
_PAGE_CLOSED_AND_TAGS = (
    _PAGE_CLOSED.add_columns(Tag.name)
    .outerjoin(TicketTag, sa.and_(TicketTag.ticket_id == Ticket.id, TicketTag.tenant_id == Ticket.tenant_id))
    .outerjoin(Tag, Tag.id == TicketTag.tag_id)
)


def _closed_times_and_tags(tenant_id, ticket_ids, with_tags):
    """Return ``({ticket_id: closed_at}, {ticket_id: [tag names]})`` of a list page, in one statement.

    The list's rows (:class:`~xobito_tickets.tickets.listing.TicketRow`) carry neither. One
    statement for the whole page, run whatever the rows hold, keeps the list's cost the same
    for 1 row and 100. Tags are read only ``with_tags`` (staff).
    """
    if not ticket_ids:
        return {}, {}
    params = {"tenant_id": tenant_id, "ids": list(ticket_ids)}
    if not with_tags:
        return dict(session.execute(_PAGE_CLOSED, params).all()), {}
    closed, tags = {}, {}
    for ticket_id, closed_at, name in session.execute(_PAGE_CLOSED_AND_TAGS, params):
        closed[ticket_id] = closed_at
        if name is not None:
            tags.setdefault(ticket_id, []).append(name)
    # Sorted as the detail's tags are (workspace.services.ticket_tags): a list row equals the detail.
    return closed, {ticket_id: sorted(names, key=str.casefold) for ticket_id, names in tags.items()}


def _limit():
    raw = request.args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdecimal()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise InputError({"limit": [f"Use a whole number from 1 to {MAX_LIMIT}."]})
    return int(raw)


@bp.get("/tickets")
@documented(
    "get",
    "/tickets",
    "List tickets",
    {200: (schemas.StaffTicketPageSchema, schemas.CustomerTicketPageSchema)},
    query=TicketListQuerySchema,
    description="The tickets this token's person may see, newest activity first, with the queue's filters.",
)
def ticket_list():
    """List the tickets the token's person may see, filtered, one page per cursor."""
    user = _user()
    if user.is_staff and request.args.get("assignee", "") not in ("", "me", "none"):
        # Only a person named in the filter needs the staff list (to check it is one of them).
        departments, people = assignment_choices(current_tenant.id)
    else:
        departments, people = department_choices(current_tenant.id), ()
    if user.is_staff:
        filters = QueueFilters.from_args(request.args, departments, people)
        if request.args.get("tab") not in TABS:
            # The queue page opens on a tab; the API lists everything the person may see unless asked.
            filters.tab = None
    else:
        filters = TicketFilters.from_args(request.args, departments)
    limit = _limit()
    cursor = request.args.get("cursor")
    if cursor is not None and decode_cursor(cursor, filters.sort if filters.sort in SORTS else "activity") is None:
        raise InputError({"cursor": ["This is not a cursor of this list: use next_cursor as it was given."]})
    page = paginate_tickets(
        visible_tickets_clause(user), filters, cursor=cursor, per_page=limit, user=user, with_people=True
    )
    closed, tags = _closed_times_and_tags(current_tenant.id, [row.id for row in page.items], user.is_staff)
    rows = present.ListPresenter(current_tenant.slug, {d.id: d.name for d in departments}, user.is_staff)
    data = [rows.row(row, closed.get(row.id), tags.get(row.id, ())) for row in page.items]
    return _json({"data": data, "next_cursor": page.next_cursor})


def _thread(ticket, staff):
    """Return the ticket's files (sent with it) and its messages, notes only for staff."""
    stmt = (
        sa.select(Reply)
        .where(Reply.ticket_id == ticket.id, Reply.tenant_id == ticket.tenant_id)
        .options(joinedload(Reply.author))
        .order_by(Reply.created_at, Reply.id)
    )
    if not staff:
        # Internal notes are never part of a customer's view (SPEC §14), chosen in the query.
        stmt = stmt.where(Reply.kind == MessageKind.REPLY.value)
    replies = session.scalars(stmt).all()
    files = session.scalars(
        sa.select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
    ).all()
    by_reply = {}
    for row in files:
        by_reply.setdefault(row.reply_id, []).append(row)
    slug = current_tenant.slug
    messages = [present.message(r, slug, ticket.number, by_reply.get(r.id), kind=r.kind) for r in replies]
    first = [present.attachment(slug, ticket.number, f) for f in by_reply.get(None, ())]
    return first, messages


def _detail(ticket, status=200, headers=None):
    """Answer ``ticket`` with its thread, as the token's person may see it."""
    user = _user()
    staff = user.is_staff
    data = present.ticket(ticket, current_tenant.slug, staff)
    data["body"] = ticket.body
    data["attachments"], data["messages"] = _thread(ticket, staff)
    schema = schemas.StaffTicketDetailSchema if staff else schemas.CustomerTicketDetailSchema
    return _dump(schema, data, status, headers)


DETAIL = (schemas.StaffTicketDetailSchema, schemas.CustomerTicketDetailSchema)


def _ticket_location(ticket):
    return url_for("tickets_api.ticket_detail", number=ticket.display_number, _external=False)


@bp.post("/tickets")
@documented(
    "post",
    "/tickets",
    "Open a ticket",
    {201: DETAIL},
    body=schemas.TicketCreateSchema,
    multipart=schemas.TicketCreateSchema,
    write=True,
    description="As the portal's form: customers open tickets for themselves. JSON, or multipart with `attachments`.",
)
@idempotent
@limit_posting("ticket")
def ticket_create():
    """Open a ticket for the token's person (a customer), as the portal's form does."""
    user = _user()
    if user.is_staff:
        raise ApiError(403, "Tickets are opened by customers; staff act on existing tickets.")
    departments = {d.id: d for d in active_departments(current_tenant.id)}

    def offer_departments(form):
        form.department.choices = [SelectChoice(d.id, d.name) for d in departments.values()]

    form = validate_body(schemas.TicketCreateSchema(), TicketCreateForm, offer_departments)
    try:
        ticket = open_ticket(
            current_tenant,
            user,
            departments.get(form.department.data),
            form.subject.data,
            form.body.data,
            priority=Priority.from_key(form.priority.data),
            files=form.attachments.uploads,
        )
    except ServiceError as exc:
        raise InputError({exc.field or "_body": [exc.message]}) from None
    return _detail(_load(ticket.display_number), 201, {"Location": _ticket_location(ticket)})


@bp.get("/tickets/<number>")
@documented("get", "/tickets/{number}", "Get a ticket with its messages", {200: DETAIL}, path_params=("number",))
def ticket_detail(number):
    """Answer one ticket with its messages."""
    return _detail(_load(number))


@bp.patch("/tickets/<number>")
@documented(
    "patch",
    "/tickets/{number}",
    "Change priority, department, assignee or tags (staff)",
    {200: schemas.StaffTicketDetailSchema},
    body=schemas.TicketUpdateSchema,
    path_params=("number",),
    write=True,
    description=(
        "Only the fields sent change, each as the ticket page's side panel changes it (the same rules, history "
        "and emails). `tags` is the whole new set. Customers get 403."
    ),
)
def ticket_update(number):
    """Change the ticket's priority, department, assignee and tags (staff), with the web's rules."""
    ticket = _load(number)
    _require_staff("change a ticket")
    values = read_body(schemas.TicketUpdateSchema())
    errors = {}
    departments = {d.id: d for d in department_choices(current_tenant.id)}
    staff = {p.id: p for p in staff_choices(current_tenant.id)}
    department_id = values.get("department", ticket.department_id)
    if "department" in values:
        offered = departments.get(department_id)
        if offered is None or not (offered.active or offered.id == ticket.department_id):
            errors["department"] = ["Choose one of the listed departments."]
    assignee_id = values.get("assignee", ticket.assignee_id)
    if "assignee" in values and assignee_id is not None:
        person = staff.get(assignee_id)
        if person is None or not (person.active or person.id == ticket.assignee_id):
            errors["assignee"] = ["Choose a staff member or admin from the list, or nobody."]
    if errors:
        raise InputError(errors)
    user = _user()
    assignment = None
    if "department" in values or "assignee" in values:
        assignee = session.get(User, assignee_id) if assignee_id is not None else None
        assignment = (session.get(Department, department_id), assignee)
    try:
        # The side panel's service: one transaction (all parts stored or none, one email per
        # recipient), the assignment last as it may take the ticket out of the person's sight.
        ticket = save_properties(
            ticket,
            user,
            priority=Priority.from_key(values["priority"]) if "priority" in values else None,
            tags=values.get("tags"),
            assignment=assignment,
        )
    except ServiceError as exc:
        raise InputError({exc.field or "_body": [exc.message]}) from None
    if not can_see_ticket(user, ticket):
        # This very change routed the ticket out of the person's sight (another department,
        # someone else on it): answer it as it is now, as the web's notice names where it
        # went, rather than a 404 that reads as "not done". From now on it is a 404.
        return _detail(ticket)
    return _detail(_load(number))


@bp.post("/tickets/<number>/replies")
@documented(
    "post",
    "/tickets/{number}/replies",
    "Reply",
    {201: schemas.MessageSchema},
    body=schemas.ReplyCreateSchema,
    multipart=schemas.ReplyCreateSchema,
    path_params=("number",),
    write=True,
    description="The status moves as on the web (§4); a closed ticket takes no reply (422).",
)
@idempotent
@limit_posting("reply")
def reply_create(number):
    """Post a reply as the token's person."""
    ticket = _load(number)
    values = read_body(schemas.ReplyCreateSchema())
    form = validate_form(ReplyForm, values)
    if ticket.is_closed:
        raise InputError({"body": ["This ticket is closed. Open a new ticket to follow up."]})
    return _post_message(ticket, post_reply, form)


@bp.post("/tickets/<number>/notes")
@documented(
    "post",
    "/tickets/{number}/notes",
    "Add an internal note (staff)",
    {201: schemas.MessageSchema},
    body=schemas.ReplyCreateSchema,
    multipart=schemas.ReplyCreateSchema,
    path_params=("number",),
    write=True,
    description="1 to 2000 characters; never shown to the customer or a CC, changes no status (§14).",
)
@idempotent
def note_create(number):
    """Add an internal note as the token's person (staff only)."""
    ticket = _load(number)
    _require_staff("add an internal note")
    values = read_body(schemas.ReplyCreateSchema())
    form = validate_form(ComposerForm, {**values, "kind": "note"})
    return _post_message(ticket, add_note, form)


def _post_message(ticket, service, form):
    """Add the message of ``form`` to ``ticket`` through ``service`` (a reply, a note); answer it with a 201."""
    try:
        message = service(ticket, _user(), form.body.data, files=form.attachments.uploads)
    except ServiceError as exc:
        raise InputError({exc.field or "body": [exc.message]}) from None
    files = session.scalars(
        sa.select(Attachment).where(Attachment.reply_id == message.id).order_by(Attachment.id)
    ).all()
    data = present.message(message, current_tenant.slug, ticket.number, files, kind=message.kind)
    return _dump(schemas.MessageSchema, data, 201, {"Location": _ticket_location(ticket)})


@bp.post("/tickets/<number>/close")
@documented("post", "/tickets/{number}/close", "Close", {200: DETAIL}, path_params=("number",), write=True)
@idempotent
def ticket_close(number):
    """Close the ticket (its customer, or staff)."""
    return _change_status(number, close_ticket)


@bp.post("/tickets/<number>/reopen")
@documented("post", "/tickets/{number}/reopen", "Reopen (staff)", {200: DETAIL}, path_params=("number",), write=True)
@idempotent
def ticket_reopen(number):
    """Reopen a closed ticket (staff)."""
    return _change_status(number, reopen_ticket, staff_only="reopen a ticket; customers open a new one")


def _change_status(number, service, staff_only=None):
    """Run ``service`` (close, reopen) on ticket ``number`` as the token's person; answer the ticket as it is now.

    ``staff_only`` is what a customer is refused (a 403 naming it) when only staff may do it.
    """
    ticket = _load(number)
    if staff_only is not None:
        _require_staff(staff_only)
    try:
        service(ticket, _user())
    except ServiceError as exc:
        raise InputError({"status": [exc.message]}) from None
    return _detail(_load(number))


@bp.get("/tickets/<number>/attachments/<int:attachment_id>")
@documented(
    "get",
    "/tickets/{number}/attachments/{attachment_id}",
    "Download an attachment",
    {200: None},
    path_params=("number", "attachment_id"),
    binary=True,
)
def attachment_download(number, attachment_id):
    """Send an attachment of a visible ticket."""
    user = _user()
    ticket = get_ticket_or_404(number, user)
    # A note's file is staff-only: for a customer it does not exist (the access rule decides).
    attachment = get_attachment_or_404(ticket, attachment_id, include_notes=user.is_staff)
    return send_attachment(attachment)


# -- the rest ------------------------------------------------------------------------------


@bp.get("/departments")
@documented("get", "/departments", "List departments", {200: schemas.DepartmentListSchema}, tags=["Workspace"])
def department_list():
    """List the departments a ticket can be opened in (staff: every department)."""
    if _user().is_staff:
        rows = session.scalars(
            sa.select(Department).where(Department.tenant_id == current_tenant.id).order_by(Department.name)
        ).all()
    else:
        rows = active_departments(current_tenant.id)
    data = [{"id": d.id, "name": d.name, "description": d.description or "", "active": d.active} for d in rows]
    return _dump(schemas.DepartmentListSchema, {"data": data})


@bp.get("/me")
@documented("get", "/me", "Who this token acts as", {200: schemas.MeSchema}, tags=["Workspace"])
def me():
    """Answer the token's person and the token's own settings."""
    user, token = _user(), g.api_token
    data = {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "tenant": current_tenant.slug,
        "token": {"name": token.name, "read_only": token.read_only, "created_at": token.created_at},
    }
    return _dump(schemas.MeSchema, data)


@bp.get("/openapi.json")
def openapi_document():
    """Serve the OpenAPI 3.1 document of this workspace's API."""
    server = external_url("tickets_api.me", tenant=current_tenant.slug).rsplit("/me", 1)[0]
    response = current_app.response_class(spec_json(server), mimetype="application/json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/docs")
def openapi_page():
    """Show the OpenAPI document as a page (server-rendered: no script, nothing from a CDN)."""
    server = external_url("tickets_api.me", tenant=current_tenant.slug).rsplit("/me", 1)[0]
    document = json.loads(spec_json(server))
    return render_template(
        "xobito_tickets/api/docs.html",
        spec=document,
        server=server,
        operations=docs.operations(document),
        schemas=docs.components(document),
    )
