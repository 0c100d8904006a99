"""Downloads are served safely: attachment, cleaned name, server-chosen type, no sniffing, no cache."""

import os
from urllib.parse import unquote

import pytest

from .samples import HTML, JPEG, PDF, PNG, TXT


def _download(client, number, attachment_id):
    with client.get(f"/acme/tickets/{number}/download?attachment={attachment_id}") as response:
        return response.status_code, response.headers, response.data


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("report.pdf", PDF, "application/pdf"),
        ("notes.txt", TXT, "text/plain; charset=utf-8"),
        ("photo.jpg", JPEG, "image/jpeg"),
    ],
)
def test_download_headers(customer, make, name, data, kind):
    number = make.ticket(files=[(name, kind, data)]).number
    [attachment_id] = make.attachment_ids(number)
    status, headers, body = _download(customer, number, attachment_id)
    assert status == 200 and body == data
    assert headers["Content-Type"] == kind
    assert headers["Content-Length"] == str(len(data))
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="{name}"' in disposition and f"filename*=UTF-8''{name}" in disposition
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"].startswith("sandbox")
    assert headers["Cache-Control"] == "private, no-store"


def test_unicode_and_hostile_names_are_encoded(customer, make):
    name = 'Résumé "final"; ü\u202e.pdf'
    number = make.ticket(files=[(name, "application/pdf", PDF)]).number
    [attachment_id] = make.attachment_ids(number)
    _status, headers, _body = _download(customer, number, attachment_id)
    disposition = headers["Content-Disposition"]
    assert "\u202e" not in disposition
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and '"' not in fallback and ";" not in fallback
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "Résumé final; ü.pdf"
    assert all(c not in encoded for c in ' ";')


def test_type_is_what_the_server_decided_not_the_name(customer, make, app):
    # A JPEG that the customer named .png is sent as a JPEG, never as what the name says.
    number = make.ticket(files=[("shot.png", "image/jpeg", JPEG)]).number
    [attachment_id] = make.attachment_ids(number)
    _status, headers, _body = _download(customer, number, attachment_id)
    assert headers["Content-Type"] == "image/jpeg"


def test_markup_is_never_served_as_html(customer, make):
    # Whatever is in storage, the type comes from the row the upload check wrote.
    number = make.ticket(files=[("notes.txt", "text/plain; charset=utf-8", HTML)]).number
    [attachment_id] = make.attachment_ids(number)
    _status, headers, _body = _download(customer, number, attachment_id)
    assert "html" not in headers["Content-Type"]
    assert headers["Content-Disposition"].startswith("attachment")


def test_missing_file_in_storage_is_404_not_500(customer, make, app):
    number = make.ticket(files=[("shot.png", "image/png", PNG)]).number
    [attachment_id] = make.attachment_ids(number)
    root = app.config["TICKETS_STORAGE_ROOT"]
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.unlink(os.path.join(dirpath, name))
    status, _headers, _body = _download(customer, number, attachment_id)
    assert status == 404


def test_storage_is_not_served_statically(customer, make, app):
    make.ticket(files=[("shot.png", "image/png", PNG)])
    for url in ("/storage/", "/instance/storage/", "/_tickets/static/../storage", "/acme/storage/tickets"):
        with customer.get(url) as response:
            assert response.status_code == 404
            assert response.data != PNG


def test_head_request_sends_headers_only(customer, make):
    number = make.ticket(files=[("report.pdf", "application/pdf", PDF)]).number
    [attachment_id] = make.attachment_ids(number)
    with customer.head(f"/acme/tickets/{number}/download?attachment={attachment_id}") as response:
        assert response.status_code == 200
        assert response.data == b""
        assert response.headers["Content-Disposition"].startswith("attachment")
