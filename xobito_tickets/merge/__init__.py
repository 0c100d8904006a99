"""Merging one ticket into another: its messages and files move, it closes and points at the target.

May import models, db, signals, errors, access, web, tenancy, the tickets package and cc's services.
"""
