"""Search as people use it: the staff queue's and the portal's search boxes, the command line, the migration."""

import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from xobito_tickets import create_app
from xobito_tickets.db import session
from xobito_tickets.models import Tenant
from xobito_tickets.search.models import SearchDocument

from ..conftest import TEST_SETTINGS, World
from .conftest import Desk, search


def numbers_listed(response):
    assert response.status_code == 200
    return re.findall(
        r'<td class="xt-nowrap(?: xt-col-number)?"><a href="[^"]+">(TKT-\d+)</a>', response.get_data(as_text=True)
    )


@pytest.fixture
def login(client):
    def login(email, tenant="acme"):
        client.post(f"/{tenant}/logout")
        response = client.post(f"/{tenant}/login", data={"email": email, "password": "correct horse battery"})
        assert response.status_code in (302, 303)
        return client

    return login


def test_the_queue_ranks_and_highlights_with_the_reply_text_escaped(app, world, desk, login):
    desk.ticket(
        "script", "Widget crash", "It crashes.", replies=[("staff", "Send <script>alert(1)</script> zebra logs")]
    )
    desk.ticket("other", "Zebra stripes", "Zebra zebra everywhere.")
    page = login("ada@acme.test").get("/acme/admin/tickets?q=zebra")
    html = page.get_data(as_text=True)
    assert numbers_listed(page) == [f"TKT-{desk.numbers[k]:06d}" for k in ("other", "script")]
    assert "<script>alert(1)" not in html
    assert "Send &lt;script&gt;alert(1)&lt;/script&gt; <mark>zebra</mark> logs" in html
    assert "best match first" in html


def test_customers_search_their_own_tickets_in_the_portal(app, world, desk, login):
    desk.ticket("mine", "Router question", "My router blinks.")
    desk.ticket("theirs", "Router question", "Their router blinks.", requester="other_customer")
    client = login("carla@acme.test")
    page = client.get("/acme/tickets")
    assert 'name="q"' in page.get_data(as_text=True)
    found = client.get("/acme/tickets?q=router")
    assert numbers_listed(found) == [f"TKT-{desk.numbers['mine']:06d}"]
    assert "My <mark>router</mark> blinks." in found.get_data(as_text=True)
    assert numbers_listed(client.get("/acme/tickets?q=their")) == []
    assert numbers_listed(client.get("/acme/tickets?q=TKT-000002")) == []


def test_another_tenant_finds_nothing_of_ours(app, world, desk, login):
    desk.ticket("acme", "Secret project falcon", "Ours.")
    client = login("gary@globex.test", tenant="globex")
    assert numbers_listed(client.get("/globex/admin/tickets?q=falcon")) == []


def test_staff_outside_the_department_do_not_find_it(app, world, desk, login):
    desk.ticket("billing", "Refund of invoice", "Billing only.", department="billing")
    assert numbers_listed(login("sam@acme.test").get("/acme/admin/tickets?q=refund")) == []
    assert numbers_listed(login("bea@acme.test").get("/acme/admin/tickets?q=refund")) == [
        f"TKT-{desk.numbers['billing']:06d}"
    ]


def test_the_count_of_matches_stops_at_the_limit(app_config, app, world, desk, login):
    app.config["TICKETS_SEARCH_LIMIT"] = 3
    for n in range(5):
        desk.ticket(f"t{n}", f"Gizmo {n}", "A gizmo.")
    response = login("ada@acme.test").get("/acme/admin/tickets?q=gizmo")
    assert "3+ matches, best first" in response.get_data(as_text=True)
    assert len(numbers_listed(response)) == 3
    app.config["TICKETS_SEARCH_LIMIT"] = 1000
    assert "5 matches, best first" in login("ada@acme.test").get("/acme/admin/tickets?q=gizmo").get_data(as_text=True)


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "NEAR(a b",
        "*",
        '"',
        "a OR b",
        "col:value",
        "-",
        '""',
        "()",
        "' OR 1=1 --",
        "é" * 300,
        "-only -words",
    ],
)
def test_any_search_text_is_a_page_never_an_error(app, world, desk, login, q):
    desk.ticket("t", "Anything", "Text.")
    assert login("ada@acme.test").get("/acme/admin/tickets", query_string={"q": q}).status_code == 200
    assert login("carla@acme.test").get("/acme/tickets", query_string={"q": q}).status_code == 200


def test_a_cursor_that_is_not_ours_is_the_first_page(app, world, desk, login):
    desk.ticket("t", "Comet", "Comet.")
    client = login("ada@acme.test")
    # Not base64, too long, a rank that is not a number, an id past any row.
    for cursor in ("snot-base64", "s" + "A" * 300, "sbmFufjE", "sMS4wfjk5OTk5OTk5OTk5OTk="):
        assert numbers_listed(client.get("/acme/admin/tickets", query_string={"q": "comet", "after": cursor})) == [
            f"TKT-{desk.numbers['t']:06d}"
        ]


def test_reindex_command(app, world, desk, runner):
    desk.ticket("t", "Nebula", "Text.")
    with app.app_context():
        session.execute(sa.delete(SearchDocument))
        session.commit()
    result = runner.invoke(args=["tickets", "reindex", "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 tickets of 'acme'" in result.output
    result = runner.invoke(args=["tickets", "reindex"])
    assert result.exit_code == 0 and "Indexed 1 tickets of every workspace" in result.output
    result = runner.invoke(args=["tickets", "reindex", "--language", "german"])
    assert result.exit_code != 0 and "--tenant" in result.output
    result = runner.invoke(args=["tickets", "reindex", "--tenant", "acme", "--language", "klingon"])
    assert result.exit_code != 0
    result = runner.invoke(args=["tickets", "reindex", "--tenant", "acme", "--language", "german"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert session.scalar(sa.select(Tenant.search_language).where(Tenant.slug == "acme")) == "german"
    result = runner.invoke(args=["tickets", "reindex", "--tenant", "nope"])
    assert result.exit_code != 0 and "No workspace" in result.output


def test_the_migration_indexes_the_tickets_already_there(tmp_path):
    url = "sqlite:///" + str(tmp_path / "migrated.sqlite")
    app = create_app(
        {
            **TEST_SETTINGS,
            "TESTING": True,
            "SECRET_KEY": "m",
            "SQLALCHEMY_DATABASE_URI": url,
            "TICKETS_STORAGE_ROOT": str(tmp_path / "storage"),
        }
    )
    with app.app_context():
        upgrade()
    world = World(app)
    desk = Desk(app, world)
    desk.ticket("t", "Pulsar", "Text.")
    with app.app_context():
        downgrade(revision="time")  # the revision before the search index
        assert "tickets_search_documents" not in sa.inspect(app.extensions["sqlalchemy"].engine).get_table_names()
        upgrade()
        assert session.scalar(sa.select(sa.func.count()).select_from(SearchDocument)) == 1
    assert search(app, world, "pulsar")[0] == [desk.numbers["t"]]
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
