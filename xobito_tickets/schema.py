"""Deprecated alias of :mod:`xobito_tickets.migrate` (the module moved in 0.2).

Hosts wrote ``Migrate(app, db, include_object=xobito_tickets.schema.include_object)``;
that keeps working. Import it from ``xobito_tickets.migrate`` instead.
"""

import warnings

from .migrate import create_all, include_object

warnings.warn(
    "xobito_tickets.schema is deprecated: import include_object from xobito_tickets.migrate",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["create_all", "include_object"]
