"""No mail server configured: emails become .eml files, a development page lists them, and the
development server delivers the outbox by itself."""

import os
import time
from email import policy
from email.parser import BytesParser

import pytest

from xobito_tickets.mail.devserver import dev_worker_enabled, stop_dev_worker
from xobito_tickets.mail.transport import transport_name

from ..conftest import PASSWORD
from .conftest import deliver
from .test_events import CARLA, Desk


@pytest.fixture
def mail_dir(tmp_path):
    return tmp_path / "mail"


@pytest.fixture
def mail_config(mail_dir):
    # The demo's situation: no MAIL_SERVER at all.
    return {"MAIL_SUPPRESS_SEND": False, "TICKETS_MAIL_FILE_DIR": str(mail_dir), "TICKETS_MAIL_POLL_INTERVAL": 0.1}


def read_emails(mail_dir):
    parser = BytesParser(policy=policy.default)
    names = sorted(n for n in os.listdir(mail_dir) if n.endswith(".eml")) if mail_dir.exists() else []
    return {name: parser.parsebytes((mail_dir / name).read_bytes()) for name in names}


def test_without_a_mail_server_emails_are_written_as_files(app, world, mail_dir):
    assert transport_name(app) == "file"
    Desk(app, world, None).open()
    assert deliver(app).sent == 3
    emails = read_emails(mail_dir)
    assert len(emails) == 3
    subjects = sorted(str(m["Subject"]) for m in emails.values())
    assert subjects[0] == "[TKT-000001] New ticket: Printer on fire"
    receipt = next(m for m in emails.values() if CARLA in str(m["To"]))
    assert "It started smoking at 9." in receipt.get_body(preferencelist=("plain",)).get_content()
    assert not [n for n in os.listdir(mail_dir) if not n.endswith(".eml")]  # no temporary files left


def test_the_development_mailbox_exists_only_in_debug_mode(app, world, client, mail_dir):
    Desk(app, world, None).open()
    deliver(app)
    assert client.get("/_tickets/mail/").status_code == 404  # the default, production-like

    app.debug = True
    page = client.get("/_tickets/mail/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "[TKT-000001] We received your ticket: Printer on fire" in html
    assert page.headers["Cache-Control"] == "no-store"

    name = sorted(read_emails(mail_dir))[0]
    detail = client.get(f"/_tickets/mail/{name}")
    assert detail.status_code == 200 and "It started smoking at 9." in detail.get_data(as_text=True)
    part = client.get(f"/_tickets/mail/{name}/html")
    assert part.status_code == 200 and part.mimetype == "text/html"
    assert part.headers["Content-Security-Policy"].startswith("sandbox;")
    for bad in ("..%2F..%2Fetc%2Fpasswd", "nothing.eml", ".hidden.eml", "x.txt"):
        assert client.get(f"/_tickets/mail/{bad}").status_code == 404


def test_the_footer_links_to_the_mailbox_in_development(app, world, client):
    client.post("/acme/login", data={"email": CARLA, "password": PASSWORD})
    assert "/_tickets/mail/" not in client.get("/acme/tickets").get_data(as_text=True)
    app.debug = True
    assert 'href="/_tickets/mail/"' in client.get("/acme/tickets").get_data(as_text=True)


def test_the_development_server_delivers_the_outbox_by_itself(app, world, client, mail_dir):
    assert not dev_worker_enabled(app)  # testing: off unless asked
    app.config["TICKETS_MAIL_DEV_WORKER"] = True
    try:
        client.post("/acme/login", data={"email": CARLA, "password": PASSWORD})
        response = client.post(
            "/acme/tickets/store",
            data={"subject": "Seen in the demo", "department": world.support_id, "priority": "low", "body": "Hi"},
        )
        assert response.status_code == 303
        deadline = time.monotonic() + 60
        while len(read_emails(mail_dir)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(read_emails(mail_dir)) == 3
    finally:
        stop_dev_worker(app)


def test_when_the_development_worker_starts_by_itself(app):
    app.debug, app.testing = True, False
    assert dev_worker_enabled(app)  # flask run --debug, no MAIL_SERVER: the demo
    app.config["MAIL_SERVER"] = "smtp.example.com"
    assert not dev_worker_enabled(app)  # a real server: run the worker
    del app.config["MAIL_SERVER"]
    app.debug = False
    assert not dev_worker_enabled(app)  # production


def _write_eml(mail_dir, number, to, subject):
    mail_dir.mkdir(exist_ok=True)
    body = "x" * 5000
    (mail_dir / f"2026-12-07T10{number:05d}.eml").write_text(
        f"To: {to}\nSubject: {subject}\nDate: Mon, 07 Dec 2026 10:00:00 +0000\n\n{body}\n"
    )


def test_the_development_mailbox_pages_and_filters(app, world, client, mail_dir):
    for number in range(120):
        to = "carla@acme.test" if number % 2 else "sam@acme.test"
        _write_eml(mail_dir, number, to, f"[TKT-{number:06d}] Update")
    app.debug = True
    html = client.get("/_tickets/mail/").get_data(as_text=True)
    assert html.count("/_tickets/mail/2026-12-07T10") == 50
    assert "TKT-000119" in html and "TKT-000069" not in html
    second = client.get("/_tickets/mail/?after=2026-12-07T1000070.eml").get_data(as_text=True)
    assert "TKT-000069" in second and "TKT-000070" not in second and 'rel="next"' in second
    filtered = client.get("/_tickets/mail/?q=TKT-000042").get_data(as_text=True)
    assert filtered.count("/_tickets/mail/2026-12-07T10") == 1
    only_sam = client.get("/_tickets/mail/?q=sam%40acme.test").get_data(as_text=True)
    assert "carla@acme.test" not in only_sam and only_sam.count("sam@acme.test") >= 50
    assert client.get("/_tickets/mail/?after=../../etc").status_code == 200
