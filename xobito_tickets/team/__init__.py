"""The team: departments, people and roles, and the directory of a host's users.
Imports models, tenancy, web and the tickets' transaction (a role change moves tickets)."""
