"""Carbon copies of a ticket: addresses that receive its customer-facing emails (no portal access).

May import models, db, signals, access, web, tenancy, the tickets package and mail's outbox; :func:`is_cc` is for inbound mail.
"""
