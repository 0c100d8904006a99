"""Satisfaction ratings: the closed email's signed links, the rating page, the token's limits."""

import re
import time
from html import unescape

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, Ticket, TicketEvent, User
from xobito_tickets.reports.models import ReportCount
from xobito_tickets.satisfaction.models import Rating
from xobito_tickets.satisfaction.tokens import MAX_AGE, make_rating_token
from xobito_tickets.tickets.services import close_ticket, open_ticket, post_reply

from ..conftest import csrf_token_from
from ..mail.conftest import deliver, emails_to


def _open(app, world, tenant="acme", closed=True):
    """Open (and close, as staff) a ticket; return ``(number, id)``."""
    with app.app_context():
        if tenant == "acme":
            t, customer, dept, staff = world.acme_id, world.customer_id, world.support_id, world.staff_id
        else:
            t, customer, dept, staff = world.globex_id, world.globex_customer_id, world.globex_support_id, None
            staff = world.globex_admin_id
        ticket = open_ticket(
            session.get(Tenant, t), session.get(User, customer), session.get(Department, dept), "Printer", "On fire."
        )
        if closed:
            close_ticket(ticket, session.get(User, staff))
        return ticket.display_number, ticket.id


def _link(app, tenant_id, ticket_id, number, slug="acme", issued_at=None):
    with app.test_request_context():
        token = make_rating_token(tenant_id, ticket_id, issued_at=issued_at)
    return f"/{slug}/rate/{number}/{token}"


def _ratings(app):
    with app.app_context():
        return [(r.ticket_id, r.rating, r.comment) for r in session.scalars(sa.select(Rating).order_by(Rating.id))]


def test_a_get_shows_the_choice_and_changes_nothing(app, world, client):
    number, ticket_id = _open(app, world)
    link = _link(app, world.acme_id, ticket_id, number)
    page = client.get(link + "?rating=bad")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "How did we do?" in html and number in html
    assert re.search(r'<input[^>]*checked[^>]*value="bad"|<input[^>]*value="bad"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="good"[^>]*checked', html)
    assert _ratings(app) == []


def test_the_post_saves_one_rating_that_can_be_changed(app, world, client):
    number, ticket_id = _open(app, world)
    link = _link(app, world.acme_id, ticket_id, number)
    response = client.post(link, data={"rating": "good", "comment": "Quick and kind."})
    assert response.status_code == 303
    assert _ratings(app) == [(ticket_id, "good", "Quick and kind.")]
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your rating is saved" in thanks
    # The same link again (reused): the rating changes, still one row.
    assert client.post(link, data={"rating": "bad", "comment": ""}).status_code == 303
    assert _ratings(app) == [(ticket_id, "bad", "")]
    with app.app_context():
        kinds = session.scalars(
            sa.select(TicketEvent.new_value).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "rating")
        ).all()
        assert kinds == ["Good", "Bad"]
        # The report counts the rating once, as it is now.
        good, bad = session.execute(
            sa.select(sa.func.sum(ReportCount.rated_good), sa.func.sum(ReportCount.rated_bad)).where(
                ReportCount.grain == "day"
            )
        ).one()
        assert (good, bad) == (0, 1)


def test_staff_see_the_rating_on_the_ticket(app, world, client, auth):
    number, ticket_id = _open(app, world)
    client.post(_link(app, world.acme_id, ticket_id, number), data={"rating": "bad", "comment": "Took <b>ages</b>."})
    auth.login("sam@acme.test")
    html = client.get(f"/acme/admin/tickets/{number}").get_data(as_text=True)
    assert "Rated Bad" in html
    assert "Took &lt;b&gt;ages&lt;/b&gt;." in html


@pytest.mark.parametrize(
    "data, field",
    [({"rating": "excellent"}, "rating"), ({}, "rating"), ({"rating": "good", "comment": "x" * 2001}, "comment")],
)
def test_bad_input_is_422_with_the_error_and_stores_nothing(app, world, client, data, field):
    number, ticket_id = _open(app, world)
    response = client.post(_link(app, world.acme_id, ticket_id, number), data=data)
    assert response.status_code == 422
    assert 'class="xt-error-text"' in response.get_data(as_text=True)
    assert _ratings(app) == []


def test_an_expired_link_says_so_and_saves_nothing(app, world, client):
    number, ticket_id = _open(app, world)
    link = _link(app, world.acme_id, ticket_id, number, issued_at=time.time() - MAX_AGE - 60)
    page = client.get(link)
    assert page.status_code == 410
    assert client.post(link, data={"rating": "good"}).status_code == 410
    assert _ratings(app) == []
    # A day before the end it still works.
    fresh = _link(app, world.acme_id, ticket_id, number, issued_at=time.time() - MAX_AGE + 86400)
    assert client.get(fresh).status_code == 200


