"""Service levels: business hours, SLA targets and due times, warnings, auto-close, background jobs.

:mod:`.clock` is pure (stdlib only); the rest may import models, db, signals, the ticket services and mail.
"""
