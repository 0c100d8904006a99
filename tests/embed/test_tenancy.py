"""The four tenancy modes in a host site: path, subdomain, single, custom (resolver hook)."""

import pytest
import sqlalchemy as sa

from xobito_tickets import Tickets
from xobito_tickets.models import Tenant
from xobito_tickets.tenancy.identity import MissingHookError

from .conftest import describe_host_user


def _tenants(host, *slugs):
    with host.app.app_context():
        from xobito_tickets.tenancy.workspaces import create_tenant

        for slug in slugs:
            create_tenant(slug, slug.capitalize() + " Inc")


def _slugs(host):
    with host.app.app_context():
        from xobito_tickets.db import session

        return [(t.slug, t.name, t.active) for t in session.scalars(sa.select(Tenant).order_by(Tenant.id))]


# --- path ------------------------------------------------------------------------------


def test_path_mode_serves_each_tenant_under_its_slug(make_host):
    host = make_host({"TICKETS_URL_PREFIX": "/help"})
    _tenants(host, "acme", "globex")
    carla = host.add_user("carla@host.test", "Carla")
    client = host.client(carla)
    page = client.get("/help/acme/tickets")
    assert page.status_code == 200
    assert 'href="/help/acme/tickets/create"' in page.get_data(as_text=True)
    assert client.get("/help/globex/tickets").status_code == 200
    # One host user, one directory row per tenant visited.
    assert len(host.people(email="carla@host.test")) == 2
    missing = client.get("/help/initech/tickets")
    assert missing.status_code == 404
    assert "Host site header" in missing.get_data(as_text=True), "the 404 page uses the host's layout"


def test_a_resolver_hook_can_map_path_slugs(make_host):
    tickets = Tickets()

    @tickets.tenant_resolver
    def aliases(slug):
        return {"acme-corp": "acme"}.get(slug, slug)

    host = make_host(tickets=tickets)
    _tenants(host, "acme")
    carla = host.add_user("carla@host.test", "Carla")
    assert host.client(carla).get("/acme-corp/tickets").status_code == 200
    assert host.client(carla).get("/nobody/tickets").status_code == 404


# --- subdomain -------------------------------------------------------------------------


@pytest.fixture
def subdomain_host(make_host):
    host = make_host(
        # The site's login lives on host.test; its session cookie must reach the subdomains.
        {"TICKETS_TENANCY": "subdomain", "SERVER_NAME": "host.test", "SESSION_COOKIE_DOMAIN": "host.test"},
        flask_options={"subdomain_matching": True},
    )
    _tenants(host, "acme")
    return host


def test_subdomain_mode_serves_the_tenant_on_its_own_host(subdomain_host):
    carla = subdomain_host.add_user("carla@host.test", "Carla")
    client = subdomain_host.client(carla, host="acme.host.test", login_host="host.test")
    page = client.get("/tickets")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/tickets/create"' in html
    # CSS and JS come from the tenant's host: the page's CSP allows 'self' only.
    assert '<link rel="stylesheet" href="/_tickets/static/tickets.css">' in html
    css = client.get("/_tickets/static/tickets.css")
    assert css.status_code == 200 and ".xt-tickets" in css.get_data(as_text=True)
    css.close()
    assert client.get("/tickets", base_url="http://initech.host.test").status_code == 404


def test_subdomain_mode_sends_the_full_url_as_next_to_the_login_on_the_main_host(subdomain_host):
    response = subdomain_host.client(host="acme.host.test").get("/tickets")
    assert response.status_code == 302
    assert response.location == "http://host.test/login?next=http%3A%2F%2Facme.host.test%2Ftickets"


def test_subdomain_mode_needs_server_name_and_subdomain_matching(make_host):
    with pytest.raises(RuntimeError, match="needs SERVER_NAME"):
        make_host({"TICKETS_TENANCY": "subdomain"}, flask_options={"subdomain_matching": True}, create=False)
    with pytest.raises(RuntimeError, match=r"subdomain_matching=True"):
        make_host({"TICKETS_TENANCY": "subdomain", "SERVER_NAME": "host.test"}, create=False)


# --- single ----------------------------------------------------------------------------


