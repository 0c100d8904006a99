"""SPEC §14, the staff workspace, as an outside tester reads it: routes, field names, answers."""

import io
import re

import sqlalchemy as sa

from xobito_tickets.canned.models import CannedReply
from xobito_tickets.cc.models import TicketCC
from xobito_tickets.db import session
from xobito_tickets.models import Ticket, User
from xobito_tickets.workspace.models import Tag

from ..tools.conftest import history_kinds
from .conftest import emails, last_email_id, login, snapshot, text_of, ticket_row

SAM, ADA, CARLA, OSCAR, BEA = "sam@acme.test", "ada@acme.test", "carla@acme.test", "oscar@acme.test", "bea@acme.test"
SECRET = "Zanzibarquux refund approved internally"


def _note(client, number, body=SECRET, files=()):
    data = {"body": body, "attachments": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/acme/admin/tickets/{number}/note", data=data, content_type="multipart/form-data")


def _numbers(response):
    return set(re.findall(r"TKT-\d{6}", text_of(response)))


# -- Internal notes ----------------------------------------------------------------------------


def test_a_note_never_reaches_the_customer_anywhere(app, client, desk, api, tokens):
    login(client, SAM)
    mark = last_email_id(app)
    assert _note(client, desk.open_number, files=[("plan.txt", b"internal plan\n")]).status_code in (302, 303)
    # No email to the customer (or anyone who is not staff) about it.
    assert [to for _id, to, _m in emails(app, mark) if to in (CARLA, "boss@example.com")] == []
    # The portal page, the portal search, the customer's API view.
    login(client, CARLA)
    assert SECRET not in client.get(f"/acme/tickets/{desk.open_number}").get_data(as_text=True)
    found = client.get("/acme/tickets", query_string={"q": "Zanzibarquux"})
    assert found.status_code == 200 and desk.open_number not in text_of(found)
    seen = api.get(f"/tickets/{desk.open_number}", tokens.customer).get_json()
    assert SECRET not in str(seen) and all(m["kind"] == "reply" for m in seen["messages"])
    # The note's attachment through the portal download: 404; staff may download it.
    staff_view = api.get(f"/tickets/{desk.open_number}", tokens.staff).get_json()
    note = [m for m in staff_view["messages"] if m["kind"] == "note"]
    assert len(note) == 1 and note[0]["body"] == SECRET
    attachment = note[0]["attachments"][0]["id"]
    assert client.get(f"/acme/tickets/{desk.open_number}/download?attachment={attachment}").status_code == 404
    assert api.get(f"/tickets/{desk.open_number}/attachments/{attachment}", tokens.customer).status_code == 404


def test_a_note_over_2000_characters_is_refused_with_422_and_nothing_stored(app, client, desk):
    login(client, SAM)
    before = snapshot(app)
    response = _note(client, desk.open_number, body="x" * 2001)
    assert response.status_code == 422
    assert snapshot(app) == before
    assert _note(client, desk.open_number, body="x" * 2000).status_code in (302, 303)


def test_a_mention_emails_the_staff_member_who_may_see_the_ticket(app, client, desk):
    login(client, ADA)
    mark = last_email_id(app)
    assert _note(client, desk.open_number, body="@sam@acme.test please look, and @Bea Billing too").status_code == 303
    sent = {to: message for _id, to, message in emails(app, mark)}
    assert SAM in sent and "mentioned you" in sent[SAM].body
    assert BEA not in sent  # Bea is in Billing: she may not see a Support ticket
    assert CARLA not in sent


def test_a_customer_cannot_post_a_note(app, client, desk):
    login(client, CARLA)
    before = snapshot(app)
    assert _note(client, desk.open_number).status_code == 404
    assert snapshot(app) == before


# -- One composer ------------------------------------------------------------------------------


def test_send_and_close_sends_one_email_to_the_customer(app, client, desk):
    login(client, SAM)
    mark = last_email_id(app)
    response = client.post(
        f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "Fixed, closing now.", "then": "close"}
    )
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith(f"/acme/admin/tickets/{desk.open_number}")
    assert ticket_row(app, desk.open_number).status == "closed"
    to_carla = [m for _id, to, m in emails(app, mark) if to == CARLA]
    assert len(to_carla) == 1 and "Fixed, closing now." in to_carla[0].body


