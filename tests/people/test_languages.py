"""Every page in German and Spanish with no English left; the language switch; emails in the recipient's language."""

import html
import re
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from xobito_tickets.canned.services import create_canned_reply
from xobito_tickets.cc.services import add_cc
from xobito_tickets.db import session
from xobito_tickets.inbound.ingest import ingest
from xobito_tickets.inbound.models import InboundMessage
from xobito_tickets.models import Department, Tenant, Ticket, User, utcnow
from xobito_tickets.satisfaction.services import rate_ticket
from xobito_tickets.satisfaction.tokens import make_rating_token
from xobito_tickets.tickets.services import close_ticket, open_ticket, post_reply
from xobito_tickets.webhooks.models import WebhookDelivery, WebhookEndpoint
from xobito_tickets.webhooks.worker import DISABLED_REASON
from xobito_tickets.workspace.queue import TABS
from xobito_tickets.workspace.services import add_note, change_tags

from ..sla.conftest import _sla_receivers, age_ticket, set_targets  # noqa: F401 (autouse fixture)
from .conftest import deliver, emails_to
from .test_catalogues import TRANSLATIONS

LANGUAGES = ("de", "es")
#: Pages of Part 2 that the admin's walk must include.
PART2_PAGES = (
    "/admin/tickets?tab=needs_reply",
    "/admin/tickets?tab=overdue",
    "/admin/tickets?q=",
    "/admin/canned-replies",
    "/admin/canned-replies/create",
    "/edit",
    "/cc",
    "/merge",
    "/admin/tickets/create",
    "/admin/reports",
    "/admin/webhooks",
    "/admin/inbound",
    "/admin/inbound/settings",
    "/admin/settings/sla",
    "/admin/settings/auto-close",
    "/profile/tokens",
    "/api/v1/docs",
    "/rate/",
)


def english_sentences(language):
    """Return the source sentences (three words or more) that the catalogue translates differently."""
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=language)
    sentences = set()
    for message in catalog:
        if not message.id or not isinstance(message.id, str) or not message.string or message.id == message.string:
            continue
        # The fixed text before the first placeholder or markup is what a page would show untranslated.
        head = re.split(r"%\(\w+\)[sd]|<", message.id)[0].strip()
        if len(head.split()) >= 3:
            sentences.add(head)
    return sentences


def visible_text(response):
    """Return the text and the shown attributes of a page, unescaped."""
    page = response.get_data(as_text=True)
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    # Text marked as English on purpose (the API reference's own texts) is not a missing translation.
    page = re.sub(r'<(?!html)(\w+)\b[^>]*\slang="en"[^>]*>.*?</\1>', " ", page, flags=re.S)
    shown = " ".join(re.findall(r'(?:title|placeholder|aria-label|alt|data-confirm)="([^"]*)"', page))
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + shown)


@dataclass
class Desk:
    """A workspace with something on every page: tickets, a note, tags, a CC, SLA targets and a due ticket,
    a canned reply, a received email, webhook endpoints with deliveries, a closed and rated ticket."""

    number: str
    rated_number: str
    rating_token: str
    canned_id: int
    endpoint_id: int
    row_id: int


@pytest.fixture
def desk(app, world):
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        carla = session.get(User, world.customer_id)
        sam = session.get(User, world.staff_id)
        ada = session.get(User, world.admin_id)
        support = session.get(Department, world.support_id)
        set_targets(world.acme_id, medium=(60, 480), high=(30, 240))
        ticket = open_ticket(acme, carla, support, "Drucker", "Er brennt.")
        post_reply(ticket, sam, "Wir schauen es uns an.")
        add_note(session.get(Ticket, ticket.id), sam, "@Ada Admin Toner bestellen?")
        change_tags(session.get(Ticket, ticket.id), sam, add=["VIP"])
        add_cc(session.get(Ticket, ticket.id), carla, "dora@example.com")
        late = open_ticket(acme, carla, support, "Scanner", "Er scannt nicht.")
        age_ticket(late.id, 120)  # overdue: a due chip and the Overdue tab
        rated = open_ticket(acme, carla, support, "Monitor", "Flackert.")
        close_ticket(rated, sam)
        rate_ticket(session.get(Ticket, rated.id), "good", "Schnell gelöst, danke!")
        canned = create_canned_reply(
            ada, "Begrüßung", "Hallo {{ customer.first_name|default('zusammen') }}!", None, False
        )
        endpoint = WebhookEndpoint(tenant_id=acme.id, url="https://hooks.example.com/desk", events=[], secret="s")
        # Switched off by the worker: its reason is stored in English and shown in the reader's language.
        switched_off = WebhookEndpoint(
            tenant_id=acme.id,
            url="https://old.example.com/desk",
            events=["ticket.created"],
            secret="t",
            active=False,
            disabled_reason=str(DISABLED_REASON),
            failing_since=utcnow() - timedelta(days=1),
        )
        session.add_all([endpoint, switched_off])
        session.flush()
        for status, attempts in (("delivered", 1), ("failed", 8), ("pending", 2)):
            session.add(
                WebhookDelivery(
                    tenant_id=acme.id,
                    endpoint_id=endpoint.id,
                    uid=f"uid-{status}",
                    event_id=f"event-{status}",
                    event="ticket.created",
                    ticket_number=ticket.number,
                    body="{}",
                    status=status,
                    attempts=attempts,
                    response_code=200 if status == "delivered" else 500,
                    duration_ms=42,
                )
            )
        session.commit()
        message = EmailMessage()
        message["From"] = "Nina Neu <nina@example.org>"
        message["To"] = "acme@helpdesk.test"
        message["Subject"] = "Drucker im zweiten Stock"
        message["Message-ID"] = "<walk@example.org>"
        message.set_content("Auch dieser Drucker brennt.")
        ingest(acme, message.as_bytes(), "test")
        row_id = session.scalar(sa.select(InboundMessage.id).order_by(InboundMessage.id.desc()))
        return Desk(
            number=ticket.display_number,
            rated_number=rated.display_number,
            rating_token=make_rating_token(acme.id, rated.id),
            canned_id=canned.id,
            endpoint_id=endpoint.id,
            row_id=row_id,
        )


