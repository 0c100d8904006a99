"""The demo's people of SPEC §20: a German-speaking customer and a staff member with two-factor login."""

from datetime import UTC, datetime

from ..auth import secretbox, twofactor
from ..auth.models import RecoveryCode
from ..db import session
from ..models import Role
from ..team.services import create_user
from ..tickets import services as ticket_services

#: A fixed secret, so the demo's README and login list can name it; any TOTP app accepts it.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: One of the staff member's recovery codes, printed in the login list (single use, like every one).
DEMO_RECOVERY_CODE = "fresh-start"
GERMAN_CUSTOMER = "greta@demo.test"
TWO_FACTOR_STAFF = "tom@demo.test"


def add_demo_people(tenant, people, departments, password):
    """Add Greta (German, Europe/Berlin) with a German ticket, and switch on Tom's two-factor login."""
    greta = create_user(tenant, GERMAN_CUSTOMER, "Greta Gruber", Role.CUSTOMER, password, commit=False)
    greta.language = "de"
    greta.timezone = "Europe/Berlin"
    tom = people[TWO_FACTOR_STAFF]
    tom.totp_secret = secretbox.seal(DEMO_TOTP_SECRET)
    tom.totp_confirmed_at = datetime.now(UTC)
    codes = [DEMO_RECOVERY_CODE, *twofactor.new_recovery_codes(9)]
    session.add_all(
        RecoveryCode(tenant_id=tenant.id, user_id=tom.id, code_hash=twofactor.hash_recovery_code(code))
        for code in codes
    )
    session.commit()
    ticket = ticket_services.open_ticket(
        tenant,
        greta,
        departments["Billing"],
        "Rechnung doppelt abgebucht",
        "Guten Tag,\n\nmeine Rechnung vom März wurde zweimal von meinem Konto abgebucht. "
        "Können Sie mir den doppelten Betrag bitte erstatten?\n\nViele Grüße\nGreta Gruber",
    )
    ticket_services.post_reply(
        ticket,
        people["bea@demo.test"],
        "Hallo Frau Gruber,\n\nvielen Dank für Ihre Nachricht. Wir haben die doppelte Abbuchung gefunden und "
        "erstatten Ihnen den Betrag innerhalb von drei Werktagen.\n\nViele Grüße\nBea",
    )
    return demo_people_logins(password)


def demo_people_logins(password):
    """Return the login lines of the demo's German customer and two-factor staff member."""
    return [
        ("customer", GERMAN_CUSTOMER, f"{password}  (pages and emails in German)"),
        (
            "staff",
            TWO_FACTOR_STAFF,
            f"{password}  (two-factor login: TOTP secret {DEMO_TOTP_SECRET}, or recovery code {DEMO_RECOVERY_CODE})",
        ),
    ]
