"""Forms of tickets: create, reply, assign, priority; the validators carry SPEC §5–§6."""

from flask import current_app
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..i18n.labels import PRIORITY_LABELS
from ..i18n.setup import lazy_gettext as _l
from ..models import Priority
from ..web.forms import (
    QuickSelect,
    QuickTextArea,
    QuickTextInput,
    TextLength,
    int_or_blank,
    int_or_none,
    normalize_text,
    offered,
    single_line,
)
from .uploads import UploadedFile, UploadRejected, check_content, clean_filename, extension_of, stream_size


class SubjectLength:
    """A subject of one line, 1 to TICKETS_SUBJECT_MAX characters."""

    def __call__(self, form, field):
        high = current_app.config["TICKETS_SUBJECT_MAX"]
        count = len(field.data or "")
        if count == 0:
            raise ValidationError(_("Subject is required."))
        if count > high:
            raise ValidationError(
                _("Subject can be at most %(high)s characters (it has %(count)s).", high=high, count=count)
            )


class Attachments:
    """Check the uploaded files; on success ``field.uploads`` holds them as UploadedFile."""

    def __call__(self, form, field):
        config = current_app.config
        files = [f for f in (field.data or []) if getattr(f, "filename", None)]
        field.uploads = []
        if len(files) > config["TICKETS_MAX_FILES"]:
            raise ValidationError(
                _(
                    "You can attach at most %(most)s files at once (you chose %(chosen)s).",
                    most=config["TICKETS_MAX_FILES"],
                    chosen=len(files),
                )
            )
        allowed = tuple(config["TICKETS_ALLOWED_EXTENSIONS"])
        max_size = config["TICKETS_MAX_FILE_SIZE"]
        errors = []
        uploads = []
        for storage in files:
            name = clean_filename(storage.filename)
            ext = extension_of(name)
            if ext not in allowed:
                errors.append(
                    _(
                        "%(name)s: this type of file is not allowed. Allowed: %(types)s.",
                        name=name,
                        types=", ".join(allowed),
                    )
                )
                continue
            size = stream_size(storage.stream)
            if size > max_size:
                errors.append(_("%(name)s is larger than %(size)s MB.", name=name, size=max_size // (1024 * 1024)))
                continue
            if size == 0:
                errors.append(_("%(name)s is empty.", name=name))
                continue
            try:
                content_type = check_content(ext, storage.stream)
            except UploadRejected as exc:
                errors.append(_("%(name)s %(reason)s", name=name, reason=exc))
                continue
            uploads.append(UploadedFile(filename=name, content_type=content_type, stream=storage.stream, size=size))
        if errors:
            field.errors[:] = []
            raise ValidationError(" ".join(errors))
        field.uploads = uploads


PRIORITY_CHOICES = [SelectChoice(p.key, PRIORITY_LABELS[p]) for p in Priority]


class TicketCreateForm(FlaskForm):
    subject = StringField(_l("Subject"), filters=[single_line], validators=[SubjectLength()], widget=QuickTextInput())
    department = SelectField(_l("Department"), coerce=int_or_none, validate_choice=False)
    priority = SelectField(_l("Priority"), choices=PRIORITY_CHOICES, default=Priority.MEDIUM.key, validate_choice=False)
    body = TextAreaField(
        _l("Describe the problem"),
        filters=[normalize_text],
        validators=[TextLength("TICKETS_BODY_MIN", "TICKETS_BODY_MAX", _l("The description"))],
        widget=QuickTextArea(),
    )
    attachments = MultipleFileField(_l("Attachments"), validators=[Attachments()])

    def validate_department(self, field):
        if field.data is None or field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_("Choose one of the listed departments."))

    def validate_priority(self, field):
        if Priority.from_key(field.data) is None:
            raise ValidationError(_("Choose Low, Medium, High or Urgent."))


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your reply"),
        filters=[normalize_text],
        validators=[TextLength("TICKETS_REPLY_MIN", "TICKETS_REPLY_MAX", _l("The reply"))],
        widget=QuickTextArea(),
    )
    attachments = MultipleFileField(_l("Attachments"), validators=[Attachments()])


class AssignForm(FlaskForm):
    department = SelectField(_l("Department"), coerce=int_or_none, validate_choice=False, widget=QuickSelect())
    assignee = SelectField(_l("Assignee"), coerce=int_or_blank, validate_choice=False, widget=QuickSelect())

    def validate_department(self, field):
        if field.data is None or field.data not in offered(field):
            raise ValidationError(_("Choose one of the listed departments."))

    def validate_assignee(self, field):
        if field.data is None or field.data not in offered(field):
            raise ValidationError(_("Choose a staff member or admin from the list, or nobody."))


class PriorityForm(FlaskForm):
    priority = SelectField(_l("Priority"), choices=PRIORITY_CHOICES, validate_choice=False, widget=QuickSelect())

    def validate_priority(self, field):
        if Priority.from_key(field.data) is None:
            raise ValidationError(_("Choose Low, Medium, High or Urgent."))
