"""The reports page, its tables as CSV, and the queue's CSV export (staff side)."""

from datetime import datetime

from flask import Response, abort, current_app, render_template, request, stream_with_context
from flask_babel import force_locale

from ..sla.settings import calendar_for
from ..tenancy import current_tenant
from ..tenancy.current import get_current_user
from ..tickets.access import department_choices, staff_choices, visible_tickets_clause
from ..tickets.listing import paginate_tickets
from ..web.staff import bp
from ..workspace.queue import QueueFilters
from . import export
from .report import SECTION_NAMES, RangeError, parse_range, report_for


def _today():
    """Today where the team works (the zone of the tenant's business hours): the report's days."""
    return datetime.now(calendar_for(current_tenant.id).zone).date()


def _report(days_table=True, only=None):
    """Return ``(start, end, sections, error)`` for the GET form's range (``only``: just that section)."""
    try:
        start, end = parse_range(request.args, _today())
    except RangeError as error:
        return None, None, None, error
    return start, end, report_for(get_current_user(), start, end, days_table=days_table, only=only), None


@bp.get("/reports")
def report_page():
    """Show the report of the tickets the user may see over the chosen range (``table=days``: with the days' table)."""
    days_table = request.args.get("table") == "days"
    start, end, sections, error = _report(days_table=days_table)
    return (
        render_template(
            "xobito_tickets/reports/report.html",
            start=start,
            end=end,
            sections=sections or [],
            error=error,
            days_table=days_table,
            typed={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
        ),
        422 if error else 200,
    )


def _csv_response(lines, filename):
    response = Response(lines, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/reports/<name>.csv")
def report_csv(name):
    """Download one table of the report as CSV."""
    if name not in SECTION_NAMES:
        abort(404)
    start, end, sections, error = _report(only=name)
    if error is not None:
        return report_page()
    (section,) = sections
    # The page speaks the reader's language; the file keeps English headers for the scripts that read it.
    with force_locale("en"):
        lines = list(export.table_lines(section.columns, section.rows))
    return _csv_response(lines, f"{current_tenant.slug}-{name}-{start}-{end}.csv")


@bp.get("/tickets.csv")
def ticket_export():
    """Stream every ticket of the queue's view (its tab or filters) that the user may see, as CSV, in keyset batches."""
    user = get_current_user()
    departments = department_choices(current_tenant.id)
    filters = QueueFilters.from_args(request.args, departments, staff_choices(current_tenant.id))
    visibility = visible_tickets_clause(user)
    batch = current_app.config["TICKETS_EXPORT_BATCH"]

    def pages(cursor):
        return paginate_tickets(visibility, filters, cursor=cursor, per_page=batch, user=user, with_people=True)

    lines = export.queue_lines(pages, {d.id: d.name for d in departments})
    return _csv_response(stream_with_context(lines), f"{current_tenant.slug}-tickets.csv")
