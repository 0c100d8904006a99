"""The module's blueprints: portal (customers), admin (staff), auth (standalone login)."""
