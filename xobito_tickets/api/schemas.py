"""The API's JSON shapes (SPEC §17) as marshmallow schemas: they serialise the answers and
describe them in the OpenAPI document, so the document cannot drift from what is sent.

The customer's shapes are separate classes without the staff-only fields (``assignee``,
``tags``, ``due``, notes): a customer's answer cannot carry them even by mistake.
"""

from datetime import UTC

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from ..i18n.setup import lazy_gettext as _l
from ..models import Priority, TicketStatus
from ..workspace.tagtext import MAX_TAG_LENGTH, MAX_TAGS_PER_TICKET, TagError, clean_tag, parse_tags

#: Every event a webhook endpoint can subscribe to (SPEC §18), in the order the admin page lists them.
#: Here, with the shapes they carry, because the API's document describes the webhooks too.
WEBHOOK_EVENTS = (
    "ticket.created",
    "ticket.replied",
    "ticket.note_added",
    "ticket.closed",
    "ticket.reopened",
    "ticket.assigned",
    "ticket.priority_changed",
    "ticket.merged",
)

STATUSES = [s.value for s in TicketStatus]
PRIORITIES = [p.key for p in Priority]
#: The web forms' message for a priority that is not one of the four.
PRIORITY_ERROR = "Choose Low, Medium, High or Urgent."


class UTCDateTimeField(fields.DateTime):
    """An aware time written as ISO 8601 in UTC with a ``Z``: ``2026-12-07T01:21:20Z``."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def out(field):
    """Mark an answer's field as always present (the document lists it as required)."""
    field.required = True
    return field


class ErrorSchema(Schema):
    """An error that is not about a field: 401, 403, 404, 413, 429."""

    error = out(fields.String(metadata={"description": "What went wrong, in a sentence."}))


class ValidationErrorSchema(Schema):
    """422: each refused field with its messages (the same rules and texts as the web forms)."""

    errors = out(
        fields.Dict(
            keys=fields.String(),
            values=fields.List(fields.String()),
            metadata={"example": {"body": ["Reply must be at least 5 characters (it has 2)."]}},
        )
    )


class DepartmentRefSchema(Schema):
    id = out(fields.Integer())
    name = out(fields.String())


class DepartmentSchema(DepartmentRefSchema):
    description = out(fields.String())
    active = out(fields.Boolean(metadata={"description": "Customers see active departments only."}))


class PersonSchema(Schema):
    id = out(fields.Integer())
    name = out(fields.String())
    email = out(fields.String())


class AuthorSchema(Schema):
    id = out(fields.Integer())
    name = out(fields.String())
    role = out(fields.String(validate=validate.OneOf(["customer", "staff", "admin"])))


class AttachmentSchema(Schema):
    id = out(fields.Integer())
    name = out(fields.String())
    size = out(fields.Integer(metadata={"description": "Bytes."}))
    content_type = out(fields.String())
    download_url = out(fields.String(metadata={"description": "GET it with the same bearer token."}))


class MessageSchema(Schema):
    """A reply (or, for staff, an internal note) in a ticket's thread."""

    id = out(fields.Integer())
    kind = out(fields.String(validate=validate.OneOf(["reply", "note"])))
    author = out(fields.Nested(AuthorSchema))
    body = out(fields.String())
    created_at = out(UTCDateTimeField())
    attachments = out(fields.List(fields.Nested(AttachmentSchema)))


class CustomerMessageSchema(MessageSchema):
    """A reply as a customer sees it: never a note."""

    kind = out(fields.String(validate=validate.OneOf(["reply"])))


class CustomerTicketSchema(Schema):
    """A ticket as its customer sees it."""

    number = out(fields.String(metadata={"example": "TKT-000042"}))
    subject = out(fields.String())
    status = out(fields.String(validate=validate.OneOf(STATUSES)))
    priority = out(fields.String(validate=validate.OneOf(PRIORITIES)))
    department = out(fields.Nested(DepartmentRefSchema))
    requester = out(fields.Nested(PersonSchema))
    created_at = out(UTCDateTimeField())
    last_activity_at = out(UTCDateTimeField())
    closed_at = out(UTCDateTimeField(allow_none=True))
    url = out(fields.String(metadata={"description": "The ticket's page for this person."}))


class StaffTicketSchema(CustomerTicketSchema):
    """A ticket as staff see it: also who is on it and the internal fields."""

    assignee = out(fields.Nested(PersonSchema, allow_none=True))
    tags = out(
        fields.List(
            fields.String(),
            metadata={"description": "The ticket's tags, sorted case-insensitively.", "example": ["billing", "vip"]},
        )
    )
    due = out(
        UTCDateTimeField(
            allow_none=True,
            metadata={
                "description": (
                    "The ticket's due time, as the queue's due chip and Overdue tab use it: the next "
                    "service-level target (first response or resolution, whichever is sooner), or the time staff "
                    "set by hand; null when nothing is due (no target for the priority, the clock paused while "
                    "the ticket waits on the customer, or Closed). In the past: overdue."
                )
            },
        )
    )