def test_links_of_another_ticket_another_tenant_or_tampered_are_404(app, world, client):
    number, ticket_id = _open(app, world)
    other_number, other_id = _open(app, world)
    globex_number, globex_id = _open(app, world, tenant="globex")
    links = [
        # Ticket 2's token on ticket 1's address, and the other way round.
        _link(app, world.acme_id, other_id, number),
        _link(app, world.acme_id, ticket_id, other_number),
        # Globex's ticket token on acme's address; acme's token under globex.
        _link(app, world.globex_id, globex_id, globex_number, slug="acme"),
        _link(app, world.acme_id, ticket_id, number, slug="globex"),
        # A token that names acme but a globex ticket id.
        _link(app, world.acme_id, globex_id, number),
    ]
    good = _link(app, world.acme_id, ticket_id, number)
    head, token = good.rsplit("/", 1)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    links += [f"{head}/{tampered}", f"{head}/not-a-token", f"{head}/{token}x"]
    with app.test_request_context():
        # Signed with the same key but for something else (no rating salt).
        links.append(f"{head}/" + URLSafeTimedSerializer("test-secret").dumps([world.acme_id, ticket_id]))
    for link in links:
        assert client.get(link).status_code == 404, link
        assert client.post(link, data={"rating": "good"}).status_code == 404, link
    assert _ratings(app) == []


@pytest.fixture
def csrf_app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_the_post_needs_the_forms_csrf_token(csrf_app_config, app, world, client):
    number, ticket_id = _open(app, world)
    link = _link(app, world.acme_id, ticket_id, number)
    assert client.post(link, data={"rating": "good"}).status_code == 400
    assert _ratings(app) == []
    token = csrf_token_from(client.get(link).get_data(as_text=True))
    assert client.post(link, data={"rating": "good", "csrf_token": token}).status_code == 303
    assert _ratings(app) == [(ticket_id, "good", "")]


class TestClosedEmail:
    @pytest.fixture
    def app_config(self, app_config, mail_config):
        app_config.update(mail_config)
        return app_config

    def test_the_customers_closed_email_asks_how_we_did_with_working_links(self, app, world, client, smtp_server):
        number, ticket_id = _open(app, world)
        deliver(app)
        receipt, email = emails_to(smtp_server, "carla@acme.test")
        assert "How did we do?" not in receipt.text
        assert email.subject == f"[{number}] Closed: Printer"
        assert "How did we do?" in email.text
        links = re.findall(r"http://helpdesk\.test(/acme/rate/\S+?)\?rating=(good|bad)", email.text)
        assert {choice for _, choice in links} == {"good", "bad"}
        assert f"/acme/rate/{number}/" in links[0][0]
        assert "How did we do?" in email.html and "?rating=good" in unescape(email.html)
        page = client.get(f"{links[0][0]}?rating={links[0][1]}")
        assert page.status_code == 200
        assert client.post(links[0][0], data={"rating": "good"}).status_code == 303
        assert _ratings(app) == [(ticket_id, "good", "")]

    def test_staff_closed_emails_carry_no_rating_link(self, app, world, smtp_server):
        with app.app_context():
            ticket = open_ticket(
                session.get(Tenant, world.acme_id),
                session.get(User, world.customer_id),
                session.get(Department, world.support_id),
                "Printer",
                "On fire.",
                Priority.HIGH,
            )
            session.execute(sa.update(Ticket).where(Ticket.id == ticket.id).values(assignee_id=world.staff_id))
            session.commit()
            close_ticket(session.get(Ticket, ticket.id), session.get(User, world.customer_id))
        deliver(app)
        for email in emails_to(smtp_server, "sam@acme.test"):
            assert "How did we do?" not in email.text and "/rate/" not in email.text

    def test_send_and_close_is_one_email_with_the_reply_the_closing_and_the_rating_links(
        self, app, world, client, smtp_server
    ):
        number, ticket_id = _open(app, world, closed=False)
        with app.test_request_context():
            post_reply(
                session.get(Ticket, ticket_id), session.get(User, world.staff_id), "Fixed: new toner.", then_close=True
            )
        deliver(app)
        receipt, email = emails_to(smtp_server, "carla@acme.test")
        assert "How did we do?" not in receipt.text
        # One email says all three: the reply, that the ticket is closed, and how to rate it.
        assert email.subject == f"[{number}] New reply, now Closed: Printer"
        assert "Fixed: new toner." in email.text
        assert "The ticket is now Closed" in email.text
        assert "How did we do?" in email.text
        links = re.findall(r"http://helpdesk\.test(/acme/rate/\S+?)\?rating=(good|bad)", email.text)
        assert {choice for _, choice in links} == {"good", "bad"}
        assert "How did we do?" in email.html and "?rating=bad" in unescape(email.html)
        bad = next(path for path, choice in links if choice == "bad")
        assert client.get(f"{bad}?rating=bad").status_code == 200
        assert client.post(bad, data={"rating": "bad", "comment": "Slow."}).status_code == 303
        assert _ratings(app) == [(ticket_id, "bad", "Slow.")]

    def test_a_reply_that_does_not_close_carries_no_rating_link(self, app, world, smtp_server):
        number, ticket_id = _open(app, world, closed=False)
        with app.test_request_context():
            post_reply(session.get(Ticket, ticket_id), session.get(User, world.staff_id), "Looking into it.")
        deliver(app)
        _, email = emails_to(smtp_server, "carla@acme.test")
        assert "Looking into it." in email.text
        assert "How did we do?" not in email.text and "/rate/" not in email.text
