"""Flask-Babel for the module: our catalogues, and who decides the language and the time zone.

An embedding site that already runs Flask-Babel (``app.extensions["babel"]``) keeps its
instance and its selectors: the module only adds its own catalogues to the host's
translation directories. Without one, the module installs Flask-Babel with the
selectors below.
"""

import os
import zoneinfo
from functools import lru_cache

from babel import Locale
from flask import current_app, has_app_context, request
from flask_babel import Babel, get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from markupsafe import Markup

try:  # Flask's own context variable (Flask 2.2+): the app context without going through a proxy.
    from flask.globals import _cv_app

    def _app_context():
        return _cv_app.get(None)

except ImportError:  # pragma: no cover - a Flask without it: the public (slower) way
    from flask.globals import app_ctx

    def _app_context():
        return app_ctx._get_current_object() if has_app_context() else None


#: Where the module's catalogues live (``<lang>/LC_MESSAGES/messages.po|.mo``), inside the
#: package so that the wheel ships them.
TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "translations")
#: The cookie that keeps a visitor's choice from the footer's language switch.
LANGUAGE_COOKIE = "tickets_lang"
_STATE = "xobito_tickets.i18n"


def init_babel(app, current_person):
    """Make ``app`` speak the module's languages; ``current_person()`` returns the logged-in person or None."""
    app.extensions[_STATE] = {"current_person": current_person}
    app.jinja_env.globals.setdefault("tickets_language", current_language)
    app.jinja_env.globals.setdefault("tickets_language_choices", language_choices)
    babel = app.extensions.get("babel")
    if babel is None:
        Babel(
            app,
            default_translation_directories=TRANSLATIONS_DIR,
            locale_selector=select_locale,
            timezone_selector=select_timezone,
        )
        # Our own Babel: the templates' _() and ngettext() find the request's catalogue
        # once (Flask-Babel's own callables look it up on each of a page's 30–100 texts).
        _install_template_gettext(app, request_translations)
        return
    # The host's Babel: its selectors stay; our catalogues join its directories. Each
    # directory is read with the domain at the same position, so the list is spelled out.
    if TRANSLATIONS_DIR in babel.translation_directories:
        return
    domains = babel.default_domain.split(";")
    if len(domains) == 1:
        domains = domains * len(babel.translation_directories)
    babel.translation_directories.append(TRANSLATIONS_DIR)
    babel.default_domain = ";".join([*domains, "messages"])
    if "gettext" not in app.jinja_env.globals:
        # A host that set Babel up with configure_jinja=False: our templates still need _().
        babel.instance._configure_jinja = True
        _install_jinja(app)


def gettext(string, /, **variables):
    """Return ``string`` in the reader's language: ``flask_babel.gettext``, with the catalogue found once per request.

    For code that translates a text per row (the history's lines, labels); Flask-Babel's
    own looks the catalogue up on each call.
    """
    text = request_translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular, plural, num, /, **variables):
    """Return the singular or plural text for ``num`` in the reader's language, as ``flask_babel.ngettext``."""
    variables.setdefault("num", num)
    return request_translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string, /, **variables):
    """Return a text translated each time it is shown (``flask_babel.lazy_gettext``, through :func:`gettext`)."""
    return LazyString(gettext, string, **variables)


def mark(string):
    """Return ``string`` as it is: marks a text for the catalogue (``_l``) that is translated where it is shown."""
    return string


def babel_state():
    """Return Flask-Babel's state of the current app context (``g._flask_babel``), or None.

    Read from the app context directly: a page asks for it a few hundred times (every text,
    time and badge), and through ``g`` and ``has_app_context()`` each ask costs three proxies.
    """
    ctx = _app_context()
    return getattr(ctx.g, "_flask_babel", None) if ctx is not None else None


def request_translations():
    """Return Flask-Babel's catalogue of the current locale, kept on its request state while the locale stays."""
    state = babel_state()
    locale = getattr(state, "babel_locale", None)
    if locale is None:  # not chosen yet (or outside a request): Flask-Babel decides
        return get_translations()
    kept = getattr(state, "tickets_translations", None)
    # force_locale() (an email in the recipient's language) sets another locale object.
    if kept is None or kept[0] is not locale:
        kept = state.tickets_translations = (locale, get_translations())
    return kept[1]


