"""A failed transaction leaves no row and no file; a rejected submission stores nothing."""

import os

import pytest

from .conftest import post_multipart, snapshot, storage_files, upload
from .samples import PDF, PNG, SVG


@pytest.fixture
def app_config(app_config):
    # Let the app answer errors as in production (a 500 page) instead of raising into the test.
    app_config["PROPAGATE_EXCEPTIONS"] = False
    return app_config


def _break_table(app, table):
    """Make every INSERT into ``table`` fail inside the database (a real trigger)."""
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql(
                    f"CREATE TRIGGER break_{table} BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'disk full (test trigger)'); END"
                )
            else:
                connection.exec_driver_sql(
                    "CREATE FUNCTION break_insert() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'disk full (test trigger)'; END $$ LANGUAGE plpgsql"
                )
                connection.exec_driver_sql(
                    f"CREATE TRIGGER break_{table} BEFORE INSERT ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION break_insert()"
                )


def test_failed_ticket_creation_leaves_no_row_and_no_file(customer, world, app):
    _break_table(app, "tickets_events")  # written after the files and attachment rows
    before = snapshot(app)
    response = post_multipart(
        customer,
        "/acme/tickets/store",
        {
            "subject": "S",
            "department": str(world.support_id),
            "body": "B",
            "attachments": [upload(PNG, "a.png"), upload(PDF, "b.pdf")],
        },
    )
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert snapshot(app) == before
    assert storage_files(app) == set()


def test_failed_reply_leaves_no_row_and_no_file(customer, make, app):
    number = make.ticket(files=[("kept.png", "image/png", PNG)]).number
    _break_table(app, "tickets_attachments")  # fails after the files are written
    before = snapshot(app)
    assert len(before["files"]) == 1
    response = post_multipart(
        customer,
        f"/acme/tickets/{number}/reply",
        {"body": "Here is the log", "attachments": [upload(PDF, "log.pdf"), upload(PNG, "b.png")]},
    )
    assert response.status_code == 500
    assert snapshot(app) == before  # the earlier file is still there, the new ones are gone
    assert make.ticket_state(number) == ("open", 0, 1)


def test_after_a_failure_the_next_request_works(customer, world, app):
    _break_table(app, "tickets_events")
    post_multipart(customer, "/acme/tickets/store", {"subject": "S", "department": str(world.support_id), "body": "B"})
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "DROP TRIGGER break_tickets_events" + ("" if engine.dialect.name == "sqlite" else " ON tickets_events")
            )
    response = customer.post("/acme/tickets/store", data={"subject": "S", "department": world.support_id, "body": "B"})
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/acme/tickets/TKT-000001"


def test_rejected_submission_leaves_no_row_and_no_file_on_disk(customer, world, app):
    before = snapshot(app)
    # Good files with one bad one; and good files with a bad body.
    for data in (
        {
            "subject": "S",
            "department": str(world.support_id),
            "body": "B",
            "attachments": [upload(PNG, "a.png"), upload(SVG, "b.svg")],
        },
        {
            "subject": "S",
            "department": str(world.support_id),
            "body": "",
            "attachments": [upload(PNG, "a.png"), upload(PDF, "b.pdf")],
        },
        {"subject": "S", "department": str(world.legacy_id), "body": "B", "attachments": [upload(PNG, "a.png")]},
    ):
        response = post_multipart(customer, "/acme/tickets/store", data)
        assert response.status_code == 422
    assert snapshot(app) == before
    root = app.config["TICKETS_STORAGE_ROOT"]
    # Not even a directory or a temporary file was made.
    assert not os.path.exists(root) or not any(files for _d, _s, files in os.walk(root))


def test_rejected_reply_leaves_no_file(customer, make, app):
    number = make.ticket().number
    before = snapshot(app)
    response = post_multipart(
        customer, f"/acme/tickets/{number}/reply", {"body": "tiny", "attachments": [upload(PNG, "a.png")]}
    )
    assert response.status_code == 422
    assert snapshot(app) == before
