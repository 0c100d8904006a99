"""The demo's German-speaking customer and its staff member with two-factor login."""

import pyotp

from xobito_tickets.profile.demo import DEMO_RECOVERY_CODE, DEMO_TOTP_SECRET

from .conftest import outbox_rows

PASSWORD = "demo-password"


def test_demo_lists_the_german_customer_and_the_two_factor_login(runner, client, app):
    result = runner.invoke(args=["tickets", "demo"])
    assert result.exit_code == 0, result.output
    assert "greta@demo.test / demo-password  (pages and emails in German)" in result.output
    assert f"tom@demo.test / demo-password  (two-factor login: TOTP secret {DEMO_TOTP_SECRET}" in result.output
    assert DEMO_RECOVERY_CODE in result.output
    # Greta's receipt and Bea's answer were written in German.
    subjects = [subject for _kind, subject, _payload in outbox_rows(app, "greta@demo.test")]
    assert any("Wir haben Ihr Ticket erhalten: Rechnung doppelt abgebucht" in s for s in subjects), subjects
    # Her pages are in German, whatever the browser says.
    client.post("/demo/login", data={"email": "greta@demo.test", "password": PASSWORD})
    page = client.get("/demo/tickets", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="de">' in page and "Meine Tickets" in page and "Rechnung doppelt abgebucht" in page
    client.post("/demo/logout")
    # Tom needs his code after the password; the recovery code printed by the demo works once.
    assert client.post("/demo/login", data={"email": "tom@demo.test", "password": PASSWORD}).status_code == 303
    assert client.post("/demo/login/code", data={"code": DEMO_RECOVERY_CODE}).status_code == 303
    assert client.get("/demo/admin/tickets").status_code == 200
    client.post("/demo/logout")
    client.post("/demo/login", data={"email": "tom@demo.test", "password": PASSWORD})
    assert client.post("/demo/login/code", data={"code": DEMO_RECOVERY_CODE}).status_code == 422
    assert client.post("/demo/login/code", data={"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()}).status_code == 303
