"""Inbound email (SPEC §15): parsing, reply tokens, the one ingest function and its three doors.

Parsing, quoting and tokens are pure; ingest may import the ticket services, mail and tenancy, never views.
"""
