"""Carbon copies of a ticket: addresses that receive its customer-facing emails (no portal access).

May import models, db, signals, errors, web, tenancy and the tickets package (mail reads its table,
so it imports no mail). :func:`~.services.is_cc` is for inbound mail.
"""