# -- Queue views -------------------------------------------------------------------------------


def test_queue_tabs_have_counts_and_the_default_is_needs_reply(app, client, desk):
    login(client, ADA)
    page = text_of(client.get("/acme/admin/tickets"))
    for label in ("Needs reply", "Mine", "Unassigned", "Overdue", "All open", "Closed"):
        assert re.search(re.escape(label) + r"\s*\(?\d", page), label
    # The closed ticket is not in the default tab; any filter searches every ticket.
    assert desk.closed_number not in _numbers(client.get("/acme/admin/tickets"))
    assert desk.closed_number not in _numbers(client.get("/acme/admin/tickets?sort=created"))
    for query in ("status=closed", "priority=low", "q=Old", "assignee=none&status=closed&status=open"):
        listed = _numbers(client.get("/acme/admin/tickets?" + query))
        assert (desk.closed_number in listed) == (not query.startswith("assignee")), query
    assert desk.closed_number in _numbers(client.get("/acme/admin/tickets?tab=closed"))


def test_department_assignee_and_tag_filters_leave_the_default_tab(app, client, world, desk):
    login(client, ADA)
    client.post(f"/acme/admin/tickets/{desk.closed_number}/tags", data={"tags": "legacy-item"})
    assert desk.closed_number in _numbers(client.get(f"/acme/admin/tickets?department={world.support_id}"))
    assert desk.closed_number in _numbers(client.get(f"/acme/admin/tickets?assignee={desk.alex_id}"))
    assert _numbers(client.get("/acme/admin/tickets?tag=legacy-item")) == {desk.closed_number}
    assert _numbers(client.get("/acme/admin/tickets?tag=LEGACY-ITEM")) == {desk.closed_number}


# -- Bulk actions ------------------------------------------------------------------------------


def test_bulk_actions_by_their_field_names(app, client, world, desk, make):
    login(client, ADA)
    other = make.ticket(subject="Second")
    globex = make.ticket(tenant="globex")
    tickets = [desk.open_number, other.number]

    def bulk(**data):
        return client.post("/acme/admin/tickets/bulk", data=data, follow_redirects=True)

    answer = bulk(tickets=tickets, action="priority", priority="urgent")
    assert answer.status_code == 200 and "2 tickets changed" in text_of(answer)
    assert ticket_row(app, other.number).priority == 4 or str(ticket_row(app, other.number).priority).endswith("4")
    answer = bulk(tickets=tickets, action="assign", department=str(world.billing_id), assignee="")
    assert "2 tickets changed" in text_of(answer)
    assert ticket_row(app, other.number).department_id == world.billing_id
    answer = bulk(tickets=[*tickets, "TKT-999999", globex.number], action="tag", tags="Vip, printer")
    text = text_of(answer)
    assert "2 tickets changed" in text and "TKT-999999" in text and text.count("not found") >= 1
    answer = bulk(tickets=tickets, action="untag", tags="VIP")
    assert "2 tickets changed" in text_of(answer)
    answer = bulk(tickets=[desk.closed_number, other.number], action="close")
    text = text_of(answer)
    assert "1 ticket changed" in text and desk.closed_number in text
    assert ticket_row(app, other.number).status == "closed"
    assert "1 ticket changed" in text_of(bulk(tickets=[other.number], action="reopen"))
    assert ticket_row(app, other.number).status == "open"
    # The other tenant's ticket (same number space) was never touched.
    assert ticket_row(app, globex.number, tenant="globex").status == "open"


def test_bulk_by_staff_skips_what_they_may_not_see_as_not_found(app, client, world, desk, make):
    billing = make.ticket(department_id=world.billing_id, subject="Invoice")
    login(client, SAM)
    answer = client.post(
        "/acme/admin/tickets/bulk",
        data={"tickets": [billing.number, desk.open_number], "action": "priority", "priority": "high"},
        follow_redirects=True,
    )
    text = text_of(answer)
    assert "1 ticket changed" in text and billing.number in text and "not found" in text
    assert ticket_row(app, billing.number).priority == ticket_row(app, make.ticket().number).priority  # medium


