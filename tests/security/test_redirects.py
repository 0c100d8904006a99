"""Open redirect through ``next`` (SPEC §13): after login the user may only land on a
path of this site, never on another host that could phish for their password again."""

from urllib.parse import quote, urlsplit

import pytest

from .conftest import login

#: Every way a browser may read as "another host", raw and percent-encoded.
EVIL_TARGETS = [
    "//evil.test",
    "//evil.test/acme/tickets",
    "///evil.test",
    "/\\evil.test",
    "\\\\evil.test",
    "/\\/evil.test",
    "https://evil.test",
    "http://evil.test/acme/tickets",
    "HTTPS://evil.test",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "evil.test",
    "/\t/evil.test",
    "/\r\n/evil.test",
    " //evil.test",
    "https:evil.test",
    "//evil.test/@acme",
    "/\x00//evil.test",
    "\u3000//evil.test",
    "//\u2215evil.test",
]

#: The same attacks as they appear in a crafted link, already percent-encoded (once or twice).
ENCODED_TARGETS = [
    "%2F%2Fevil.test",
    "%2f%5cevil.test",
    "/%5Cevil.test",
    "%5C%5Cevil.test",
    "/%09/evil.test",
    "/%0d%0aSet-Cookie:%20x=1",
    "https%3A%2F%2Fevil.test",
    "javascript%3Aalert(1)",
    "%252F%252Fevil.test",
    "/%252F/evil.test",
    "%2F%5C%2Fevil.test",
    "%E3%80%80//evil.test",
]


def assert_lands_on_this_site(response):
    if response.status_code == 400:
        # Refused outright (a NUL byte in the request): no redirect at all.
        assert "Location" not in response.headers
        return
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "\\" not in location and "\r" not in location and "\n" not in location


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_login_next_never_leaves_the_site(client, world, target):
    """Open redirect: a crafted ``next`` on the login link sends the user home instead."""
    response = login(client, "carla@acme.test", next_path=quote(target, safe=""))
    assert_lands_on_this_site(response)
    if response.status_code == 302:
        assert response.headers["Location"] == "/acme/tickets"


@pytest.mark.parametrize("target", ENCODED_TARGETS)
def test_encoded_next_never_leaves_the_site(client, world, target):
    """Open redirect through percent-encoding: whatever one decoding yields is still no other host."""
    response = login(client, "carla@acme.test", next_path=target)
    assert_lands_on_this_site(response)
    assert "Set-Cookie" not in response.headers or "x=1" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize("target", EVIL_TARGETS[:8])
def test_next_in_the_form_body_never_leaves_the_site(client, world, target):
    """Open redirect via a ``next`` field posted in the form instead of the URL."""
    response = client.post(
        "/acme/login", data={"email": "carla@acme.test", "password": "correct horse battery", "next": target}
    )
    assert_lands_on_this_site(response)


@pytest.mark.parametrize("target", EVIL_TARGETS[:8])
def test_logged_in_visit_of_login_never_leaves_the_site(login_as, target):
    """Open redirect for a user who is already logged in (the login page redirects at once)."""
    client = login_as("carla@acme.test")
    response = client.get("/acme/login?next=" + quote(target, safe=""))
    assert_lands_on_this_site(response)


@pytest.mark.parametrize("target", EVIL_TARGETS[:8])
def test_login_form_does_not_carry_a_foreign_next(client, world, target):
    """The form's action keeps only a same-site ``next``: a foreign one is dropped, not echoed."""
    html = client.get("/acme/login?next=" + quote(target, safe="")).get_data(as_text=True)
    assert "evil.test" not in html and "javascript:" not in html.lower()


@pytest.mark.parametrize("target", ["/acme/tickets/create", "/acme/tickets?status=open&priority=high"])
def test_same_site_next_is_followed(client, world, target):
    """The feature the guard protects: a same-site path is where the user lands."""
    response = login(client, "carla@acme.test", next_path=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == target


def test_anonymous_visit_builds_a_same_site_next(client, world):
    """The login redirect of an anonymous visit carries the path only, never a Host from the request."""
    response = client.get("/acme/tickets?status=open", headers={"Host": "evil.test"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/acme/login?next=") and "evil.test" not in location


def test_logout_redirect_stays_on_the_site(login_as):
    """Logout has no ``next`` to abuse: it always lands on the workspace's login page."""
    client = login_as("carla@acme.test")
    response = client.post("/acme/logout?next=//evil.test", data={"next": "https://evil.test"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/acme/login"
