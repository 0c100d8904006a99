"""Languages and time zones: Flask-Babel set-up, the locale and time-zone selectors, the footer switch.

May import flask_babel, models and db; views and services import from here, never the reverse.
"""

from .setup import (
    LANGUAGE_COOKIE,
    choose_locale,
    init_babel,
    is_language,
    is_timezone,
    language_choices,
    select_locale,
    select_timezone,
    timezone_choices,
)

__all__ = [
    "LANGUAGE_COOKIE",
    "choose_locale",
    "init_babel",
    "is_language",
    "is_timezone",
    "language_choices",
    "select_locale",
    "select_timezone",
    "timezone_choices",
]
