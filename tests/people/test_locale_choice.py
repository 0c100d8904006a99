"""Which language and time zone a request gets, and the host's Babel kept by an embedding site."""

from flask import Flask, render_template_string
from flask_babel import Babel, get_locale
from werkzeug.datastructures import LanguageAccept

from xobito_tickets.i18n import choose_locale, init_babel, is_timezone
from xobito_tickets.i18n.setup import TRANSLATIONS_DIR

SUPPORTED = ("en", "de", "es")


def accept(*pairs):
    return LanguageAccept(list(pairs))


def test_person_language_wins():
    assert choose_locale("de", "es", accept(("es", 1)), SUPPORTED) == "de"


def test_footer_choice_beats_the_browser():
    assert choose_locale(None, "es", accept(("de", 1)), SUPPORTED) == "es"


def test_browser_language_with_region_and_quality():
    assert choose_locale(None, None, accept(("fr", 1), ("de-AT", 0.8), ("en", 0.5)), SUPPORTED) == "de"


def test_unknown_everything_falls_back_to_the_default():
    assert choose_locale("xx", "<script>", accept(("fr", 1)), SUPPORTED) == "en"


def test_timezone_names_are_checked():
    assert is_timezone("Europe/Berlin") and is_timezone("UTC")
    assert not is_timezone("Mars/Olympus") and not is_timezone("../etc/passwd") and not is_timezone(None)


def test_host_babel_and_its_selector_are_kept():
    app = Flask(__name__)
    app.config["TICKETS_LANGUAGES"] = SUPPORTED
    host = Babel(app, locale_selector=lambda: "es")
    init_babel(app, lambda: None)
    assert app.extensions["babel"].instance is host
    assert TRANSLATIONS_DIR in app.extensions["babel"].translation_directories
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert str(get_locale()) == "es"
        assert render_template_string("{{ _('Log out') }}") == "Cerrar sesión"


def test_without_a_host_babel_the_module_installs_its_own():
    app = Flask(__name__)
    app.config["TICKETS_LANGUAGES"] = SUPPORTED

    class Person:
        language = None
        timezone = "Europe/Berlin"

    init_babel(app, Person)
    with app.test_request_context(headers={"Accept-Language": "de-DE,de;q=0.9"}):
        assert str(get_locale()) == "de"
        assert render_template_string("{{ _('Log out') }}") == "Abmelden"
