"""Image attachments shown inline, safely: server-chosen type, sandboxed, only to those who may see them."""

import sqlalchemy as sa

from xobito_tickets.db import session
from xobito_tickets.models import Attachment

from ..staff.conftest import login
from .conftest import png_bytes, upload

SAM, BEA, CARLA, OSCAR = "sam@acme.test", "bea@acme.test", "carla@acme.test", "oscar@acme.test"
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def _attach(app, client, number, name, data):
    response = client.post(
        f"/acme/tickets/{number}/reply",
        data={"body": "See the attached picture.", "attachments": [upload(name, data)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    with app.app_context():
        return session.scalar(sa.select(Attachment.id).where(Attachment.filename == name))


def _check_inline(response, content_type, data):
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert response.data == data
    response.close()


def test_an_image_is_previewed_in_both_threads(app, client, world, desk):
    login(client, CARLA)
    image = png_bytes()
    attachment = _attach(app, client, desk.open_number, "screen.png", image)
    _check_inline(client.get(f"/acme/tickets/{desk.open_number}/preview?attachment={attachment}"), "image/png", image)
    page = client.get(f"/acme/tickets/{desk.open_number}").get_data(as_text=True)
    assert f"/acme/tickets/{desk.open_number}/preview?attachment={attachment}" in page
    sam = app.test_client()
    login(sam, SAM)
    _check_inline(
        sam.get(f"/acme/admin/tickets/{desk.open_number}/preview?attachment={attachment}"), "image/png", image
    )
    assert f"/acme/admin/tickets/{desk.open_number}/preview?attachment={attachment}" in sam.get(
        f"/acme/admin/tickets/{desk.open_number}"
    ).get_data(as_text=True)


def test_the_type_comes_from_the_bytes_not_the_name(app, client, world, desk):
    login(client, CARLA)
    # A GIF named .png (mislabelled screenshots are accepted): shown as what it is.
    attachment = _attach(app, client, desk.open_number, "looks-like.png", GIF)
    _check_inline(client.get(f"/acme/tickets/{desk.open_number}/preview?attachment={attachment}"), "image/gif", GIF)


def test_non_images_stay_downloads(app, client, world, desk):
    login(client, CARLA)
    assert client.get(f"/acme/tickets/{desk.open_number}/preview?attachment={desk.attachment_id}").status_code == 404
    page = client.get(f"/acme/tickets/{desk.open_number}").get_data(as_text=True)
    assert f"preview?attachment={desk.attachment_id}" not in page
    download = client.get(f"/acme/tickets/{desk.open_number}/download?attachment={desk.attachment_id}")
    assert download.status_code == 200
    download.close()


def test_only_people_who_may_see_the_ticket_get_the_image(app, client, world, desk):
    login(client, CARLA)
    attachment = _attach(app, client, desk.open_number, "screen.png", png_bytes())
    for who, path in ((OSCAR, "/acme/tickets"), (BEA, "/acme/admin/tickets"), (CARLA, "/acme/admin/tickets")):
        other = app.test_client()
        login(other, who)
        assert other.get(f"{path}/{desk.open_number}/preview?attachment={attachment}").status_code == 404
    # Another ticket's number with this attachment's id: 404.
    assert client.get(f"/acme/tickets/{desk.closed_number}/preview?attachment={attachment}").status_code == 404
    for value in ("x", "-1", "99999999999999999999", ""):
        assert client.get(f"/acme/tickets/{desk.open_number}/preview?attachment={value}").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/acme/tickets/{desk.open_number}/preview?attachment={attachment}").status_code == 302


def test_a_notes_image_is_previewed_for_staff_only(app, client, world, desk):
    login(client, SAM)
    image = png_bytes()
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/note",
        data={"body": "Screenshot of the admin console.", "attachments": [upload("console.png", image)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    with app.app_context():
        attachment = session.scalar(sa.select(Attachment.id).where(Attachment.filename == "console.png"))
    _check_inline(
        client.get(f"/acme/admin/tickets/{desk.open_number}/preview?attachment={attachment}"), "image/png", image
    )
    carla = app.test_client()
    login(carla, CARLA)
    assert carla.get(f"/acme/tickets/{desk.open_number}/preview?attachment={attachment}").status_code == 404
    assert f"attachment={attachment}" not in carla.get(f"/acme/tickets/{desk.open_number}").get_data(as_text=True)