# -- Canned replies ----------------------------------------------------------------------------


def test_canned_reply_variables_fill_the_composer_without_javascript(app, client, world, desk):
    login(client, ADA)
    response = client.post(
        "/acme/admin/canned-replies/create",
        data={
            "title": "Everything",
            "body": "Hi {{ customer.first_name }} ({{ customer.name }}), {{ ticket.number }} "
            "«{{ ticket.subject }}» in {{ department.name }} — {{ agent.name }}",
            "department": "",
        },
    )
    assert response.status_code in (302, 303)
    with app.app_context():
        canned_id = session.scalar(sa.select(CannedReply.id).where(CannedReply.title == "Everything"))
    page = client.get(f"/acme/admin/tickets/{desk.open_number}?canned={canned_id}")
    composer = page.get_data(as_text=True)
    textarea = composer[composer.index("<textarea") : composer.index("</textarea>")]
    assert (
        f"Hi Carla (Carla Customer), {desk.open_number} «Printer on fire» in Support — Ada Admin"
        in text_of_fragment(textarea)
    )


def text_of_fragment(fragment):
    import html

    return html.unescape(fragment)


def test_an_unknown_canned_variable_is_refused_when_saved(app, client, world):
    login(client, ADA)
    before = snapshot(app)
    for body in ("Hi {{ customer.email }}", "{{ config }}", "{% for x in y %}{% endfor %}", "{{ ticket.__class__ }}"):
        response = client.post(
            "/acme/admin/canned-replies/create", data={"title": "Bad", "body": body, "department": ""}
        )
        assert response.status_code == 422, body
    assert snapshot(app) == before


# -- Tags --------------------------------------------------------------------------------------


def test_tags_rules(app, client, world, desk, api, tokens):
    login(client, SAM)
    url = f"/acme/admin/tickets/{desk.open_number}/tags"
    assert client.post(url, data={"tags": "Printer, URGENT-fix"}).status_code in (302, 303)
    assert client.post(url, data={"tags": "printer, urgent-fix, vip"}).status_code in (302, 303)
    with app.app_context():
        names = sorted(n.lower() for n in session.scalars(sa.select(Tag.name).where(Tag.tenant_id == world.acme_id)))
    assert names == ["printer", "urgent-fix", "vip"]
    before = snapshot(app)
    assert client.post(url, data={"tags": "x" * 41}).status_code == 422
    assert snapshot(app) == before
    assert client.post(url, data={"tags": "y" * 40}).status_code in (302, 303)
    # Never shown to customers.
    login(client, CARLA)
    assert "urgent-fix" not in client.get(f"/acme/tickets/{desk.open_number}").get_data(as_text=True).lower()
    customer_view = api.get(f"/tickets/{desk.open_number}", tokens.customer).get_json()
    assert "tags" not in customer_view and "assignee" not in customer_view


# -- CC ----------------------------------------------------------------------------------------


def test_cc_add_remove_and_the_limit_of_ten(app, client, desk):
    login(client, SAM)
    url = f"/acme/admin/tickets/{desk.open_number}/cc"
    for i in range(10):
        assert client.post(url, data={"email": f"cc{i}@example.com"}).status_code in (302, 303), i
    before = snapshot(app)
    assert client.post(url, data={"email": "cc10@example.com"}).status_code == 422
    assert snapshot(app) == before
    assert client.post(url + "/remove", data={"email": "cc3@example.com"}).status_code in (302, 303)
    with app.app_context():
        ticket = session.scalar(
            sa.select(Ticket).where(Ticket.number == int(desk.open_number[4:]), Ticket.tenant_id == 1)
        )
        count = session.scalar(sa.select(sa.func.count()).select_from(TicketCC).where(TicketCC.ticket_id == ticket.id))
    assert count == 9
    assert client.post(url, data={"email": "cc10@example.com"}).status_code in (302, 303)


