"""The staff workspace: internal notes and mentions, the composer, tags, queue views, bulk actions.

May import models, db, signals, the tickets package (services, access, listing, counts) and web plumbing.
"""
