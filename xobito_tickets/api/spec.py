"""The OpenAPI 3.1 document, built by apispec from the views' ``@documented`` records and the
marshmallow schemas they name: what is served and what is described come from one place."""

import functools
import json
from dataclasses import dataclass, field

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate

from . import schemas

API_VERSION = "1.0.0"


@dataclass
class Operation:
    """What the document says about one view: its method and path, body, answers and rules."""

    method: str
    path: str
    summary: str
    responses: dict
    description: str = ""
    query: type | None = None
    body: type | None = None
    multipart: type | None = None
    path_params: tuple = ()
    write: bool = False
    binary: bool = False
    tags: list = field(default_factory=lambda: ["Tickets"])
    operation_id: str = ""


#: Every documented operation, in the order the views declare them.
OPERATIONS = []


def documented(method, path, summary, responses, **details):
    """Decorator: record ``view`` as the operation ``method path`` of the document."""

    def decorate(view):
        OPERATIONS.append(Operation(method.lower(), path, summary, responses, operation_id=view.__name__, **details))
        return view

    return decorate


class TicketListQuerySchema(Schema):
    """The queue's filters (SPEC §10), a cursor and a page size."""

    status = fields.List(
        fields.String(validate=validate.OneOf(schemas.STATUSES)), metadata={"description": "Repeat for several."}
    )
    priority = fields.List(fields.String(validate=validate.OneOf(schemas.PRIORITIES)))
    department = fields.Integer(metadata={"description": "A department's id."})
    assignee = fields.String(metadata={"description": "Staff: `me`, `none` or a person's id."})
    q = fields.String(metadata={"description": "Staff: search number, subject and customer."})
    tag = fields.List(
        fields.String(),
        metadata={"description": "Staff: tickets carrying this tag (any case); repeat for several (every one)."},
    )
    tab = fields.String(
        metadata={
            "description": (
                "Staff: one of the queue's views: `needs_reply`, `mine`, `unassigned`, `overdue`, `open`, "
                "`closed`, `all`. Left out: every ticket the person may see."
            )
        }
    )
    sort = fields.String(
        validate=validate.OneOf(["activity", "priority", "created", "due"]),
        metadata={"description": "Staff. `due`: the soonest due time first, tickets with nothing due last."},
    )
    cursor = fields.String(metadata={"description": "`next_cursor` of the previous page."})
    limit = fields.Integer(validate=validate.Range(1, 100), metadata={"description": "At most 100; 25 if left out."})


class WebhookDataSchema(Schema):
    ticket = schemas.out(fields.Nested(schemas.StaffTicketSchema))
    message = schemas.out(fields.Nested(schemas.MessageSchema, allow_none=True))


class WebhookEventSchema(Schema):
    """The JSON body of every webhook request."""

    id = schemas.out(fields.String(metadata={"description": "The event's id; the same in a redelivery."}))
    type = schemas.out(fields.String(validate=validate.OneOf(list(schemas.WEBHOOK_EVENTS))))
    created_at = schemas.out(schemas.UTCDateTimeField())
    tenant = schemas.out(fields.String(metadata={"description": "The workspace's slug."}))
    data = schemas.out(fields.Nested(WebhookDataSchema))


_ERRORS = {
    401: ("No token, or a token that is unknown or revoked.", "ErrorSchema"),
    403: (
        "The token is read-only, the person may not do this, or the workspace requires two-factor login "
        "and the person has not set it up yet.",
        "ErrorSchema",
    ),
    404: ("Nothing here, or nothing this token may see.", "ErrorSchema"),
    409: ("A request with the same `Idempotency-Key` is still being handled: try again shortly.", "ErrorSchema"),
    413: ("The request is too large.", "ErrorSchema"),
    422: ("Some fields were refused.", "ValidationErrorSchema"),
    429: ("Too many requests for this token: wait `Retry-After` seconds.", "ErrorSchema"),
}

_PATH_PARAMS = {
    "number": {
        "name": "number",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^TKT-[0-9]{6,}$"},
        "example": "TKT-000042",
    },
    "attachment_id": {"name": "attachment_id", "in": "path", "required": True, "schema": {"type": "integer"}},
}


