"""A ticket's history (TicketEvent rows) as sentences a person reads at a glance."""

from dataclasses import dataclass
from datetime import datetime

from ..i18n.dates import exact_time
from ..i18n.labels import status_label
from ..i18n.setup import gettext as _
from ..i18n.setup import mark as _l
from ..models import TicketStatus

#: kind -> the verb of "<actor> changed <what> <old> → <new>" (translated where a line is made).
CHANGED = {
    "status": _l("changed status"),
    "priority": _l("changed priority"),
    "department": _l("changed department"),
    "assigned": _l("changed assignee"),
}

#: kind -> verb, for "<actor> <verb> <value>" (the value is the event's new, else old, value).
WORDED = {
    "on_behalf": _l("opened the ticket on behalf of"),
    "cc_added": _l("copied"),
    "cc_removed": _l("stopped copying"),
    "merged_into": _l("merged this ticket into"),
    "merged_from": _l("merged in"),
}
#: A rating's stored word (the English label) -> the shown one.
RATINGS = {"Good": _l("Good"), "Bad": _l("Bad")}


@dataclass
class HistoryLine:
    """One line: "<actor> <verb> [<old> → <new>]", when, and the reply it points at."""

    actor: str
    verb: str
    old: str | None
    new: str | None
    when: datetime
    kind: str
    reply_id: int | None = None

    @property
    def text(self):
        """Return the line as plain text, e.g. "Sam Support changed status Open → Answered"."""
        if self.old is not None and self.new is not None:
            return f"{self.actor} {self.verb} {self.old} → {self.new}"
        target = self.new if self.new is not None else self.old
        return f"{self.actor} {self.verb}" + (f" {target}" if target is not None else "")


def _status_label(value):
    try:
        return status_label(TicketStatus(value))
    except ValueError:
        return value


def _rating(value):
    if value is None:
        return None
    return _(RATINGS[value]) if value in RATINGS else value


def _exact_iso(text):
    """Return a stored ISO 8601 time as the reader reads times (their zone and language)."""
    try:
        return exact_time(datetime.fromisoformat(text), format="short")
    except (TypeError, ValueError):
        return text


def describe_event(event):
    """Return the :class:`HistoryLine` of one event row (kind, old_value, new_value, created_at, actor_name)."""
    actor = event.actor_name if event.actor_name is not None else _("The system")
    line = HistoryLine(actor=actor, verb="", old=None, new=None, when=event.created_at, kind=event.kind)
    if event.kind == "created":
        line.verb = _("opened the ticket")
    elif event.kind == "replied":
        line.verb = _("replied")
        line.reply_id = int(event.new_value) if (event.new_value or "").isdigit() else None
    elif event.kind == "auto_closed":
        line.verb = _("closed the ticket automatically (no reply from the customer)")
    elif event.kind in WORDED:
        line.verb = _(WORDED[event.kind])
        line.new = event.new_value if event.new_value is not None else event.old_value
    elif event.kind == "note":
        line.verb = _("added an internal note")
        line.reply_id = int(event.new_value) if (event.new_value or "").isdigit() else None
    elif event.kind == "tagged":
        line.verb = _("added the tag")
        line.new = event.new_value
    elif event.kind == "untagged":
        line.verb = _("removed the tag")
        line.old = event.old_value
    elif event.kind == "assigned" and event.new_value is None:
        line.verb = _("unassigned")
        line.old = event.old_value
    elif event.kind == "due_by_hand":
        line.verb = _("set the due time by hand to") if event.new_value else _("cleared the due time set by hand")
        line.new = _exact_iso(event.new_value) if event.new_value else _exact_iso(event.old_value)
    elif event.kind == "rating":
        line.verb = _("rated the ticket") if event.old_value is None else _("changed the rating")
        line.old = _rating(event.old_value)
        line.new = _rating(event.new_value)
    elif event.kind == "assigned" and event.old_value is None:
        line.verb = _("assigned the ticket to")
        line.new = event.new_value
    else:
        line.verb = _(CHANGED[event.kind]) if event.kind in CHANGED else event.kind
        old, new = event.old_value, event.new_value
        if event.kind == "status":
            old, new = _status_label(old), _status_label(new)
        line.old, line.new = old or _("none"), new or _("none")
    return line
