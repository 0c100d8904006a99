"""Satisfaction ratings: the signed Good / Bad links of the closed email, the rating page and its service.

May import models, db, signals and the ticket services' transaction; reports read its table, mail asks it for the links.
"""
