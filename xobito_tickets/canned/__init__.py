"""Canned replies: the table, the sandboxed templates, the admin pages and the composer's picker.

May import models, db, access, web, tenancy and the tickets package; nothing imports it but the views it registers.
"""
