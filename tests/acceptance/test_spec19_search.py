"""SPEC §19: what the staff search covers, how words match, and what customers find."""

import re

import pytest

from .conftest import body, login


def _found(client, q, tenant="acme", portal=False):
    url = f"/{tenant}/tickets" if portal else f"/{tenant}/admin/tickets"
    response = client.get(url, query_string={"q": q})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return set(re.findall(re.escape(url) + r'/(TKT-\d{6})"', html)), html


@pytest.fixture
def corpus(app, world, make):
    first = make.ticket(subject="Café machine leaking", body="The espresso unit drips everywhere.")
    make.reply(first.number, world.staff_id, "Replaced the Gaskets yesterday.")
    second = make.ticket(requester_id=world.other_customer_id, subject="Keyboard", body="Sticky keys.")
    return first.number, second.number


def test_staff_search_covers_number_subject_body_replies_notes_and_the_customer(
    app, client, world, corpus, api, tokens
):
    first, second = corpus
    login(client, "ada@acme.test")
    client.post(f"/acme/admin/tickets/{first}/note", data={"body": "Vendor ticket Quokkaref-77 opened."})
    for q, expected in [
        (first, {first}),
        ("cafe", {first}),  # accents
        ("CAFÉ", {first}),  # case
        ("espres", {first}),  # prefix, body
        ("gasket", {first}),  # a reply
        ("quokkaref", {first}),  # a note
        ("Oscar", {second}),  # the customer's name
        ("oscar@acme.test", {second}),  # the customer's email
    ]:
        found, _html = _found(client, q)
        assert expected <= found and (found - expected) <= set(), (q, found)
    _found_, html = _found(client, "espresso")
    assert re.search(r"<mark>[^<]*[Ee]spresso[^<]*</mark>", html)
    # The API's list takes the same q.
    listed = body(api.get("/tickets", tokens.admin, query_string={"q": "gasket"}))["data"]
    assert [t["number"] for t in listed] == [first]


def test_customers_search_their_own_tickets_never_notes(app, client, corpus):
    first, second = corpus
    login(client, "ada@acme.test")
    client.post(f"/acme/admin/tickets/{first}/note", data={"body": "Internal word Wombatcode."})
    login(client, "carla@acme.test")
    assert first in _found(client, "gasket", portal=True)[0]
    assert _found(client, "wombatcode", portal=True)[0] == set()
    assert _found(client, "keyboard", portal=True)[0] == set()  # Oscar's


def test_tab_counts_are_capped(app, client, world, make):
    app.config["TICKETS_SEARCH_LIMIT"] = 3
    for i in range(5):
        make.ticket(subject=f"Toner {i}")
    login(client, "ada@acme.test")
    _found_, html = _found(client, "toner")
    assert "3+" in html
