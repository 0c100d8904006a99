"""Tickets: the one write path (services, transaction), who sees what (access), lists and counts,
attachments (uploads, storage, downloads), the portal and staff views. Imports models, tenancy, web."""