def test_single_mode_creates_its_tenant_on_first_use_and_has_no_slug_in_urls(make_host):
    host = make_host(
        {
            "TICKETS_TENANCY": "single",
            "TICKETS_TENANT": "help",
            "TICKETS_TENANT_NAME": "Host Help",
            "TICKETS_URL_PREFIX": "/support",
        }
    )
    assert _slugs(host) == []
    carla = host.add_user("carla@host.test", "Carla")
    page = host.client(carla).get("/support/tickets")
    assert page.status_code == 200
    assert 'href="/support/tickets/create"' in page.get_data(as_text=True)
    assert _slugs(host) == [("help", "Host Help", True)]
    assert host.client(carla).get("/support/help/tickets").status_code == 404


def test_single_mode_without_auto_create_waits_for_the_cli(make_host):
    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "help", "TICKETS_TENANT_AUTO_CREATE": False})
    carla = host.add_user("carla@host.test", "Carla")
    assert host.client(carla).get("/tickets").status_code == 404
    result = host.app.test_cli_runner().invoke(args=["tickets", "tenant", "create", "help", "--name", "Help"])
    assert result.exit_code == 0, result.output
    assert host.client(carla).get("/tickets").status_code == 200


def test_a_deactivated_single_tenant_is_not_recreated(make_host):
    host = make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": "help"})
    carla = host.add_user("carla@host.test", "Carla")
    assert host.client(carla).get("/tickets").status_code == 200
    with host.app.app_context():
        from xobito_tickets.db import session

        session.execute(sa.update(Tenant).values(active=False))
        session.commit()
    assert host.client(carla).get("/tickets").status_code == 404
    assert _slugs(host) == [("help", "help", False)]


@pytest.mark.parametrize("slug", [None, "", "Not A Slug", "x"])
def test_single_mode_needs_a_valid_tenant_slug(make_host, slug):
    with pytest.raises(RuntimeError, match="needs TICKETS_TENANT"):
        make_host({"TICKETS_TENANCY": "single", "TICKETS_TENANT": slug}, create=False)


# --- custom ----------------------------------------------------------------------------


def test_custom_mode_lets_the_resolver_pick_the_tenant(make_host):
    tickets = Tickets()
    tickets.identity_loader(describe_host_user)

    @tickets.tenant_resolver
    def by_domain(slug):
        from flask import request

        assert slug is None
        return {"help.acme.test": "acme", "support.globex.test": "globex"}.get(request.host)

    host = make_host({"TICKETS_TENANCY": "custom", "TICKETS_URL_PREFIX": "/support"}, tickets=tickets)
    _tenants(host, "acme", "globex")
    carla = host.add_user("carla@host.test", "Carla")
    acme = host.client(carla, host="help.acme.test")
    page = acme.get("/support/tickets")
    assert page.status_code == 200 and 'href="/support/tickets/create"' in page.get_data(as_text=True)
    assert host.client(carla, host="support.globex.test").get("/support/tickets").status_code == 200
    assert host.client(carla, host="other.test").get("/support/tickets").status_code == 404
    assert sorted(r["email"] for r in host.people()) == ["carla@host.test", "carla@host.test"]


def test_custom_mode_without_resolver_names_the_hook(make_host):
    host = make_host({"TICKETS_TENANCY": "custom"})
    with pytest.raises(MissingHookError, match=r"@tickets\.tenant_resolver"):
        host.client().get("/tickets")


def test_a_resolver_returning_something_else_is_a_clear_error(make_host):
    tickets = Tickets()
    tickets.tenant_resolver(lambda slug: 42)
    host = make_host({"TICKETS_TENANCY": "custom"}, tickets=tickets)
    with pytest.raises(TypeError, match="Tenant, a slug or None"):
        host.client().get("/tickets")


# --- configuration errors --------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"TICKETS_TENANCY": "cookie"}, "must be one of 'path', 'subdomain', 'single', 'custom', not 'cookie'"),
        ({"TICKETS_URL_PREFIX": "support"}, "must start with '/'"),
    ],
)
def test_a_wrong_mount_is_refused_at_init(make_host, config, message):
    with pytest.raises(RuntimeError, match=message):
        make_host(config, create=False)