@pytest.fixture
def ticket_number(desk):
    return desk.number


def get_pages(app, world, desk, as_admin):
    """Return the GET URLs of every page of the acme workspace the person can open.

    The queue's tabs and searches, the API reference and the rating page (a link from an
    email) are added to the routes that the values below can fill.
    """
    values = {
        "tenant": "acme",
        "ticket": desk.number,
        "department_id": world.support_id,
        "user_id": world.customer_id,
        "canned_id": desk.canned_id,
        "endpoint_id": desk.endpoint_id,
        "row_id": desk.row_id,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.endpoint.startswith("tickets."):
            continue
        if rule.endpoint.startswith(("tickets.outbox.", "tickets.auth.")) or "download" in rule.endpoint:
            continue  # the outbox is an operator's tool (English); auth pages are walked logged out
        if ".admin." in rule.endpoint and not as_admin or rule.endpoint.endswith(("_qr", "_csv")):
            continue
        if "csv" in rule.rule or "csv" in rule.endpoint:
            continue  # files, not pages
        if set(rule.arguments) - set(values):
            continue
        if rule.endpoint.endswith(("_raw", "_preview")):
            continue  # a downloaded email, an attachment's preview image
        urls.append(rule.build(values, append_unknown=False)[1])
    if as_admin:
        urls += [f"/acme/admin/tickets?tab={key}" for key in TABS]
        urls += [
            "/acme/admin/tickets?q=Drucker",
            "/acme/admin/tickets?q=nothing-matches-this",
            "/acme/admin/tickets?tab=closed&sort=due",
        ]
        urls += [f"/acme/admin/webhooks/{desk.endpoint_id + 1}", "/acme/admin/reports?from=2026-13-01"]
    else:
        urls += ["/acme/tickets?q=Drucker", f"/acme/tickets/{desk.rated_number}"]
    urls += ["/acme/api/v1/docs", f"/acme/rate/{desk.rated_number}/{desk.rating_token}?rating=bad"]
    return urls


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["ada@acme.test", "carla@acme.test", None])
def test_every_page_speaks_the_language(client, auth, world, app, desk, language, who):
    sentences = english_sentences(language)
    assert len(sentences) > 100
    headers = {"Accept-Language": f"{language},en;q=0.5"}
    if who:
        auth.login(who)
        urls = get_pages(app, world, desk, as_admin=who.startswith("ada"))
    else:
        urls = ["/acme/login", "/acme/register", "/acme/password/forgot", "/acme/password/reset/bad", "/acme/nowhere"]
        urls += ["/acme/welcome/bad", "/acme/login/code", "/acme/api/v1/docs"]
        urls += [f"/acme/rate/{desk.rated_number}/{desk.rating_token}", f"/acme/rate/{desk.rated_number}/bad"]
    assert len(urls) >= 5
    if who == "ada@acme.test":
        # Part 2's pages are in the walk (a renamed route must not drop out of it unnoticed).
        for page in PART2_PAGES:
            assert any(page in url for url in urls), page
    for url in urls:
        response = client.get(url, headers=headers, follow_redirects=True)
        assert response.status_code in (200, 400, 404, 422), (url, response.status_code)
        text = visible_text(response)
        assert f'<html lang="{language}">' in response.get_data(as_text=True), url
        left = sorted(s for s in sentences if s in text)
        assert not left, f"{url} in {language} still shows: {left}"


