"""REST API v1 (SPEC §17): bearer tokens, schemas, the OpenAPI document and the JSON views under /{subdomain}/api/v1/.
Imports models, db, tenancy, tickets and the workspace (notes, tags, queue); extension, CLI and webhooks import it."""