def _install_jinja(app):
    app.jinja_env.add_extension("jinja2.ext.i18n")
    _install_template_gettext(app, get_translations)


def _install_template_gettext(app, translations):
    """Give the templates ``_()``, ``gettext()`` and ``ngettext()`` reading ``translations()``.

    They behave as Jinja's "newstyle" gettext (the text is a %-format string; in an
    autoescaped template the result is Markup and its variables are escaped) with two
    differences that matter on pages with a text in every row: they take the evaluation
    context, not the template context, so Jinja does not copy the context for each call made
    inside a loop or a block; and an escaped text without variables is kept per catalogue,
    as it depends on nothing else.
    """
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
    )

    @pass_eval_context
    def gettext(eval_ctx, string, /, **variables):
        catalogue = translations()
        if not eval_ctx.autoescape:
            return catalogue.ugettext(string) % variables
        if variables:
            return Markup(catalogue.ugettext(string)) % variables
        kept = _escaped_texts(catalogue)
        text = kept.get(string)
        if text is None:
            text = kept[string] = Markup(catalogue.ugettext(string)) % {}
        return text

    @pass_eval_context
    def ngettext(eval_ctx, singular, plural, num, /, **variables):
        variables.setdefault("num", num)
        text = translations().ungettext(singular, plural, num)
        if eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)


def _escaped_texts(catalogue):
    """Return the dict of escaped texts kept on ``catalogue`` (a gettext translations object)."""
    try:
        return catalogue.tickets_escaped_texts
    except AttributeError:
        catalogue.tickets_escaped_texts = {}
        return catalogue.tickets_escaped_texts


def current_language():
    """Return the language code pages and emails are written in now (``"de"``), for ``<html lang>``."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def supported_languages():
    """Return the language codes the module offers (TICKETS_LANGUAGES)."""
    return tuple(current_app.config.get("TICKETS_LANGUAGES") or ("en",))


def is_language(code):
    """Return True if ``code`` is one of the offered languages."""
    return isinstance(code, str) and code in supported_languages()


@lru_cache(maxsize=1)
def _all_timezones():
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name):
    """Return True if ``name`` is an IANA time zone this machine knows (``Europe/Berlin``)."""
    return isinstance(name, str) and name in _all_timezones()


def language_choices():
    """Return ``[(code, name in that language)]`` for the offered languages: "Deutsch", "Español"."""
    return list(_language_names(supported_languages()))


@lru_cache(maxsize=8)
def _language_names(codes):
    # The footer's switch is on every page; Locale.parse and the display name depend only on the codes.
    return tuple((code, Locale.parse(code).get_display_name(code).capitalize()) for code in codes)


@lru_cache(maxsize=1)
def _timezone_list():
    return tuple(sorted(z for z in _all_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))


def timezone_choices():
    """Return ``[(name, name)]`` of the time zones a person may choose, UTC first."""
    return [("UTC", "UTC"), *((z, z.replace("_", " ")) for z in _timezone_list())]


def choose_locale(person_language, cookie_language, accept_languages, supported, default="en"):
    """Return the language to speak: the person's, else the visitor's footer choice, else the browser's.

    The footer choice comes before the browser's Accept-Language: every browser sends
    that header, so a switch ranked below it would never change anything.
    """
    for candidate in (person_language, cookie_language):
        if candidate in supported:
            return candidate
    # In the browser's order of preference; "de-AT" is served in "de".
    for value, quality in accept_languages or ():
        primary = str(value).replace("_", "-").split("-", 1)[0].lower()
        if quality > 0 and primary in supported:
            return primary
    return default if default in supported else supported[0]


def _current_person():
    state = current_app.extensions.get(_STATE)
    return state["current_person"]() if state else None


def select_locale():
    """Flask-Babel locale selector: the person's language, the footer choice, the browser's."""
    if not request:
        return None
    person = _current_person()
    return choose_locale(
        getattr(person, "language", None),
        request.cookies.get(LANGUAGE_COOKIE),
        request.accept_languages,
        supported_languages(),
        current_app.config.get("BABEL_DEFAULT_LOCALE", "en"),
    )


def select_timezone():
    """Flask-Babel time-zone selector: the person's zone, else Babel's default."""
    if not request:
        return None
    zone = getattr(_current_person(), "timezone", None)
    return zone if is_timezone(zone) else None