def _content(schema):
    """Return the JSON content of an answer: one schema, or any of several (customer or staff shape)."""
    if isinstance(schema, tuple):
        return {"application/json": {"schema": {"anyOf": [_ref(s) for s in schema]}}}
    return {"application/json": {"schema": _ref(schema)}}


def _ref(schema):
    return {"$ref": f"#/components/schemas/{_name(schema)}"}


def _name(schema):
    name = schema if isinstance(schema, str) else schema.__name__
    return name.removesuffix("Schema")


def _operation(op):
    """Return the OpenAPI operation object of ``op``."""
    answers = {}
    for code, schema in op.responses.items():
        if op.binary and code == 200:
            answers["200"] = {
                "description": "The file, as an attachment.",
                # The type the server chose when the file was checked (image/png, application/pdf, …).
                "content": {"*/*": {"schema": {"contentMediaType": "application/octet-stream"}}},
            }
        elif schema is None:
            answers[str(code)] = {"description": "Done."}
        else:
            answers[str(code)] = {"description": "OK" if code < 300 else "", "content": _content(schema)}
    # 403 on every operation: a workspace that requires two-factor login holds the tokens of staff without it.
    errors = [401, 403, 429]
    if op.query is not None:
        errors.append(422)
    if op.path_params:
        errors.append(404)
    if op.write:
        errors.append(422)
    if op.write and op.method == "post":
        errors.append(409)
    if op.body is not None or op.multipart is not None:
        # Past MAX_CONTENT_LENGTH (or MAX_FORM_PARTS), JSON or multipart alike.
        errors.append(413)
    for code in sorted(set(errors) - set(op.responses)):
        description, schema = _ERRORS[code]
        answer = {"description": description, "content": _content(schema)}
        if code == 401:
            answer["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}}
        if code == 429:
            answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
        answers[str(code)] = answer
    operation = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": op.tags,
        "responses": answers,
    }
    if op.description:
        operation["description"] = op.description
    parameters = [_PATH_PARAMS[name] for name in op.path_params]
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    if op.write and op.method == "post":
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 255},
                "description": "A repeat with the same key gets the first answer again (kept 24 hours).",
            }
        )
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        content = {"application/json": {"schema": op.body}}
        if op.multipart is not None:
            content["multipart/form-data"] = {"schema": op.multipart}
        operation["requestBody"] = {"required": True, "content": content}
    return operation


def build_spec(server_url, title="Xobito Tickets API"):
    """Return the OpenAPI 3.1 document (a dict) for the API served at ``server_url``."""
    spec = APISpec(
        title=title,
        version=API_VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "The helpdesk's REST API. Every request carries `Authorization: Bearer <token>`; a token "
                "acts with its person's role and sees what that person sees."
            )
        },
        servers=[{"url": server_url}],
        security=[{"bearerAuth": []}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for schema in (schemas.ErrorSchema, schemas.ValidationErrorSchema):
        spec.components.schema(_name(schema), schema=schema)
    for op in OPERATIONS:
        for schema in op.responses.values():
            for one in schema if isinstance(schema, tuple) else (schema,):
                if one is not None and not isinstance(one, str) and _name(one) not in spec.components.schemas:
                    spec.components.schema(_name(one), schema=one)
    paths = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    spec.components.schema("WebhookEvent", schema=WebhookEventSchema)
    document = spec.to_dict()
    # OpenAPI 3.1 describes the requests the helpdesk sends, too: one per event.
    document["webhooks"] = {
        event: {
            "post": {
                "summary": f"`{event}`",
                # Signed with the endpoint's secret (X-Xobito-Signature), not a bearer token.
                "security": [],
                "parameters": [
                    {"name": "X-Xobito-Event", "in": "header", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "X-Xobito-Delivery",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "The body's `id` (a redelivery sends the same).",
                    },
                    {
                        "name": "X-Xobito-Signature",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": '`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>`',
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookEvent"}}},
                },
                "responses": {"2XX": {"description": "Delivered. Anything else is retried for 24 hours."}},
            }
        }
        for event in schemas.WEBHOOK_EVENTS
    }
    return document


@functools.lru_cache(maxsize=64)
def spec_json(server_url):
    """Return the document for ``server_url`` as JSON text, built once per process and server.

    Building it takes apispec a few hundred milliseconds; it changes only with the code.
    """
    return json.dumps(build_spec(server_url), separators=(",", ":"))
