"""Response headers (SPEC §13): script injection, clickjacking, MIME sniffing, URL leaks
through Referer, and personal pages kept in shared or browser caches."""

import re

import pytest

from .conftest import PNG, login

CUSTOMER_PAGES = ["/acme/tickets", "/acme/tickets/create", "/acme/tickets/TKT-000001", "/acme/tickets/TKT-999999"]
STAFF_PAGES = ["/acme/admin/tickets", "/acme/admin/tickets/TKT-000001", "/acme/admin/departments"]


def _directives(policy):
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def assert_page_headers(response):
    """The headers every HTML page of the module must carry."""
    headers = response.headers
    policy = _directives(headers["Content-Security-Policy"])
    script_src = policy.get("script-src", policy.get("default-src"))
    assert script_src == ["'self'"], headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin", "strict-origin-when-cross-origin")


def assert_not_stored(response):
    cache_control = response.headers.get("Cache-Control", "")
    assert "no-store" in cache_control, response.headers
    assert "public" not in cache_control


@pytest.fixture
def customer(login_as, world, make):
    make.ticket(files=[("shot.png", "image/png", PNG)])
    return login_as("carla@acme.test")


@pytest.mark.parametrize("url", CUSTOMER_PAGES)
def test_customer_pages_have_the_security_headers_and_are_not_cached(customer, url):
    """Clickjacking, MIME sniffing, inline script and cached personal pages, on every customer page."""
    response = customer.get(url)
    assert response.status_code in (200, 404)
    assert_page_headers(response)
    assert_not_stored(response)
    assert response.headers.get_all("Vary").count("Cookie") <= 1


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_have_the_security_headers_and_are_not_cached(app, login_as, make, url):
    """The same guards on the staff side, where one script would reach every agent."""
    make.ticket()
    admin = login_as("ada@acme.test")
    response = admin.get(url)
    assert response.status_code == 200
    assert_page_headers(response)
    assert_not_stored(response)


def test_login_page_has_the_headers_and_is_not_stored(client, world):
    """The login form carries a CSRF token bound to this browser: never from a shared cache."""
    response = client.get("/acme/login")
    assert response.status_code == 200
    assert_page_headers(response)
    assert_not_stored(response)


def test_login_post_and_redirect_are_not_stored(client, world):
    """The response that sets the session cookie must not be cached for the next visitor."""
    response = login(client, "carla@acme.test")
    assert response.status_code == 302
    assert_not_stored(response)


@pytest.mark.parametrize(
    "url, status",
    [("/nope/tickets", 404), ("/acme/tickets/TKT-000001/close", 405), ("/acme/login?next=//evil", 200)],
)
def test_error_and_edge_pages_have_the_headers(client, world, url, status):
    """Error pages are pages too: framing or sniffing them must fail like any other."""
    response = client.get(url)
    assert response.status_code == status
    assert_page_headers(response)


def test_csrf_error_page_has_the_headers(csrf_app, world):
    """The 400 page of a refused form is rendered in the layout: same headers."""
    app = csrf_app
    response = app.test_client().post("/acme/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    assert_page_headers(response)


@pytest.mark.parametrize("url", CUSTOMER_PAGES[:3] + ["/acme/login", "/acme/register"])
def test_pages_contain_no_inline_script_or_style(customer, app, url):
    """Stored XSS defence in depth: the CSP forbids inline code, so the templates must not need it."""
    client = customer if "login" not in url and "register" not in url else app.test_client()
    html = client.get(url).get_data(as_text=True)
    assert html.strip().startswith("<!doctype html>")
    for script in re.findall(r"<script\b[^>]*>", html, flags=re.I):
        assert "src=" in script, f"inline script on {url}: {script}"
    assert not re.search(r"<script\b[^>]*>(?!\s*</script>)", html, flags=re.I), f"script body on {url}"
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"inline event handler on {url}"
    assert not re.search(r"\sstyle\s*=", html, flags=re.I), f"inline style attribute on {url}"
    assert not re.search(r"<style\b", html, flags=re.I), f"style element on {url}"
    assert "javascript:" not in html.lower()


def test_staff_pages_contain_no_inline_script_or_style(app, login_as, make):
    """The staff pages under the same CSP."""
    make.ticket()
    admin = login_as("ada@acme.test")
    for url in STAFF_PAGES:
        html = admin.get(url).get_data(as_text=True)
        assert not re.search(r"<script\b[^>]*>(?!\s*</script>)", html, flags=re.I), f"script body on {url}"
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"inline event handler on {url}"
        assert not re.search(r"\sstyle\s*=", html, flags=re.I), f"inline style attribute on {url}"


def test_static_assets_are_cacheable_and_not_sniffed(client, world):
    """CSS and JS carry nosniff and no personal data, so they stay cacheable."""
    for name, mimetype in (("tickets.css", "text/css"), ("tickets.js", "text/javascript")):
        with client.get(f"/_tickets/static/{name}") as response:
            assert response.status_code == 200
            assert response.mimetype == mimetype
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "no-store" not in response.headers.get("Cache-Control", "")


def test_production_settings_make_cookies_secure(other_app, world):
    """Session theft over plain HTTP: outside debug and tests the cookie is Secure, HttpOnly, SameSite=Lax."""
    # Production serves the host of its base URL only; the test client's is localhost.
    app = other_app(TESTING=False, TRUSTED_HOSTS=["localhost"])
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = login(app.test_client(), "carla@acme.test")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_development_cookies_are_httponly_and_samesite(client, world):
    """Even on plain-HTTP local runs the session cookie is out of script's reach and not sent cross-site."""
    response = login(client, "carla@acme.test")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
