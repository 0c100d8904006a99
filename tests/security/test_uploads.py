"""Upload attacks (SPEC §6, §13): a file whose name lies about its content (stored XSS
through an HTML or SVG "image", a zip passed off as a PDF), file names that carry paths,
control characters, quotes or bidi overrides, and archives that must never be unpacked."""

import io
import time
import zipfile
from urllib.parse import quote

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from xobito_tickets.db import session
from xobito_tickets.models import Attachment
from xobito_tickets.tickets.uploads import UploadRejected, check_content

from .conftest import PDF, PNG, TXT, snapshot, upload

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)
OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def make_zip(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


ZIP = make_zip({"readme.txt": b"hello"})

#: (file name, content): each lies about what it is, and must be refused.
DISGUISED = {
    "html-as-png": ("screenshot.png", HTML),
    "svg-as-png": ("logo.png", SVG),
    "html-as-jpg": ("photo.JPG", HTML),
    "html-as-gif": ("anim.gif", b"<html>" + b"GIF89a"),
    "html-as-txt": ("notes.txt", HTML),
    "svg-as-txt": ("notes.txt", SVG),
    "bom-html-as-txt": ("notes.txt", b"\xef\xbb\xbf  <script>alert(1)</script>"),
    "zip-as-pdf": ("invoice.pdf", ZIP),
    "html-as-pdf": ("invoice.pdf", HTML),
    "exe-as-pdf": ("invoice.pdf", EXE),
    "exe-as-doc": ("letter.doc", EXE),
    "html-as-doc": ("letter.doc", HTML),
    "zip-as-docx": ("letter.docx", ZIP),
    "html-as-docx": ("letter.docx", HTML),
    "exe-as-txt": ("readme.txt", EXE),
    "exe-as-zip": ("bundle.zip", EXE),
    "html-as-zip": ("bundle.zip", HTML),
    "pdf-as-png": ("scan.png", PDF),
    "png-with-html-extension-after-nul": ("shot.png\x00.html", PNG),
}

#: Names whose extension is not on the allow-list, whatever the content.
FORBIDDEN_NAMES = [
    "page.html",
    "page.HTM",
    "icon.svg",
    "run.exe",
    "app.js",
    "shell.php",
    "shot.png.html",
    "x.svgz",
    "noextension",
    "trailing-dot.html.",
    "bidi\u202egnp.html",
    "space.html ",
]


@pytest.fixture
def customer(login_as):
    return login_as("carla@acme.test")


def create(client, world, files, subject="Upload probe"):
    """Post the create form with ``files`` [(name, bytes)] as a browser would."""
    fields = MultiDict(
        {"subject": subject, "department": str(world.support_id), "priority": "medium", "body": "Please look."}
    )
    for name, content in files:
        fields.add("attachments", FileStorage(io.BytesIO(content), filename=name, content_type="image/png"))
    # Encoded in memory: the test client's own encoder leaves a temporary file open for large bodies.
    boundary, body = encode_multipart(fields)
    return client.post("/acme/tickets/store", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def post_raw_multipart(client, world, filename, content):
    """Post the create form with ``filename`` sent verbatim (RFC 2231 ``filename*``), as a crafted client can.

    Browsers percent-encode CR, LF and quotes in file names; an attacker's client sends them
    as they are, and the server decodes ``filename*`` back to the raw characters.
    """
    boundary = "xt-boundary-7d3f"
    parts = []
    for name, value in (
        ("subject", "Upload probe"),
        ("department", str(world.support_id)),
        ("priority", "medium"),
        ("body", "Please look at the attachment."),
    ):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="upload"; '
        f"filename*=UTF-8''{quote(filename, safe='')}\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return client.post(
        "/acme/tickets/store", data=b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}"
    )


def stored_attachments(app):
    with app.app_context():
        rows = session.query(Attachment).order_by(Attachment.id).all()
        result = [(a.filename, a.content_type, a.size, a.storage_key) for a in rows]
        session.remove()
    return result


def assert_refused(app, before, response, name_shown=None):
    """The form comes back (422) with the error at the attachments field, and nothing was stored."""
    assert response.status_code == 422, response.status_code
    html = response.get_data(as_text=True)
    assert 'id="attachments-error"' in html
    assert "Upload probe" in html  # what was typed is kept
    if name_shown:
        assert name_shown in html
    assert snapshot(app) == before


