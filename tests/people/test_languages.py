"""Every page in German and Spanish with no English left; the language switch; emails in the recipient's language."""

import html
import re

import pytest
from babel.messages.pofile import read_po

from xobito_tickets.db import session
from xobito_tickets.models import Department, Tenant, User
from xobito_tickets.tickets.services import open_ticket, post_reply

from .conftest import deliver, emails_to
from .test_catalogues import TRANSLATIONS

LANGUAGES = ("de", "es")
#: Pages whose templates are not marked yet (test_catalogues.PENDING_TEMPLATES).
PENDING_PAGES = {"tickets.admin.ticket_queue", "tickets.admin.ticket_detail"}


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
    shown = " ".join(re.findall(r'(?:title|placeholder|aria-label|alt|data-confirm)="([^"]*)"', page))
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + shown)


@pytest.fixture
def ticket_number(app, world):
    with app.app_context():
        acme = session.get(Tenant, world.acme_id)
        carla = session.get(User, world.customer_id)
        ticket = open_ticket(acme, carla, session.get(Department, world.support_id), "Drucker", "Er brennt.")
        post_reply(ticket, session.get(User, world.staff_id), "Wir schauen es uns an.")
        return ticket.display_number


def get_pages(app, world, number, as_admin):
    """Return the GET URLs of every page of the acme workspace the person can open."""
    values = {
        "tenant": "acme",
        "ticket": number,
        "department_id": world.support_id,
        "user_id": world.customer_id,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.endpoint.startswith("tickets."):
            continue
        if rule.endpoint.startswith(("tickets.outbox.", "tickets.auth.")) or "download" in rule.endpoint:
            continue  # the outbox is an operator's tool (English); auth pages are walked logged out
        if rule.endpoint in PENDING_PAGES or rule.endpoint.startswith("tickets.admin.inbound"):
            continue  # their templates are on test_catalogues.PENDING_TEMPLATES
        if ".admin." in rule.endpoint and not as_admin or rule.endpoint.endswith(("_qr", "_csv")):
            continue
        if "csv" in rule.rule or "csv" in rule.endpoint:
            continue  # files, not pages
        if set(rule.arguments) - set(values):
            continue
        urls.append(rule.build(values, append_unknown=False)[1])
    return urls


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["ada@acme.test", "carla@acme.test", None])
def test_every_page_speaks_the_language(client, auth, world, app, ticket_number, language, who):
    sentences = english_sentences(language)
    assert len(sentences) > 100
    headers = {"Accept-Language": f"{language},en;q=0.5"}
    if who:
        auth.login(who)
        urls = get_pages(app, world, ticket_number, as_admin=who.startswith("ada"))
    else:
        urls = ["/acme/login", "/acme/register", "/acme/password/forgot", "/acme/password/reset/bad", "/acme/nowhere"]
        urls += ["/acme/welcome/bad", "/acme/login/code"]
    assert len(urls) >= 5
    for url in urls:
        response = client.get(url, headers=headers, follow_redirects=True)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
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
