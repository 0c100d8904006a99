"""Web plumbing every feature shares: security headers and CSRF, Jinja filters, forms' pieces,
the staff blueprint and its guard, logging, health check. Imports models and tenancy only."""
