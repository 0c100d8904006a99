"""The configuration reference (config.py and README) and set-up errors."""

import re

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

import xobito_tickets
from xobito_tickets import Tickets, config, configref

from .conftest import ROOT

README = ROOT / "README.md"
PACKAGE = ROOT / "xobito_tickets"


def _readme_reference():
    text = README.read_text(encoding="utf-8")
    start, end = text.index(configref.README_START), text.index(configref.README_END)
    return text[start:end]


def test_every_key_has_a_meaning_in_config_py():
    rows = configref.reference()
    assert [key for key, _, _ in rows] == list(config.DEFAULTS)
    assert [key for key, _, meaning in rows if not meaning] == []


def test_every_key_is_in_the_readme_with_its_default():
    table = _readme_reference()
    missing = [key for key, default, _ in configref.reference() if f"| `{key}` | `{default!r}` |" not in table]
    assert missing == [], (
        f"README's configuration reference lacks {missing}: run "
        "'python -m xobito_tickets.configref --update-readme README.md'"
    )


def test_every_tickets_key_the_code_reads_has_a_default():
    used = set()
    for path in PACKAGE.rglob("*.py"):
        used |= set(re.findall(r"\b(TICKETS_[A-Z0-9_]*[A-Z0-9])\b", path.read_text(encoding="utf-8")))
    for path in PACKAGE.rglob("*.html"):
        used |= set(re.findall(r"config\.(TICKETS_[A-Z0-9_]+)", path.read_text(encoding="utf-8")))
    # XOBITO_TICKETS_PRODUCTION is an environment variable, not a config key; names ending
    # in "_" (TICKETS_S3_) are prefixes, not keys.
    used.discard("TICKETS_PRODUCTION")
    assert sorted(used - set(config.DEFAULTS)) == []


def test_update_readme_rewrites_only_the_table(tmp_path):
    copy = tmp_path / "README.md"
    copy.write_text(f"intro\n{configref.README_START}\nold table\n{configref.README_END}\noutro\n")
    assert configref.update_readme(copy) is True
    text = copy.read_text()
    assert text.startswith(f"intro\n{configref.README_START}\n| key | default | meaning |")
    assert text.endswith(f"{configref.README_END}\noutro\n") and "old table" not in text
    assert configref.update_readme(copy) is False


def _bare_host():
    app = Flask("bare_host")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="x")
    SQLAlchemy(app)
    return app


def test_a_second_init_app_on_the_same_app_fails_helpfully():
    app = _bare_host()
    tickets = Tickets(app)
    with pytest.raises(RuntimeError, match=r"already set up on this app.*once per app"):
        tickets.init_app(app)
    with pytest.raises(RuntimeError, match="already set up"):
        Tickets(app)


def test_one_tickets_object_may_serve_two_apps():
    tickets = Tickets()
    first, second = _bare_host(), _bare_host()
    tickets.init_app(first)
    tickets.init_app(second)
    assert first.extensions["xobito_tickets"].extension is second.extensions["xobito_tickets"].extension is tickets


def test_without_flask_sqlalchemy_the_error_says_what_to_do():
    with pytest.raises(RuntimeError, match=r"needs Flask-SQLAlchemy.*Tickets\(app, db=db\)"):
        Tickets(Flask("no_db"))


def test_host_defaults_do_not_override_the_hosts_settings():
    app = _bare_host()
    app.config["TICKETS_PAGE_SIZE"] = 10
    Tickets(app)
    assert app.config["TICKETS_PAGE_SIZE"] == 10
    assert app.config["TICKETS_AUTH"] == "host"
    assert (
        xobito_tickets.create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["TICKETS_AUTH"]
        == "standalone"
    )
