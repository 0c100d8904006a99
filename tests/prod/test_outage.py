"""A database that cannot be reached is an outage, not a bug: every page answers 503 with
Retry-After and a readable page, the log gets one line for the outage (not a traceback per
request) and one when the database answers again."""

import logging

from xobito_tickets import create_app
from xobito_tickets.db import metadata, session
from xobito_tickets.tenancy.workspaces import create_tenant


def test_pages_answer_503_while_the_database_is_unreachable_and_recover(tmp_path, caplog, dispose_later):
    folder = tmp_path / "not-yet"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "outage",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'tickets.sqlite'}",
            "TICKETS_STORAGE_ROOT": str(tmp_path / "storage"),
        }
    )
    dispose_later(app)
    client = app.test_client()
    caplog.set_level(logging.INFO)
    for _ in range(3):
        response = client.get("/acme/tickets")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert "cannot reach its database" in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)
    outage_lines = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(outage_lines) == 1
    assert "\n" not in outage_lines[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info]

    folder.mkdir()
    with app.app_context():
        metadata.create_all(app.extensions["sqlalchemy"].engine)
        create_tenant("acme", "Acme")
        session.remove()
    response = client.get("/acme/tickets")
    assert response.status_code == 302  # to the login page: the app works again
    assert any("answers again (3 requests refused" in r.getMessage() for r in caplog.records)