def test_the_customer_adds_a_cc_in_the_portal_and_it_gets_customer_facing_email(app, client, desk):
    login(client, CARLA)
    assert client.post(f"/acme/tickets/{desk.open_number}/cc", data={"email": "friend@example.com"}).status_code in (
        302,
        303,
    )
    login(client, SAM)
    mark = last_email_id(app)
    client.post(f"/acme/admin/tickets/{desk.open_number}/reply", data={"body": "We replaced the fuser."})
    _note(client, desk.open_number)
    to_friend = [m for _id, to, m in emails(app, mark) if to == "friend@example.com"]
    assert len(to_friend) == 1 and "We replaced the fuser." in to_friend[0].body
    assert SECRET not in to_friend[0].body and SECRET not in to_friend[0].html


# -- Merge -------------------------------------------------------------------------------------


def test_merge_with_into(app, client, world, desk, make):
    source = make.ticket(requester_id=world.other_customer_id, subject="Printer smoking too", body="Second floor.")
    login(client, ADA)
    response = client.post(f"/acme/admin/tickets/{source.number}/merge", data={"into": desk.open_number})
    assert response.status_code in (302, 303)
    row = ticket_row(app, source.number)
    assert row.status == "closed"
    page = client.get(f"/acme/admin/tickets/{source.number}")
    assert page.status_code in (301, 302, 303) and page.headers["Location"].endswith(
        f"/acme/admin/tickets/{desk.open_number}"
    )
    target = client.get(f"/acme/admin/tickets/{desk.open_number}")
    assert "Second floor." in text_of(target)
    with app.app_context():
        target_row = session.scalar(
            sa.select(Ticket).where(Ticket.number == int(desk.open_number[4:]), Ticket.tenant_id == world.acme_id)
        )
        ccs = session.scalars(sa.select(TicketCC.email).where(TicketCC.ticket_id == target_row.id)).all()
    assert OSCAR in [c.lower() for c in ccs]
    # The source's history says where it went; its customer is led there too.
    assert ("merged_into", None, desk.open_number) in history_kinds(app, source.id)
    login(client, OSCAR)
    assert client.get(f"/acme/tickets/{source.number}").status_code in (200, 302, 303)


def test_merge_into_an_invisible_or_foreign_ticket_is_refused(app, client, world, desk, make):
    billing = make.ticket(department_id=world.billing_id)
    globex = make.ticket(tenant="globex")
    login(client, SAM)
    before = snapshot(app)
    for into in (billing.number, "TKT-999999"):
        response = client.post(f"/acme/admin/tickets/{desk.open_number}/merge", data={"into": into})
        assert response.status_code in (404, 422), into
    assert globex.number  # a number of another tenant is just a number here
    assert snapshot(app) == before


# -- On behalf of a customer -------------------------------------------------------------------


def test_on_behalf_of_a_new_customer(app, client, world):
    login(client, SAM)
    mark = last_email_id(app)
    response = client.post(
        "/acme/admin/tickets/create",
        data={
            "customer": "newbie@example.com",
            "subject": "Phoned in",
            "department": str(world.support_id),
            "priority": "high",
            "body": "Called about the printer.",
        },
    )
    assert response.status_code in (302, 303)
    number = re.search(r"TKT-\d{6}", response.headers["Location"]).group(0)
    row = ticket_row(app, number)
    with app.app_context():
        requester = session.get(User, row.requester_id)
        assert requester.email == "newbie@example.com" and str(requester.role).lower().endswith("customer")
    assert [to for _id, to, _m in emails(app, mark)].count("newbie@example.com") == 1


def test_a_personal_canned_reply_is_its_owners_only_even_by_url(app, client, desk):
    login(client, "ada@acme.test")
    page = client.get(f"/acme/admin/tickets/{desk.open_number}?canned={desk.personal_canned_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "— Ada Admin" not in html[html.index("<textarea") : html.index("</textarea>")]
    assert "Sam&#39;s sign-off" not in html and "Sam's sign-off" not in html
    assert client.get(f"/acme/admin/canned-replies/{desk.personal_canned_id}/edit").status_code == 404
    login(client, "sam@acme.test")
    page = client.get(f"/acme/admin/tickets/{desk.open_number}?canned={desk.personal_canned_id}")
    html = page.get_data(as_text=True)
    assert "— Sam Support" in html[html.index("<textarea") : html.index("</textarea>")]
