"""Forms of the admins' time settings: business hours and SLA targets, and auto-close."""

from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from ..i18n.dates import current_zone
from ..i18n.labels import PRIORITY_LABELS
from ..i18n.setup import lazy_gettext as _l
from ..models import Priority, utcnow
from ..web.forms import QuickTextInput, single_line
from .clock import WEEKDAYS, load_zone, parse_day

DAY_LABELS = dict(
    zip(
        WEEKDAYS,
        (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday")),
        strict=True,
    )
)

#: A year of business minutes is more than any target anyone sets.
MAX_TARGET_MINUTES = 525600
MAX_HOLIDAYS = 400


def time_zone(form, field):
    """Require an IANA time zone name (``Europe/Berlin``)."""
    try:
        load_zone(field.data or "")
    except ValueError:
        raise ValidationError(_l("Enter a time zone such as Europe/Berlin or America/New_York.")) from None


def day_hours(form, field):
    """Require ``09:00-17:00`` intervals, comma-separated, not overlapping (empty: closed)."""
    try:
        field.parsed = parse_day(field.data)
    except ValueError as error:
        raise ValidationError(
            _l("%(error)s Write hours like 09:00-12:00, 13:00-17:00, or leave empty.", error=error)
        ) from None


def holiday_dates(form, field):
    """Require ISO dates (``2026-12-25``), one per line or comma-separated."""
    days = set()
    for part in (field.data or "").replace(",", " ").split():
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise ValidationError(_l("“%(text)s” is not a date like 2026-12-25.", text=part)) from None
    if len(days) > MAX_HOLIDAYS:
        raise ValidationError(_l("At most %(most)s holidays.", most=MAX_HOLIDAYS))
    field.parsed = sorted(days)


def _target(label):
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(
                1, MAX_TARGET_MINUTES, message=_l("Business minutes, from 1 to %(most)s.", most=MAX_TARGET_MINUTES)
            ),
        ],
    )


class SlaSettingsForm(FlaskForm):
    """Business hours, holidays, warning lead time and the targets of each priority."""

    timezone = StringField(_l("Time zone"), filters=[single_line], validators=[time_zone])
    holidays = TextAreaField(_l("Holidays"), validators=[holiday_dates])
    warn_before_minutes = IntegerField(
        _l("Warn before a due time (business minutes)"),
        validators=[
            InputRequired(_l("Enter a number of minutes (0: only at the breach).")),
            NumberRange(0, 10080, message=_l("From 0 to %(most)s minutes.", most=10080)),
        ],
    )

    def validate(self, extra_validators=None):
        """Check the fields, then that targets have working hours to be measured in."""
        if not super().validate(extra_validators):
            return False
        if any(self.targets().get(p) != (None, None) for p in Priority) and not any(self.weekly()):
            self.hours_mon.errors.append(_l("Targets need working hours on at least one day."))
            return False
        return True

    def day_fields(self):
        """Return ``[(label, field)]`` of the seven days."""
        return [(DAY_LABELS[key], getattr(self, f"hours_{key}")) for key in WEEKDAYS]

    def target_fields(self):
        """Return ``[(priority, first response field, resolution field)]``."""
        return [(p, getattr(self, f"first_response_{p.key}"), getattr(self, f"resolution_{p.key}")) for p in Priority]

    def weekly(self):
        """Return the seven days' intervals (after validation)."""
        return tuple(getattr(field, "parsed", ()) for _label, field in self.day_fields())

    def targets(self):
        """Return ``{Priority: (first response, resolution)}`` minutes (None: no target)."""
        return {p: (first.data, resolution.data) for p, first, resolution in self.target_fields()}


for _key in WEEKDAYS:
    setattr(SlaSettingsForm, f"hours_{_key}", StringField(DAY_LABELS[_key], validators=[day_hours]))
for _priority in Priority:
    setattr(
        SlaSettingsForm,
        f"first_response_{_priority.key}",
        _target(_l("%(priority)s: first response", priority=PRIORITY_LABELS[_priority])),
    )
    setattr(
        SlaSettingsForm,
        f"resolution_{_priority.key}",
        _target(_l("%(priority)s: resolution", priority=PRIORITY_LABELS[_priority])),
    )


class AutoCloseForm(FlaskForm):
    """Remind after R days without a customer reply, close after N days."""

    enabled = BooleanField(_l("Close Answered tickets automatically when the customer does not reply"))
    reminder_days = IntegerField(
        _l("Reminder after (days)"),
        validators=[
            InputRequired(_l("Enter a number of days.")),
            NumberRange(1, 365, message=_l("From 1 to 365 days.")),
        ],
    )
    close_days = IntegerField(
        _l("Close after (days)"),
        validators=[
            InputRequired(_l("Enter a number of days.")),
            NumberRange(2, 365, message=_l("From 2 to 365 days.")),
        ],
    )

    def validate_close_days(self, field):
        """Close only after the reminder had time to be read."""
        if self.reminder_days.data is not None and field.data is not None and field.data <= self.reminder_days.data:
            raise ValidationError(_l("Close later than the reminder: the customer needs time to answer it."))


#: How far ahead a due time may be set by hand (a typo of a year is caught).
MAX_MANUAL_DUE_DAYS = 366


class ManualDueForm(FlaskForm):
    """A due time set by hand, in the reader's time zone; ``clear`` removes it."""

    #: A browser's datetime-local value (``2026-12-24T17:00``); a space instead of the T is taken too.
    due_at = StringField(
        _l("Due by"), filters=[single_line], render_kw={"type": "datetime-local"}, widget=QuickTextInput()
    )
    clear = SubmitField(_l("Clear"))

    def validate_due_at(self, field):
        """Require a time to set (unless clearing), in the future and within a year."""
        field.parsed = None
        if self.clear.data:
            return
        if not field.data:
            raise ValidationError(_("Enter the date and time the ticket is due by."))
        wall = _parse_wall_time(field.data)
        if wall is None:
            raise ValidationError(_("Enter a date and time like 2026-12-24 17:00."))
        zone = current_zone()
        # Flask-Babel's zones are pytz's, which must localize a wall time (replace() would
        # give the zone's first, local-mean-time offset).
        aware = zone.localize(wall) if hasattr(zone, "localize") else wall.replace(tzinfo=zone)
        moment = aware.astimezone(UTC)
        now = utcnow()
        if moment <= now:
            raise ValidationError(_("Choose a time in the future."))
        if moment > now + timedelta(days=MAX_MANUAL_DUE_DAYS):
            raise ValidationError(_("Choose a time within a year."))
        field.parsed = moment

    def moment(self):
        """Return the entered time as an aware UTC datetime (after validation; None when clearing)."""
        return getattr(self.due_at, "parsed", None)

    def show(self, due_at):
        """Fill the field with ``due_at`` (aware or naive UTC) as the reader's wall time."""
        if due_at is not None:
            aware = due_at if due_at.tzinfo is not None else due_at.replace(tzinfo=UTC)
            self.due_at.data = aware.astimezone(current_zone()).strftime("%Y-%m-%dT%H:%M")


def _parse_wall_time(text):
    """Return ``2026-12-24T17:00`` (or with a space, or seconds) as a naive datetime, or None."""
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None