def test_footer_switch_is_kept_for_visitors_and_people(client, auth, world, app):
    page = client.get("/acme/login", headers={"Accept-Language": "de"})
    assert "Anmelden" in page.get_data(as_text=True)
    switched = client.post("/acme/language", data={"language": "es", "next": "/acme/login"})
    assert switched.status_code == 303 and switched.headers["Location"] == "/acme/login"
    assert "tickets_lang=es" in switched.headers["Set-Cookie"] and "HttpOnly" in switched.headers["Set-Cookie"]
    assert "Iniciar sesión" in client.get("/acme/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    # A logged-in person's choice is saved on their profile.
    auth.login("carla@acme.test")
    client.post("/acme/language", data={"language": "de", "next": "/acme/tickets"})
    with app.app_context():
        assert session.get(User, world.customer_id).language == "de"
    # Nonsense is ignored; an outside "next" is not followed.
    bad = client.post("/acme/language", data={"language": "xx", "next": "//evil.example/"})
    assert bad.status_code == 303 and bad.headers["Location"] == "/acme/tickets"


def test_form_errors_and_flashes_are_translated(client, auth, world):
    auth.login("carla@acme.test")
    headers = {"Accept-Language": "es"}
    response = client.post(
        "/acme/tickets/store",
        data={"subject": "", "department": world.support_id, "priority": "medium", "body": ""},
        headers=headers,
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Introduzca un asunto." in text and "La descripción es obligatoria." in text
    created = client.post(
        "/acme/tickets/store",
        data={"subject": "Hola", "department": world.support_id, "priority": "medium", "body": "Algo falla"},
        headers=headers,
        follow_redirects=True,
    )
    assert "Le escribiremos cuando el equipo responda." in created.get_data(as_text=True)


def test_emails_go_out_in_each_recipients_language(client, world, app, smtp_server):
    with app.app_context():
        carla = session.get(User, world.customer_id)
        carla.language = "de"
        carla.timezone = "Europe/Berlin"
        sam = session.get(User, world.staff_id)
        sam.language = "es"
        session.commit()
        acme = session.get(Tenant, world.acme_id)
        ticket = open_ticket(acme, carla, session.get(Department, world.support_id), "Drucker brennt", "Hilfe!")
        post_reply(ticket, sam, "Lo miramos enseguida.")
    deliver(app)
    receipt, reply = emails_to(smtp_server, "carla@acme.test")
    assert receipt.subject == "[TKT-000001] Wir haben Ihr Ticket erhalten: Drucker brennt"
    assert "Hallo Carla Customer," in receipt.text and "Wir haben Ihr Ticket TKT-000001 erhalten" in receipt.text
    assert reply.subject == "[TKT-000001] Neue Antwort, Status Beantwortet: Drucker brennt"
    assert "Sam Support hat auf Ihr Ticket TKT-000001 geantwortet" in reply.text
    assert "Neuer Status des Tickets: Beantwortet (vorher: Offen)." in reply.text
    assert 'lang="de"' in reply.html
    (notice,) = emails_to(smtp_server, "sam@acme.test")
    assert notice.subject == "[TKT-000001] Ticket nuevo: Drucker brennt"
    assert "Hola, Sam Support:" in notice.text and "Prioridad: Media" in notice.text
    # The admin chose nothing: English.
    (admin_notice,) = emails_to(smtp_server, "ada@acme.test")
    assert admin_notice.subject == "[TKT-000001] New ticket: Drucker brennt"


@pytest.mark.parametrize(
    ("language", "report_range", "overdue", "due_title", "decimal"),
    [
        (
            "de",
            r"Vom \d{2}\.\d{2}\.\d{4} bis \d{2}\.\d{2}\.\d{4}\.",
            "Überfällig seit 1h",
            r"War fällig am \d{2}\.\d{2}\.\d{2}, ",
            ">2,5<",
        ),
        (
            "es",
            r"Del \d{1,2} \w+ \d{4} al \d{1,2} \w+ \d{4}\.",
            "Vencido hace 1h",
            r"Venció el \d{1,2}/\d{1,2}/\d{2}, ",
            ">2,5<",
        ),
    ],
)
def test_dates_and_numbers_follow_the_reader(client, auth, desk, language, report_range, overdue, due_title, decimal):
    auth.login("ada@acme.test")
    headers = {"Accept-Language": language}
    report = client.get("/acme/admin/reports", headers=headers).get_data(as_text=True)
    assert re.search(report_range, report), report_range
    # The per-day chart's middle gridline (5 tickets at most: 2.5) with the reader's decimal mark.
    assert decimal in report
    queue = client.get("/acme/admin/tickets?tab=overdue", headers=headers).get_data(as_text=True)
    chip = re.search(r'<span class="xt-due xt-due-overdue" title="([^"]+)">([^<]+)</span>', queue)
    assert chip and chip.group(2) == overdue
    assert re.match(due_title, html.unescape(chip.group(1))), chip.group(1)
