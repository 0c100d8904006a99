"""Full-text search over tickets: the index (one document per ticket), the query language and ranked pages.

Imports only ``models``, ``db`` and ``signals`` (and ``tickets.access`` for visibility); the ticket views call it.
"""
