"""Invitation links: signed, single-use, seven days, one tenant; resend, revoke, and password links."""

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from xobito_tickets.db import session
from xobito_tickets.models import User
from xobito_tickets.team import invitations

from .conftest import deliver, emails_to, links_in, path_of, user_row

SEVEN_DAYS = 7 * 24 * 3600


def invite(auth, client, email="nina@acme.test", name="Nina New", role="staff"):
    auth.login("ada@acme.test")
    response = client.post("/acme/admin/team/create", data={"name": name, "email": email, "role": role})
    assert response.status_code == 303
    client.post("/acme/logout")


def invitation_link(app, smtp_server, email="nina@acme.test"):
    deliver(app)
    latest = emails_to(smtp_server, email)[-1]
    return path_of(next(url for url in links_in(latest.text) if "/welcome/" in url))


def accept(client, link, password="nina's password"):
    return client.post(link, data={"password": password, "confirm": password})


def test_invited_person_sets_a_password_and_logs_in(client, auth, world, app, smtp_server):
    invite(auth, client)
    nina = user_row(app, "nina@acme.test")
    assert nina.password_hash is None and nina.invited_at is not None and nina.role == "staff"
    deliver(app)
    (email,) = emails_to(smtp_server, "nina@acme.test")
    assert email.subject == "You are invited to the Acme Inc helpdesk"
    assert "Ada Admin invited you" in email.text and "7 days" in email.text
    link = path_of(next(url for url in links_in(email.text) if "/welcome/" in url))
    response = accept(client, link)
    assert response.status_code == 303 and response.headers["Location"] == "/acme/admin/tickets"
    assert client.get("/acme/admin/tickets").status_code == 200
    assert user_row(app, "nina@acme.test").invited_at is None


def test_link_works_once(client, auth, world, app, smtp_server):
    invite(auth, client)
    link = invitation_link(app, smtp_server)
    assert accept(client, link).status_code == 303
    client.post("/acme/logout")
    assert client.get(link).status_code == 400
    assert accept(client, link, "attacker's password").status_code == 400
    assert (
        client.post("/acme/login", data={"email": "nina@acme.test", "password": "nina's password"}).status_code == 302
    )


def test_link_expires_after_seven_days(client, auth, world, app, smtp_server):
    invite(auth, client)
    token = invitation_link(app, smtp_server).rsplit("/", 1)[1]

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - SEVEN_DAYS - 86400

    old = URLSafeTimedSerializer(app.secret_key, salt=invitations.SALT, signer=EightDaysAgo)
    stale = old.dumps(old.loads(token))
    page = client.get(f"/acme/welcome/{stale}")
    assert page.status_code == 400 and "This link no longer works" in page.get_data(as_text=True)
    assert accept(client, f"/acme/welcome/{stale}").status_code == 400
    assert user_row(app, "nina@acme.test").password_hash is None

    # Six days old still works.
    class SixDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - SEVEN_DAYS + 86400

    recent = URLSafeTimedSerializer(app.secret_key, salt=invitations.SALT, signer=SixDaysAgo)
    assert accept(client, f"/acme/welcome/{recent.dumps(recent.loads(token))}").status_code == 303


def test_another_tenants_link_is_refused(client, auth, world, app, smtp_server):
    auth.login("gary@globex.test", tenant="globex")
    client.post("/globex/admin/team/create", data={"name": "Nina", "email": "nina@acme.test", "role": "staff"})
    client.post("/globex/logout")
    link = invitation_link(app, smtp_server)
    assert link.startswith("/globex/welcome/")
    assert client.get(link.replace("/globex/", "/acme/")).status_code == 400
    assert accept(client, link.replace("/globex/", "/acme/")).status_code == 400
    assert user_row(app, "nina@acme.test", world.globex_id).password_hash is None
    # A forged token (wrong secret) is refused too.
    forged = URLSafeTimedSerializer("not the secret", salt=invitations.SALT).dumps(
        {"u": 1, "t": world.acme_id, "f": "x"}
    )
    assert client.get(f"/acme/welcome/{forged}").status_code == 400


def test_resend_voids_the_old_link_and_revoke_voids_all(client, auth, world, app, smtp_server):
    invite(auth, client)
    first = invitation_link(app, smtp_server)
    nina_id = user_row(app, "nina@acme.test").id
    auth.login("ada@acme.test")
    assert client.post(f"/acme/admin/team/{nina_id}/invite").status_code == 303
    second = invitation_link(app, smtp_server)
    assert first != second
    assert client.get(first).status_code == 400 and client.get(second).status_code == 200
    assert client.post(f"/acme/admin/team/{nina_id}/invite/revoke").status_code == 303
    assert client.get(second).status_code == 400
    nina = user_row(app, "nina@acme.test")
    assert nina.invited_at is None and not nina.active


def test_admin_sends_a_password_link_without_seeing_the_password(client, auth, world, app, smtp_server):
    auth.login("ada@acme.test")
    page = client.get(f"/acme/admin/team/{world.staff_id}/edit").get_data(as_text=True)
    assert 'type="password"' not in page and "Email a password link" in page
    assert client.post(f"/acme/admin/team/{world.staff_id}/invite").status_code == 303
    client.post("/acme/logout")
    deliver(app)
    (email,) = emails_to(smtp_server, "sam@acme.test")
    assert email.subject == "Choose a new password for Acme Inc"
    # The old password works until the new one is chosen.
    assert auth.login("sam@acme.test").status_code == 302
    client.post("/acme/logout")
    link = path_of(next(url for url in links_in(email.text) if "/welcome/" in url))
    assert accept(client, link, "sam's new password").status_code == 303
    client.post("/acme/logout")
    assert auth.login("sam@acme.test").status_code == 422
    assert auth.login("sam@acme.test", password="sam's new password").status_code == 302


def test_only_admins_invite_and_only_in_their_tenant(client, auth, world, app):
    auth.login("sam@acme.test")
    assert client.post(f"/acme/admin/team/{world.customer_id}/invite").status_code in (403, 404)
    client.post("/acme/logout")
    auth.login("ada@acme.test")
    assert client.post(f"/acme/admin/team/{world.globex_customer_id}/invite").status_code == 404
    with app.app_context():
        assert session.get(User, world.globex_customer_id).invited_at is None
