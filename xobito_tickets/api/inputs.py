"""Reading a request body: JSON or multipart, checked by type (marshmallow), then by the web
forms' own rules (the same validators, limits and messages as the pages)."""

import json

from flask import abort, request
from marshmallow import ValidationError
from werkzeug.datastructures import CombinedMultiDict, MultiDict


class InputError(Exception):
    """Fields refused: ``errors`` is ``{"field": ["message", …]}`` (answered 422).

    ``valid`` holds what the body's other fields loaded as, when the body was an object
    whose types were checked (see :func:`validate_body`); else None.
    """

    def __init__(self, errors, valid=None):
        super().__init__(errors)
        self.errors = errors
        self.valid = valid


def is_multipart():
    return request.mimetype == "multipart/form-data"


def read_body(schema, partial=False):
    """Return the request's fields loaded by ``schema`` (a marshmallow Schema instance).

    JSON needs ``Content-Type: application/json``; multipart fields arrive as text and are
    loaded the same way (files are read separately, by the form). Raises :class:`InputError`.
    """
    if is_multipart():
        raw = {}
        for key in request.form:
            if key == "attachments":
                continue
            values = request.form.getlist(key)
            field = schema.fields.get(key)
            raw[key] = values if field is not None and field.__class__.__name__ == "List" else values[-1]
            if raw[key] == "" and field is not None and field.allow_none:
                raw[key] = None
    else:
        data = request.get_data(cache=True)
        if not data:
            raw = {}
        elif request.mimetype != "application/json":
            abort(415)
        else:
            try:
                raw = json.loads(data)
            except (ValueError, UnicodeDecodeError):
                raise InputError({"_body": ["The body is not valid JSON."]}) from None
        if not isinstance(raw, dict):
            raise InputError({"_body": ["The body must be a JSON object."]})
    try:
        return schema.load(raw, partial=partial)
    except ValidationError as exc:
        valid = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        raise InputError(_flatten(exc.messages), valid=valid) from None


def _flatten(messages):
    """Return marshmallow's messages as ``{field: [text]}`` (nested ones joined into one text)."""
    flat = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            value = [f"{k}: {' '.join(v) if isinstance(v, list) else v}" for k, v in value.items()]
        flat[str(key)] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return flat


def form_data(values):
    """Return loaded values as the form data a web form would get (text), with any uploads."""
    data = MultiDict()
    for key, value in values.items():
        if value is None:
            data.add(key, "")
        elif isinstance(value, list):
            for item in value:
                data.add(key, str(item))
        else:
            data.add(key, str(value))
    if is_multipart():
        return CombinedMultiDict([data, request.files])
    return data


def validate_body(schema, form_class, prepare=None):
    """Read the body with ``schema``, then apply the web form's rules; return the form.

    Every refused field is answered at once, as the form's page shows every error: a type
    refused by ``schema`` does not hide the form's messages about the other fields.
    """
    try:
        values = read_body(schema)
    except InputError as exc:
        if exc.valid is None:
            raise
        errors = dict(exc.errors)
        try:
            validate_form(form_class, exc.valid, prepare)
        except InputError as refused:
            for name, messages in refused.errors.items():
                errors.setdefault(name, messages)
        raise InputError(errors) from None
    return validate_form(form_class, values, prepare)


def validate_form(form_class, values, prepare=None):
    """Build the web form ``form_class`` from ``values``, apply its rules; return it or raise :class:`InputError`.

    ``prepare(form)`` sets what the page would (the choices of a select).
    """
    form = form_class(formdata=form_data(values), meta={"csrf": False})
    if prepare is not None:
        prepare(form)
    if not form.validate():
        raise InputError({name: list(messages) for name, messages in form.errors.items()})
    return form
