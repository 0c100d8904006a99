"""TOTP secrets at rest: encrypted in the database, still good for logins, key rotation, and the migration."""

import json
import re
from datetime import UTC, datetime

import pyotp
import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from xobito_tickets.auth import secretbox
from xobito_tickets.auth.models import RecoveryCode
from xobito_tickets.db import session
from xobito_tickets.models import Tenant, User
from xobito_tickets.profile.views import PENDING_SECRET

from ..conftest import schema_differences
from .conftest import totp_now
from .test_two_factor_login import enrol


def stored_secret(app, email):
    """Return what the database holds in ``totp_secret`` for ``email``, read with plain SQL."""
    with app.app_context():
        return session.execute(
            sa.text("SELECT totp_secret FROM tickets_users WHERE email = :email"), {"email": email}
        ).scalar_one()


def test_the_stored_column_does_not_hold_the_secret_and_login_still_works(client, auth, world, app):
    auth.login("sam@acme.test")
    secret, _codes = enrol(client, app, "sam@acme.test")
    stored = stored_secret(app, "sam@acme.test")
    assert stored and secret not in stored and secret.lower() not in stored.lower()
    assert secretbox.is_sealed(stored) and len(stored) <= 255
    # Sealed under this app's SECRET_KEY: another key cannot open it.
    assert secretbox.unseal(stored, {"SECRET_KEY": "test-secret"}) == secret
    assert secretbox.unseal(stored, {"SECRET_KEY": "another-key"}) is None
    client.post("/acme/logout")
    auth.login("sam@acme.test")
    response = client.post("/acme/login/code", data={"code": totp_now(secret, 1)})
    assert response.status_code == 303 and response.headers["Location"] == "/acme/admin/tickets"
    assert client.get("/acme/admin/tickets").status_code == 200


def test_each_seal_differs_so_equal_secrets_do_not_show(app):
    with app.app_context():
        first, second = secretbox.seal("JBSWY3DPEHPK3PXP"), secretbox.seal("JBSWY3DPEHPK3PXP")
        assert first != second
        assert secretbox.unseal(first) == secretbox.unseal(second) == "JBSWY3DPEHPK3PXP"
        assert secretbox.unseal("JBSWY3DPEHPK3PXP") is None and secretbox.unseal("gAAAAAgarbage") is None


def test_a_rotated_secret_key_still_opens_old_secrets_and_reseals_them(client, auth, world, app):
    auth.login("sam@acme.test")
    secret, _codes = enrol(client, app, "sam@acme.test")
    old = stored_secret(app, "sam@acme.test")
    client.post("/acme/logout")
    # Flask's own rotation: the new key in SECRET_KEY, the old one in SECRET_KEY_FALLBACKS.
    app.config.update(SECRET_KEY="rotated-secret", SECRET_KEY_FALLBACKS=["test-secret"])
    auth.login("sam@acme.test")
    assert client.post("/acme/login/code", data={"code": totp_now(secret, 1)}).status_code == 303
    resealed = stored_secret(app, "sam@acme.test")
    assert resealed != old
    assert secretbox.unseal(resealed, {"SECRET_KEY": "rotated-secret"}) == secret
    assert secretbox.unseal(resealed, {"SECRET_KEY": "test-secret"}) is None


def test_a_lost_key_refuses_codes_without_an_error_and_recovery_codes_still_work(client, auth, world, app, caplog):
    auth.login("sam@acme.test")
    secret, codes = enrol(client, app, "sam@acme.test")
    client.post("/acme/logout")
    app.config.update(SECRET_KEY="a-key-without-fallbacks")
    auth.login("sam@acme.test")
    refused = client.post("/acme/login/code", data={"code": totp_now(secret, 1)})
    assert refused.status_code == 422
    assert "cannot be decrypted" in caplog.text
    assert client.post("/acme/login/code", data={"code": codes[0]}).status_code == 303
    assert client.get("/acme/admin/tickets").status_code == 200


def _execute(sql, **params):
    return session.execute(sa.text(sql), params)


def _insert(model, **values):
    """Insert a row through the model's table (its Python-side defaults fill the other columns); return its id."""
    return session.execute(sa.insert(model.__table__).values(**values)).inserted_primary_key[0]


