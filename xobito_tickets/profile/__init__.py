"""A person's own page: name, password, language, time zone, notifications, two-factor login, API tokens.

May import models, db, i18n, auth, tenancy and web; nothing imports the views except extension.py.
"""
