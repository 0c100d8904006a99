"""Webhooks (SPEC §18): endpoints, signed deliveries written in the change's transaction, the SSRF guard.
Imports models, db, signals, tickets' access and services, mail's outbox; only the extension, jobs and CLI import it."""
