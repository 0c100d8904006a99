"""Download attacks (SPEC §6, §13): an attachment rendered inline on the helpdesk's origin
(stored XSS), a type sniffed by the browser, header injection through the file name, a
file kept in a shared cache, and storage reachable without the access check."""

import re
from urllib.parse import unquote

import pytest
from werkzeug.http import parse_options_header

from xobito_tickets.models import Attachment

from .conftest import PDF, PNG, TXT, snapshot

GIF_POLYGLOT = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=alert(1);//" + bytes(16)


@pytest.fixture
def ticket(make):
    return make.ticket(
        files=[
            ("shot.png", "image/png", PNG),
            ("notes.txt", "text/plain; charset=utf-8", TXT),
            ("funny.gif", "image/gif", GIF_POLYGLOT),
            ("report.pdf", "application/pdf", PDF),
        ]
    )


@pytest.fixture
def customer(login_as):
    return login_as("carla@acme.test")


def fetch(client, url):
    """GET ``url``, read the whole body and close the response (it streams a file)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def download(client, ticket, index, side="tickets"):
    return fetch(client, f"/acme/{side}/{ticket.number}/download?attachment={ticket.attachment_ids[index]}")


def assert_download_headers(response, mimetype):
    """The headers of SPEC §13 on a file response."""
    headers = response.headers
    disposition, options = parse_options_header(headers["Content-Disposition"])
    assert disposition == "attachment"
    assert "filename" in options
    assert "filename*=UTF-8''" in headers["Content-Disposition"]
    assert response.mimetype == mimetype
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in [part.strip().split(" ")[0] for part in headers["Content-Security-Policy"].split(";")]
    cache_control = {part.strip() for part in headers["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "index, mimetype, body",
    [(0, "image/png", PNG), (1, "text/plain", TXT), (2, "image/gif", GIF_POLYGLOT), (3, "application/pdf", PDF)],
)
def test_customer_download_is_an_attachment_with_a_server_chosen_type(customer, ticket, index, mimetype, body):
    """Stored XSS through an attachment: never rendered inline, never sniffed, sandboxed, not cached."""
    response = download(customer, ticket, index)
    assert response.status_code == 200
    assert response.get_data() == body
    assert_download_headers(response, mimetype)


def test_staff_download_has_the_same_headers(app, login_as, ticket):
    """The staff side serves files with the same guards: staff are the juiciest XSS target."""
    staff = login_as("sam@acme.test")
    response = download(staff, ticket, 2, side="admin/tickets")
    assert response.status_code == 200
    assert_download_headers(response, "image/gif")


@pytest.mark.parametrize(
    "stored_name, shown",
    [
        ("straße 日本.png", "straße 日本.png"),
        ('a";b=c.png', "a;b=c.png"),
        ("a\r\nSet-Cookie: x=1.png", "aSet-Cookie: x=1.png"),
        ("..%2F..%2Fetc.png", "%2F..%2Fetc.png"),
        ("../../etc/passwd.png", "passwd.png"),
        ("\u202egnp.exe.png", "gnp.exe.png"),
    ],
    ids=["unicode", "quote-semicolon", "crlf", "percent", "path", "bidi"],
)
def test_file_name_cannot_break_the_header(app, make, customer, stored_name, shown):
    """Header injection and spoofing through a stored file name: the header stays one clean line."""
    ticket = make.ticket(files=[("x.png", "image/png", PNG)])
    # A row written by an older version or another tool may hold any name: the download must cope.
    with app.app_context():
        from xobito_tickets.db import session

        session.get(Attachment, ticket.attachment_ids[0]).filename = stored_name
        session.commit()
    response = download(customer, ticket, 0)
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "Set-Cookie" not in response.headers
    match = re.fullmatch(r'attachment; filename="([ -~]*)"; filename\*=UTF-8\'\'([A-Za-z0-9%._~-]+)', disposition)
    assert match, disposition
    fallback, encoded = match.groups()
    assert not set(fallback) & set('"\\;%'), fallback
    assert unquote(encoded) == shown


def test_missing_file_in_storage_is_a_404(app, customer, ticket):
    """A row whose file is gone answers 404 (no 500, no path in the page)."""
    import os

    files = snapshot(app)["files"]
    os.unlink(os.path.join(app.config["TICKETS_STORAGE_ROOT"], files[0]))
    statuses = {download(customer, ticket, n).status_code for n in range(4)}
    assert statuses == {200, 404}


@pytest.mark.parametrize(
    "url",
    [
        "/instance/storage/{key}",
        "/storage/{key}",
        "/{key}",
        "/acme/{key}",
        "/_tickets/static/../../instance/storage/{key}",
        "/_tickets/static/%2e%2e/%2e%2e/storage/{key}",
        "/_tickets/static/..%2f..%2f{key}",
        "/static/{key}",
    ],
)
def test_storage_is_not_reachable_by_path(app, customer, ticket, url):
    """Direct object access: storage is never a static folder, whatever the path tricks."""
    key = snapshot(app)["files"][0]
    response = customer.get(url.format(key=key))
    assert response.status_code in (302, 404)
    assert response.get_data() not in (PNG, TXT, GIF_POLYGLOT, PDF)


def test_anonymous_download_gets_no_bytes(client, ticket):
    """Unauthenticated access to a file: the visitor is sent to the login page."""
    response = download(client, ticket, 0)
    assert response.status_code == 302
    assert "/acme/login" in response.headers["Location"]
    assert PNG not in response.get_data()


@pytest.mark.parametrize("value", ["", "abc", "-1", "0", "1.5", "1e3", "99999999999999999999999", "1;2", "1 OR 1=1"])
def test_garbage_attachment_ids_are_a_404(customer, ticket, value):
    """Injection and overflow through the attachment id: a clean 404, never a 500."""
    response = customer.get(f"/acme/tickets/{ticket.number}/download?attachment={value}")
    assert response.status_code == 404


def test_download_without_attachment_param_is_a_404(customer, ticket):
    response = customer.get(f"/acme/tickets/{ticket.number}/download")
    assert response.status_code == 404


def test_download_is_a_read_only_get(customer, ticket, app):
    """GET never changes anything (SPEC §13); other methods are refused."""
    before = snapshot(app)
    url = f"/acme/tickets/{ticket.number}/download?attachment={ticket.attachment_ids[0]}"
    assert fetch(customer, url).status_code == 200
    for method in ("post", "put", "delete", "patch"):
        assert getattr(customer, method)(url).status_code == 405
    assert snapshot(app) == before
