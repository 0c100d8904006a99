"""Fixtures of the security suite: logged-in clients, an app with CSRF on, and a snapshot of
everything an attack could change (every row of every table, every stored file)."""

import io
import re

import pytest

from xobito_tickets.db import session

from ..conftest import PASSWORD, csrf_token_from, snapshot, storage_files  # noqa: F401 (re-exported)
from ..mail.conftest import smtp_server  # noqa: F401 (a fixture of the email tests)

#: The smallest files that pass the content checks of their type.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TXT = b"plain log line\nsecond line\n"

#: Classic stored-XSS probes: a script element, an event handler breaking out of an
#: attribute, and a javascript: URL.
XSS_PAYLOADS = (
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)//<svg/onload=alert(1)>",
)


#: The signed CSRF token of a form carries the time it was issued, so two renderings of one page
#: a second apart differ in it and in nothing else.
_CSRF_VALUE = re.compile(rb'(name="csrf_token"[^>]*value=")[^"]*(")')


#: The footer's language switch sends the visitor back to the page they are on: the path
#: they typed, which tells them nothing new.
_BACK_TO = re.compile(rb'(name="next" value=")[^"]*(")')


def page_body(response):
    """The response body with the CSRF token values and the echoed path blanked, for comparing two pages."""
    return _BACK_TO.sub(rb"\1\2", _CSRF_VALUE.sub(rb"\1\2", response.get_data()))


def upload(name, data):
    """Return a file tuple for the test client's ``data=``."""
    return (io.BytesIO(data), name)


def login(client, email, password=PASSWORD, tenant="acme", next_path=None):
    """Log in through the form, with its CSRF token when CSRF is on; return the response."""
    page = client.get(f"/{tenant}/login")
    data = {"email": email, "password": password}
    match = re.search(r'name="csrf_token"', page.get_data(as_text=True))
    if match:
        data["csrf_token"] = csrf_token_from(page.get_data(as_text=True))
    url = f"/{tenant}/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data=data)


@pytest.fixture
def other_app(app, app_config):
    """Return a factory of more apps over ``app``'s database and storage, with config changes.

    Their connections are closed at the end (PostgreSQL warns about connections left open).
    """
    from xobito_tickets import create_app

    made = []

    def factory(**changes):
        made.append(create_app({**app_config, **changes}))
        return made[-1]

    yield factory
    for extra in made:
        with extra.app_context():
            session.remove()
            extra.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def csrf_app(other_app):
    """The app as deployed: CSRF checks on (same database and storage as ``app``)."""
    return other_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def login_as(app, world):
    """Return a function that gives a fresh test client logged in as ``email``."""

    def _login_as(email, tenant="acme"):
        client = app.test_client()
        response = login(client, email, tenant=tenant)
        assert response.status_code == 302, f"login of {email} failed ({response.status_code})"
        return client

    return _login_as