class CustomerTicketDetailSchema(CustomerTicketSchema):
    body = out(fields.String(metadata={"description": "The ticket's first message."}))
    attachments = out(fields.List(fields.Nested(AttachmentSchema), metadata={"description": "Sent with the ticket."}))
    messages = out(fields.List(fields.Nested(CustomerMessageSchema), metadata={"description": "Oldest first."}))


class StaffTicketDetailSchema(StaffTicketSchema):
    body = out(fields.String(metadata={"description": "The ticket's first message."}))
    attachments = out(fields.List(fields.Nested(AttachmentSchema), metadata={"description": "Sent with the ticket."}))
    messages = out(
        fields.List(fields.Nested(MessageSchema), metadata={"description": "Replies and notes, oldest first."})
    )


class CustomerTicketPageSchema(Schema):
    data = out(fields.List(fields.Nested(CustomerTicketSchema)))
    next_cursor = out(fields.String(allow_none=True, metadata={"description": "Pass as `cursor` for the next page."}))


class StaffTicketPageSchema(Schema):
    data = out(fields.List(fields.Nested(StaffTicketSchema)))
    next_cursor = out(fields.String(allow_none=True, metadata={"description": "Pass as `cursor` for the next page."}))


class DepartmentListSchema(Schema):
    data = out(fields.List(fields.Nested(DepartmentSchema)))


class TokenInfoSchema(Schema):
    name = out(fields.String())
    read_only = out(fields.Boolean())
    created_at = out(UTCDateTimeField())


class MeSchema(Schema):
    id = out(fields.Integer())
    name = out(fields.String())
    email = out(fields.String())
    role = out(fields.String(validate=validate.OneOf(["customer", "staff", "admin"])))
    tenant = out(fields.String(metadata={"description": "The workspace's slug."}))
    token = out(fields.Nested(TokenInfoSchema))


# -- request bodies ------------------------------------------------------------------------
# They document the fields and check their JSON types; the text rules (lengths, one line,
# allowed departments) are the web forms' own, applied after (see api/inputs.py).


class TicketCreateSchema(Schema):
    subject = fields.String(required=True, metadata={"description": "One line, at most 255 characters."})
    department = fields.Integer(required=True, metadata={"description": "The id of an active department."})
    priority = fields.String(validate=validate.OneOf(PRIORITIES, error=PRIORITY_ERROR), load_default="medium")
    body = fields.String(required=True, metadata={"description": "1 to 1000 characters."})


class ReplyCreateSchema(Schema):
    body = fields.String(required=True, metadata={"description": "5 to 2000 characters."})


class TagListField(fields.Field):
    """A ticket's whole new set of tags: a list of names, or one comma-separated text as the web form takes.

    Loaded by the web's own rules and messages (:func:`~xobito_tickets.workspace.tagtext.parse_tags`):
    names cleaned, case-insensitive repeats dropped, at most 20 of at most 40 characters.
    """

    default_error_messages = {
        "invalid": _l("Send the tags as a list of names ([] for none), or as one comma-separated text."),
        "null": _l("Send the tags as a list of names ([] for none), or as one comma-separated text."),
    }

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            if isinstance(value, str):
                return parse_tags(value)
            if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
                raise self.make_error("invalid")
            for name in value:
                if "," in name:
                    raise ValidationError(_("A tag cannot contain a comma: “%(name)s”.", name=name))
                # A blank name in a list is a mistake to point out (the web's text just skips ", ,").
                clean_tag(name)
            return parse_tags(",".join(value))
        except TagError as exc:
            raise ValidationError(str(exc)) from None


class TicketUpdateSchema(Schema):
    priority = fields.String(validate=validate.OneOf(PRIORITIES, error=PRIORITY_ERROR))
    department = fields.Integer(metadata={"description": "The id of a department."})
    assignee = fields.Integer(allow_none=True, metadata={"description": "A staff member's id, or null for none."})
    tags = TagListField(
        metadata={
            "description": (
                f"The ticket's whole new set of tags (`[]` for none): at most {MAX_TAGS_PER_TICKET}, each 1 to "
                f"{MAX_TAG_LENGTH} characters, unique without regard to case. A comma-separated text is taken too."
            ),
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "string"},
            ],
            "example": ["billing", "vip"],
        }
    )
