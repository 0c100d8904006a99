"""The standalone login: log in and out, sign-up, login rate limits, password reset.
Imports tenancy, team services (accounts), mail's outbox, models; no ticket code."""
