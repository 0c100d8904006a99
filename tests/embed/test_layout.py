"""The module's pages inside the host's layout; CSS that does not fight the host's."""

import logging
import re
from pathlib import Path

import pytest

import xobito_tickets

STATIC = Path(xobito_tickets.__file__).parent / "static" / "xobito_tickets"
TEMPLATES = Path(xobito_tickets.__file__).parent / "templates" / "xobito_tickets"


def test_pages_render_in_the_hosts_layout_with_the_modules_assets_once(single_host):
    carla = single_host.add_user("carla@host.test", "Carla")
    html = single_host.client(carla).get("/support/tickets/create").get_data(as_text=True)
    assert "<title>New ticket · Host site</title>" in html
    assert "Host site header" in html and '<body class="host-body">' in html
    head = html.split("</head>")[0]
    for asset in ("tickets.css", "admin.css", "embed.css", "tickets.js"):
        assert head.count(f"/support/_tickets/static/{asset}") == 1, asset
    # The helpdesk's menu, in the host's optional tickets_nav block.
    nav = re.search(r'<nav class="xt-tickets xt-embed-nav" aria-label="Helpdesk">(.*?)</nav>', html, re.S)
    assert nav and 'href="/support/tickets"' in nav.group(1) and 'href="/support/tickets/create"' in nav.group(1)
    # Flashes go through the host's own flash markup.
    assert '<div class="host-content">' in html


def test_staff_get_the_staff_menu(single_host):
    mo = single_host.add_user("mo@host.test", "Mo", role="manager")
    html = single_host.client(mo).get("/support/admin/tickets").get_data(as_text=True)
    nav = re.search(r'aria-label="Helpdesk">(.*?)</nav>', html, re.S).group(1)
    assert 'href="/support/admin/tickets"' in nav and 'href="/support/admin/departments"' in nav


def test_the_asset_links_serve_the_files(single_host):
    client = single_host.client()
    for asset in ("tickets.css", "admin.css", "embed.css", "tickets.js"):
        response = client.get(f"/support/_tickets/static/{asset}")
        assert response.status_code == 200 and response.data, asset
        response.close()


def test_a_layout_calling_tickets_assets_gets_them_once_and_host_pages_get_none(make_host):
    host = make_host(
        {"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support", "TICKETS_BASE_TEMPLATE": "host_assets_call.html"}
    )
    carla = host.add_user("carla@host.test", "Carla")
    client = host.client(carla)
    html = client.get("/tickets").get_data(as_text=True)
    assert html.count("/_tickets/static/tickets.css") == 1
    home = client.get("/").get_data(as_text=True)
    assert "Host home page" in home and "_tickets/static" not in home


def test_a_layout_extending_another_is_accepted(make_host):
    host = make_host(
        {"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support", "TICKETS_BASE_TEMPLATE": "host_child.html"}
    )
    carla = host.add_user("carla@host.test", "Carla")
    html = host.client(carla).get("/tickets").get_data(as_text=True)
    assert "Host site header" in html and html.count("_tickets/static/tickets.css") == 1


def test_a_layout_without_content_block_is_a_clear_error(make_host):
    host = make_host(
        {"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support", "TICKETS_BASE_TEMPLATE": "host_no_content.html"}
    )
    carla = host.add_user("carla@host.test", "Carla")
    with pytest.raises(RuntimeError, match=r"'host_no_content.html' has no \{% block content %\}"):
        host.client(carla).get("/tickets")


def test_a_layout_without_head_block_is_logged(make_host, caplog):
    host = make_host(
        {"TICKETS_TENANCY": "single", "TICKETS_TENANT": "support", "TICKETS_BASE_TEMPLATE": "host_no_head.html"}
    )
    carla = host.add_user("carla@host.test", "Carla")
    with caplog.at_level(logging.WARNING, logger="xobito_tickets.layouts"):
        assert host.client(carla).get("/tickets").status_code == 200
    assert "has no {% block head %}" in caplog.text


def _selectors(css):
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    for match in re.finditer(r"([^{}]+)\{", css):
        selector = match.group(1).strip()
        if not selector.startswith("@"):
            yield from (part.strip() for part in selector.split(","))


@pytest.mark.parametrize("name", sorted(p.name for p in STATIC.glob("*.css")))
def test_every_css_rule_is_scoped_to_the_modules_classes(name):
    unscoped = [s for s in _selectors((STATIC / name).read_text()) if ".xt-" not in s]
    assert unscoped == [], f"{name}: rules that would style the host's page: {unscoped}"


def test_the_standalone_layout_still_uses_the_module_look(client, world):
    html = client.get("/acme/login").get_data(as_text=True)
    assert '<body class="xt-app">' in html
    response = client.get("/_tickets/static/tickets.css")
    assert ".xt-app { margin: 0; background: var(--xt-bg);" in response.get_data(as_text=True)
    response.close()


def test_host_layout_assets_match_the_module_layout():
    """Every stylesheet and script of the module's layout is also in tickets_assets()."""

    def files(template):
        return set(re.findall(r"filename='([^']+)'", (TEMPLATES / template).read_text()))

    assert files("layout.html") <= files("_assets.html")
