"""Reports: rollups kept in each change's transaction, the reports page, its charts and CSVs, the queue's CSV export.

Imports models, db, signals, tickets.access and .listing, the SLA clock, satisfaction's models; only wiring imports it.
"""
