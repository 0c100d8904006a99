"""Image attachments shown in the thread: a route per side that serves a stored JPEG, PNG or GIF inline.

May import models, db, access, storage and the tickets views' blueprints; it changes nothing.
"""