def test_the_migration_encrypts_existing_secrets_and_its_downgrade_decrypts_them(empty_app):
    plain = pyotp.random_base32(32)
    with empty_app.app_context():
        upgrade(revision="reports")  # the schema before this migration: secrets in clear
        tenant_id = _insert(Tenant, slug="acme", name="Acme")
        sam_id = _insert(
            User,
            tenant_id=tenant_id,
            email="sam@acme.test",
            name="Sam",
            role="staff",
            totp_secret=plain,
            totp_confirmed_at=NOW,
        )
        _insert(User, tenant_id=tenant_id, email="carla@acme.test", name="Carla")
        # A row pointing at the user: the column change must neither fail on it nor cascade it away.
        _insert(RecoveryCode, tenant_id=tenant_id, user_id=sam_id, code_hash="h")
        session.commit()
        session.remove()

        upgrade()
        stored = _execute("SELECT totp_secret FROM tickets_users WHERE email = 'sam@acme.test'").scalar_one()
        assert plain not in stored and secretbox.unseal(stored) == plain
        assert _execute("SELECT totp_secret FROM tickets_users WHERE email = 'carla@acme.test'").scalar_one() is None
        assert _execute("SELECT count(*) FROM tickets_recovery_codes").scalar_one() == 1
        # The model reads it: the person's login code is checked against the decrypted secret.
        user = session.get(User, sam_id)
        assert user.has_two_factor and secretbox.unseal(user.totp_secret) == plain
        session.remove()

        downgrade(revision="reports")
        assert _execute("SELECT totp_secret FROM tickets_users WHERE id = :u", u=sam_id).scalar_one() == plain
        assert _execute("SELECT count(*) FROM tickets_recovery_codes").scalar_one() == 1
        session.remove()
        upgrade()
        assert secretbox.unseal(_execute("SELECT totp_secret FROM tickets_users WHERE id = :u", u=sam_id).scalar_one())
        # The models and the migrated schema agree (the column's new type and length included).
        assert schema_differences(session.connection()) == []
        session.remove()


def test_the_downgrade_refuses_with_the_wrong_key_and_changes_nothing(empty_app, capfd):
    with empty_app.app_context():
        upgrade(revision="reports")
        tenant_id = _insert(Tenant, slug="acme", name="Acme")
        _insert(
            User,
            tenant_id=tenant_id,
            email="sam@acme.test",
            name="Sam",
            role="staff",
            totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        )
        session.commit()
        session.remove()
        upgrade()
        sealed = _execute("SELECT totp_secret FROM tickets_users").scalar_one()
        session.remove()
        empty_app.config["SECRET_KEY"] = "not-the-key"
        # Flask-Migrate logs the migration's error and exits 1, as `flask tickets db downgrade` would.
        with pytest.raises(SystemExit):
            downgrade(revision="reports")
        assert "cannot be decrypted with SECRET_KEY" in capfd.readouterr().err
        session.remove()
        assert _execute("SELECT totp_secret FROM tickets_users").scalar_one() == sealed
        columns = {c["name"]: c for c in sa.inspect(session.connection()).get_columns("tickets_users")}
        assert "totp_secret_new" not in columns and columns["totp_secret"]["type"].length == 255
        session.remove()


NOW = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)


def test_the_secret_being_set_up_is_sealed_in_the_session_cookie(client, auth, world, app):
    auth.login("sam@acme.test")
    page = client.get("/acme/profile/two-factor").get_data(as_text=True)
    shown = re.search(r'<code class="xt-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    # The session cookie is signed, not encrypted: anyone holding a copy can read it.
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert shown not in json.dumps(data)
    assert secretbox.unseal(data[PENDING_SECRET], app.config) == shown
    # The same secret is shown again (and in the QR code) until a code confirms it.
    assert shown in client.get("/acme/profile/two-factor").get_data(as_text=True).replace(" ", "")
    assert client.post("/acme/profile/two-factor", data={"code": pyotp.TOTP(shown).now()}).status_code == 200
    assert secretbox.unseal(stored_secret(app, "sam@acme.test"), app.config) == shown