@pytest.mark.parametrize("case", sorted(DISGUISED))
def test_renamed_file_is_refused_on_create(customer, world, app, case):
    """Upload bypass: content that does not match the extension is refused, with no row and no file."""
    before = snapshot(app)
    assert_refused(app, before, create(customer, world, [DISGUISED[case]]))


@pytest.mark.parametrize("case", ["html-as-png", "zip-as-pdf", "svg-as-txt"])
def test_renamed_file_is_refused_on_reply(customer, world, app, make, case):
    """Upload bypass through the reply form: the same content checks, nothing stored."""
    ticket = make.ticket()
    before = snapshot(app)
    name, content = DISGUISED[case]
    response = customer.post(
        f"/acme/tickets/{ticket.number}/reply",
        data={"body": "Here is the file", "attachments": [upload(name, content)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert 'id="attachments-error"' in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize("name", FORBIDDEN_NAMES)
def test_extension_off_the_allow_list_is_refused(customer, world, app, name):
    """Stored XSS through html/svg and executables: extensions off the allow-list never get in."""
    before = snapshot(app)
    assert_refused(app, before, create(customer, world, [(name, PNG)]))


def test_one_bad_file_refuses_the_whole_submission(customer, world, app):
    """Partial writes: a good file next to a bad one is not stored either."""
    before = snapshot(app)
    assert_refused(app, before, create(customer, world, [("good.png", PNG), ("bad.png", HTML)]), "bad.png")


def test_bad_file_in_a_staff_reply_is_refused(app, login_as, make):
    """Upload bypass from the staff side, whose reply form has its own route."""
    ticket = make.ticket()
    staff = login_as("sam@acme.test")
    before = snapshot(app)
    response = staff.post(
        f"/acme/admin/tickets/{ticket.number}/reply",
        data={"body": "See the attached page", "attachments": [upload("fix.png", HTML)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("../../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/var/www/static/a.png", "a.png"),
        ("C:\\Users\\me\\shot.png", "shot.png"),
        ("line\r\nbreak.png", "linebreak.png"),
        ("tab\there.png", "tabhere.png"),
        ("quo\"te's`.png", "quotes.png"),
        ("invoice\u202egnp.txt", "invoicegnp.txt"),
        ("zero\u200bwidth\u2066.png", "zerowidth.png"),
        ("nul\x00byte.png", "nulbyte.png"),
        ("line\u2028sep\u2029.png", "linesep.png"),
        ("next\x85line.png", "nextline.png"),
        ("...hidden.png", "hidden.png"),
        ("  spaced.png  ", "spaced.png"),
    ],
)
def test_file_names_are_cleaned(customer, world, app, raw, shown):
    """Path traversal, header and display spoofing through file names: only a clean base name is kept."""
    content = TXT if raw.endswith(".txt") else PNG
    response = post_raw_multipart(customer, world, raw, content)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    [(filename, _type, size, key)] = stored_attachments(app)
    assert filename == shown
    assert size == len(content)
    # The file on disk has a generated name under the tenant's folder, never the user's.
    assert key.startswith(f"tickets/{world.acme_id}/replies/")
    assert shown not in key and ".." not in key
    files = snapshot(app)["files"]
    assert files == [key]


def test_long_file_name_is_shortened_and_keeps_its_extension(customer, world, app):
    """Overflow through a file name: it is cut to 200 characters, extension kept."""
    response = create(customer, world, [("a" * 1000 + ".png", PNG)])
    assert response.status_code == 303
    [(filename, *_rest)] = stored_attachments(app)
    assert len(filename) == 200 and filename.endswith(".png")


def test_image_is_served_as_what_it_really_is(customer, world, app):
    """Type confusion: a PNG named .jpg is stored as image/png (the server's type, not the client's)."""
    data = {
        "subject": "Upload probe",
        "department": world.support_id,
        "priority": "medium",
        "body": "Screenshot attached.",
        "attachments": [(io.BytesIO(PNG), "shot.jpg", "text/html")],
    }
    response = customer.post("/acme/tickets/store", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    [(filename, content_type, *_rest)] = stored_attachments(app)
    assert (filename, content_type) == ("shot.jpg", "image/png")


def test_zip_is_kept_opaque(customer, world, app):
    """Archive attacks (zip slip, an HTML page inside): a zip is stored as one file, never unpacked or listed."""
    archive = make_zip({"../../escape.html": HTML, "inside-secret-name.html": HTML, "a/b/c.txt": b"x"})
    response = create(customer, world, [("bundle.zip", archive)])
    assert response.status_code == 303
    [(filename, content_type, size, key)] = stored_attachments(app)
    assert (filename, content_type, size) == ("bundle.zip", "application/zip", len(archive))
    assert snapshot(app)["files"] == [key]
    with open(f"{app.config['TICKETS_STORAGE_ROOT']}/{key}", "rb") as handle:
        assert handle.read() == archive
    html = customer.get(response.headers["Location"]).get_data(as_text=True)
    assert "bundle.zip" in html
    assert "inside-secret-name" not in html and "escape.html" not in html


def test_zip_bomb_is_not_inflated(customer, world, app):
    """Decompression bomb: a small zip that would inflate to 200 MB is accepted quickly and stored as is."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("zeros.bin", "w", force_zip64=True) as entry:
            chunk = bytes(1024 * 1024)
            for _ in range(200):
                entry.write(chunk)
    bomb = buffer.getvalue()
    assert len(bomb) < 1024 * 1024
    started = time.monotonic()
    response = create(customer, world, [("logs.zip", bomb)])
    assert response.status_code == 303
    assert time.monotonic() - started < 5
    [(_name, _type, size, _key)] = stored_attachments(app)
    assert size == len(bomb)


def test_polyglot_image_is_accepted_only_as_an_image(customer, world, app):
    """A GIF that is also a script (GIFAR-style polyglot) may be stored, but only as image/gif."""
    polyglot = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=alert(1);//" + bytes(16)
    response = create(customer, world, [("funny.gif", polyglot)])
    assert response.status_code == 303
    [(_name, content_type, *_rest)] = stored_attachments(app)
    assert content_type == "image/gif"


def test_empty_and_oversized_files_are_refused(customer, world, app):
    """Resource abuse: empty files and files over 10 MB are refused with a message, nothing stored."""
    before = snapshot(app)
    assert_refused(app, before, create(customer, world, [("empty.txt", b"")]), "empty.txt")
    big = PNG + bytes(app.config["TICKETS_MAX_FILE_SIZE"] + 1 - len(PNG))
    assert_refused(app, before, create(customer, world, [("big.png", big)]), "big.png")


def test_too_many_files_are_refused(customer, world, app):
    """Resource abuse: more than 5 files at once is refused, nothing stored."""
    before = snapshot(app)
    files = [(f"f{n}.png", PNG) for n in range(app.config["TICKETS_MAX_FILES"] + 1)]
    assert_refused(app, before, create(customer, world, files))


def test_attachment_field_sent_as_text_is_ignored(customer, world, app):
    """Type confusion in the form: an ``attachments`` text field instead of a file is no attachment, no 500."""
    response = customer.post(
        "/acme/tickets/store",
        data={
            "subject": "Upload probe",
            "department": world.support_id,
            "priority": "medium",
            "body": "No real file here",
            "attachments": "../../etc/passwd",
        },
    )
    assert response.status_code == 303
    assert stored_attachments(app) == []
    assert snapshot(app)["files"] == []


class _CountingStream(io.BytesIO):
    """A file that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def _many_entries_zip(entries, docx=False):
    stream = _CountingStream()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
        if docx:
            archive.writestr("[Content_Types].xml", "<Types/>")
        for number in range(entries):
            archive.writestr(f"part/{number}.xml", b"")
    stream.bytes_read = 0
    return stream


@pytest.mark.parametrize("ext", ["zip", "docx"])
def test_a_zip_of_many_entries_is_checked_without_reading_its_directory(ext):
    # 120,000 entries: zipfile would parse a 6 MB central directory (seconds, ~60 MB).
    stream = _many_entries_zip(120_000, docx=ext == "docx")
    size = stream.getbuffer().nbytes
    if ext == "zip":
        assert check_content("zip", stream) == "application/zip"
    else:
        # Entries of no "word/" part: not a Word document, found out from the first entries.
        with pytest.raises(UploadRejected):
            check_content("docx", stream)
    assert size > 5_000_000
    assert stream.bytes_read < 200_000, f"read {stream.bytes_read} of {size} bytes"


def test_a_docx_is_recognised_from_its_first_entries():
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert check_content("docx", stream).endswith("wordprocessingml.document")
    truncated = io.BytesIO(stream.getvalue()[:-10])
    with pytest.raises(UploadRejected):
        check_content("docx", truncated)
