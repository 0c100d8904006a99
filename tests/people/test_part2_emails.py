"""Part 2's emails in the recipient's language and zone: auto-close, SLA warning and breach, mentions,
webhooks switched off, the rating request and CC copies (German, with Spanish where two people differ)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from xobito_tickets.cc.services import add_cc
from xobito_tickets.db import session
from xobito_tickets.models import Department, Tenant, Ticket, User
from xobito_tickets.sla.alerts import send_sla_alerts
from xobito_tickets.sla.autoclose import run_autoclose
from xobito_tickets.sla.settings import save_autoclose_settings
from xobito_tickets.tickets.services import close_ticket, open_ticket, post_reply
from xobito_tickets.webhooks.models import WebhookEndpoint
from xobito_tickets.webhooks.notify import endpoint_disabled
from xobito_tickets.workspace.services import add_note

from ..sla.conftest import _sla_receivers, age_ticket, set_targets  # noqa: F401 (autouse fixture)
from .conftest import deliver, emails_to, links_in, path_of

#: A German date and time as Babel writes it ("07.12.2026, 09:15:00"), in Berlin's zone.
GERMAN_TIME = r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2} (CET|CEST)"


def speaks(app, user_id, language, zone="Europe/Berlin"):
    """Give a person a language and a time zone on their profile."""
    person = session.get(User, user_id)
    person.language, person.timezone = language, zone
    session.commit()


def open_printer_ticket(world, subject="Drucker"):
    acme = session.get(Tenant, world.acme_id)
    carla = session.get(User, world.customer_id)
    return open_ticket(acme, carla, session.get(Department, world.support_id), subject, "Er brennt.")


@pytest.fixture
def fresh_inbox(app, smtp_server):
    """The SMTP server with the emails so far delivered and forgotten."""

    def clear():
        deliver(app)
        smtp_server.mailbox.received.clear()

    return clear


def test_autoclose_reminder_in_the_customers_language_and_zone(app, world, smtp_server, fresh_inbox):
    with app.app_context():
        speaks(app, world.customer_id, "de")
        save_autoclose_settings(world.acme_id, True, 2, 5)
        ticket = open_printer_ticket(world)
        post_reply(ticket, session.get(User, world.staff_id), "Geht es jetzt?")
        ticket = session.get(Ticket, ticket.id)
        ticket.last_reply_at -= timedelta(days=3)
        session.commit()
        fresh_inbox()
        assert run_autoclose(app) == 1
    deliver(app)
    (reminder,) = emails_to(smtp_server, "carla@acme.test")
    assert reminder.subject == "[TKT-000001] Wir warten auf Ihre Antwort: Drucker"
    assert "Hallo Carla Customer," in reminder.text
    assert "Wir haben auf Ihr Ticket TKT-000001 (Drucker) geantwortet und seit 2 Tagen nichts mehr" in reminder.text
    # The closing day in German, as a day of the customer's calendar ("Samstag, 12. Dezember 2026").
    assert re.search(r"Andernfalls schließen wir es am \w+, \d{1,2}\. \w+ \d{4}\.", reminder.text), reminder.text
    assert 'lang="de"' in reminder.html and "Auf dem Ticket antworten" in reminder.html
    assert "Waiting" not in reminder.text and "Hello" not in reminder.text


def test_sla_warning_and_breach_in_the_assignees_language_and_zone(app, world, smtp_server, fresh_inbox):
    with app.app_context():
        speaks(app, world.staff_id, "de")
        set_targets(world.acme_id, medium=(60, 480))
        ticket_id = open_printer_ticket(world).id
        fresh_inbox()
        age_ticket(ticket_id, 1)
        assert send_sla_alerts(app) == 1
        deliver(app)
        age_ticket(ticket_id, 60)
        assert send_sla_alerts(app) == 1
    deliver(app)
    warning, breach = emails_to(smtp_server, "sam@acme.test")
    assert warning.subject == "[TKT-000001] Erste Antwort bald fällig: Drucker"
    assert re.search(rf"Die erste Antwort auf Ticket TKT-000001 ist bald fällig: {GERMAN_TIME}\.", warning.text)
    assert "Priorität: Mittel · Abteilung: Support" in warning.text
    assert breach.subject == "[TKT-000001] Überfällig (erste Antwort): Drucker"
    assert re.search(rf"Ticket TKT-000001 ist überfällig: Die erste Antwort war fällig am {GERMAN_TIME}\.", breach.text)
    assert 'lang="de"' in breach.html and "<strong>überfällig</strong>" in breach.html
    assert "due" not in warning.text.replace("fällig", "") and "Overdue" not in breach.text


def test_note_mention_in_the_mentioned_persons_language(app, world, smtp_server, fresh_inbox):
    with app.app_context():
        speaks(app, world.admin_id, "de")
        speaks(app, world.staff_id, "es", "Europe/Madrid")
        ticket = open_printer_ticket(world)
        fresh_inbox()
        add_note(ticket, session.get(User, world.staff_id), "@Ada Admin bitte ansehen, Toner ist leer.")
    deliver(app)
    (mention,) = emails_to(smtp_server, "ada@acme.test")
    assert mention.subject == "[TKT-000001] Sam Support hat Sie erwähnt: Drucker"
    assert "Sam Support hat Sie in einer internen Notiz zu Ticket TKT-000001 erwähnt: Drucker" in mention.text
    assert "(Intern: Der Kunde sieht diese Notiz nicht.)" in mention.text
    assert "Status: Offen" in mention.text and "Priorität: Mittel" in mention.text
    assert "Ticket öffnen: http://helpdesk.test/acme/admin/tickets/TKT-000001" in mention.text
    assert "Toner ist leer." in mention.text and 'lang="de"' in mention.html
    # The customer hears nothing of a note, in any language.
    assert emails_to(smtp_server, "carla@acme.test") == []


def test_webhook_switched_off_in_each_admins_language(app, world, smtp_server, fresh_inbox):
    with app.app_context():
        speaks(app, world.admin_id, "de")
        endpoint = WebhookEndpoint(tenant_id=world.acme_id, url="https://hooks.example.com/desk", events=[], secret="s")
        session.add(endpoint)
        session.commit()
        fresh_inbox()
        endpoint_disabled(endpoint, datetime(2026, 12, 7, 8, 30, tzinfo=UTC))
        session.commit()
    deliver(app)
    (notice,) = emails_to(smtp_server, "ada@acme.test")
    assert notice.subject == "Webhook ausgeschaltet: https://hooks.example.com/desk"
    # 08:30 UTC is 09:30 in Berlin, written the German way.
    assert (
        "Seit 07.12.2026, 09:30:00 CET ist jede Zustellung an den Webhook-Endpunkt https://hooks.example.com/desk "
        "fehlgeschlagen; er wurde deshalb ausgeschaltet." in notice.text
    )
    assert "Zustellungen ansehen" in notice.html and 'lang="de"' in notice.html
    assert "Diese E-Mail wurde vom Helpdesk von Acme Inc gesendet." in notice.html


def test_rating_request_and_rating_page_in_german(app, world, client, smtp_server, fresh_inbox):
    with app.app_context():
        speaks(app, world.customer_id, "de")
        ticket = open_printer_ticket(world)
        fresh_inbox()
        close_ticket(ticket, session.get(User, world.staff_id))
    deliver(app)
    (closed,) = emails_to(smtp_server, "carla@acme.test")
    assert closed.subject == "[TKT-000001] Geschlossen: Drucker"
    assert "Wie waren wir? Ein Klick genügt:" in closed.text
    good = next(link for link in links_in(closed.text) if "/rate/" in link and "good" in link)
    page = client.get(path_of(good), headers={"Accept-Language": "de"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="de">' in text
    assert "Wie waren wir?" in text and "Bewertung speichern" in text and "Ihr Ticket TKT-000001: Drucker" in text


def test_cc_copies_in_their_own_language_else_the_requesters(app, world, smtp_server, fresh_inbox):
    with app.app_context():
        speaks(app, world.customer_id, "de")
        speaks(app, world.other_customer_id, "es", "Europe/Madrid")
        carla = session.get(User, world.customer_id)
        ticket = open_printer_ticket(world)
        add_cc(ticket, carla, "dora@example.com")  # no account: Carla's language
        add_cc(ticket, carla, "oscar@acme.test")  # an account of the workspace: his own
        fresh_inbox()
        post_reply(session.get(Ticket, ticket.id), session.get(User, world.staff_id), "Neuer Toner ist unterwegs.")
    deliver(app)
    (to_carla,) = emails_to(smtp_server, "carla@acme.test")
    (to_dora,) = emails_to(smtp_server, "dora@example.com")
    (to_oscar,) = emails_to(smtp_server, "oscar@acme.test")
    assert to_carla.subject == to_dora.subject == "[TKT-000001] Neue Antwort, Status Beantwortet: Drucker"
    assert "Sam Support hat auf Ticket TKT-000001 geantwortet: Drucker" in to_dora.text
    assert "Sie erhalten diese E-Mail, weil Sie bei diesem Ticket in CC stehen." in to_dora.text
    # The signature separator stays on its own line ("-- ", then the footer).
    assert "\n-- \nHelpdesk von Acme Inc. Antworten auf diese E-Mail werden nicht gelesen." in to_dora.text
    assert to_oscar.subject == "[TKT-000001] Nueva respuesta, estado Respondido: Drucker"
    assert 'lang="es"' in to_oscar.html
