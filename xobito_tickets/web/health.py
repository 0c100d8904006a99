"""The health check a load balancer or orchestrator polls (``TICKETS_HEALTH_URL``)."""

import sqlalchemy as sa
from flask import current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from ..db import session
from ..models import Tenant


def health_check():
    """Answer 200 if the database answers a query on the module's tables, else 503."""
    try:
        # A real table, not ``SELECT 1``: a database without the schema (no
        # ``flask db upgrade`` yet) cannot serve a page either.
        session.execute(sa.select(Tenant.id).limit(1)).all()
        database = "ok"
    except SQLAlchemyError as exc:
        session.rollback()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        reason = reason[0] if reason else type(exc).__name__
        current_app.logger.warning("health check: database unavailable: %s", reason)
        database = "unavailable"
    ok = database == "ok"
    response = jsonify(status="ok" if ok else "error", database=database)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
