"""Signal receivers that turn lifecycle events into outbox rows.

They run inside the service's transaction (see :mod:`xobito_tickets.signals`), so the
rows they add are committed with the change or rolled back with it. Each email's
payload is built for its audience: a customer's payload is made from the customer's
own ticket only (number, subject, status, department, the public thread text and the
name of the person who acted), never from staff-only fields such as the assignee,
the requester list or the history.
"""

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString

from .. import signals
from ..db import session
from ..i18n.labels import status_label
from ..i18n.setup import lazy_gettext as _l
from ..models import Tenant, TicketStatus
from ..satisfaction.tokens import make_rating_token
from . import recipients
from .outbox import add_to_outbox, external_url, header_text, outbox_row, ticket_tenant_slug, ticket_url

CUSTOMER = "customer"
STAFF = "staff"


def notifications_enabled(app):
    """Return True unless the app turned ticket notifications off (TICKETS_NOTIFICATIONS)."""
    return bool(app.config.get("TICKETS_NOTIFICATIONS", True))


def _tenant_name(ticket):
    return session.get(Tenant, ticket.tenant_id).name


def _ticket_view(ticket, audience, copied=False):
    """Return what an email may say about ``ticket`` to ``audience``.

    A CC (``copied``) gets no link: no account opens this ticket's page for them (SPEC §14).
    """
    view = {
        "number": ticket.display_number,
        "subject": ticket.subject,
        "status": TicketStatus(ticket.status).label,
        "department": ticket.department.name,
    }
    if not copied:
        view["url"] = ticket_url(ticket, staff=audience == STAFF)
    if audience == STAFF:
        view.update(
            priority=ticket.priority_enum.label,
            requester=ticket.requester.name,
            requester_email=ticket.requester.email,
            assignee=ticket.assignee.name if ticket.assignee is not None else None,
        )
    return view


def _file_names(attachments):
    return [header_text(a.filename, 255) for a in attachments or ()]


def _emails(kind, people, ticket, audience, subject, **details):
    """Return the outbox rows telling ``people`` (all of one ``audience``) about ``ticket``.

    ``subject`` is a function called in each recipient's language (or a fixed text);
    the payload names the recipient's language and time zone, in which the worker
    renders the email. Staff who turned ``kind`` off on their profile are left out.
    """
    if audience == STAFF:
        people = recipients.without_muted(people, kind)
    if not people:
        return []
    tenant_name = _tenant_name(ticket)
    ticket_view = _ticket_view(ticket, audience, copied=details.get("copied", False))
    default_language = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    rows = []
    for person in people:
        with force_locale(person.language or default_language):
            text = subject() if callable(subject) else subject
            # Lazy texts (the actor "The helpdesk") are fixed now, in the recipient's language.
            shown = {key: str(value) if isinstance(value, LazyString) else value for key, value in details.items()}
        payload = {
            "audience": audience,
            "tenant_name": tenant_name,
            "recipient_name": person.name,
            "ticket": ticket_view,
            "locale": person.language,
            "timezone": person.timezone,
            **shown,
        }
        rows.append(outbox_row(kind, person, f"[{ticket.display_number}] {text}", payload, ticket=ticket))
    return rows


def _actor_name(actor):
    return actor.name if actor is not None else _l("The helpdesk")


def _queue_by_audience(kind, people, ticket, subject_for, copied=(), customer_details=None, **details):
    """Queue ``people``: the ticket's requester gets the customer's view (even if staff), the rest the staff view.

    ``copied`` (CC addresses) get the customer's view too, marked ``copied`` for the wording;
    ``customer_details`` go into the requester's email only (a CC does not rate the ticket).
    """
    customers = [p for p in people if p.id == ticket.requester_id]
    staff = [p for p in people if p.id != ticket.requester_id]
    rows = []
    for audience, group in ((CUSTOMER, customers), (STAFF, staff)):
        if group:
            extra = (customer_details or {}) if audience == CUSTOMER else {}
            rows += _emails(kind, group, ticket, audience, subject_for(audience), **details, **extra)
    if copied:
        rows += _emails(kind, copied, ticket, CUSTOMER, subject_for(CUSTOMER), copied=True, **details)
    add_to_outbox(rows)


def rating_links(ticket):
    """Return the signed Good and Bad links of the closed email's "How did we do?" (SPEC §16)."""
    token = make_rating_token(ticket.tenant_id, ticket.id)
    values = dict(tenant=ticket_tenant_slug(ticket), ticket=ticket.display_number, token=token)
    return {choice: external_url("tickets.satisfaction.rate", rating=choice, **values) for choice in ("good", "bad")}


def on_ticket_created(sender, ticket, actor, attachments=(), **extra):
    """Tell the admins and the department about a new ticket; send the customer a receipt."""
    if not notifications_enabled(sender):
        return
    staff, receipt = recipients.for_ticket_created(ticket, actor)
    files = _file_names(attachments)
    # One INSERT for the staff notices and the receipt.
    add_to_outbox(
        _emails(
            "ticket_created",
            staff,
            ticket,
            STAFF,
            lambda: _("New ticket: %(subject)s", subject=ticket.subject),
            actor_name=_actor_name(actor),
            body=ticket.body,
            attachments=files,
        )
        + _emails(
            "ticket_receipt",
            receipt,
            ticket,
            CUSTOMER,
            lambda: _("We received your ticket: %(subject)s", subject=ticket.subject),
            body=ticket.body,
            attachments=files,
        )
    )


def on_reply_posted(sender, ticket, actor, reply, attachments=(), old_status=None, new_status=None, **extra):
    """Tell the other side about a reply; a status change it caused is said in the same email."""
    if not notifications_enabled(sender):
        return
    people = recipients.for_reply(ticket, actor)
    old_status = TicketStatus(old_status) if old_status is not None else TicketStatus(ticket.status)
    new_status = TicketStatus(new_status) if new_status is not None else TicketStatus(ticket.status)
    changed = old_status != new_status

    def subject_for(audience):
        if audience == CUSTOMER and changed:
            return lambda: _(
                "New reply, now %(status)s: %(subject)s", status=status_label(new_status), subject=ticket.subject
            )
        if audience == CUSTOMER:
            return lambda: _("New reply: %(subject)s", subject=ticket.subject)
        return lambda: _("New reply from %(name)s: %(subject)s", name=actor.name, subject=ticket.subject)

    copied = (
        recipients.copied_addresses(ticket, actor, people) if recipients.is_customer_facing(ticket, actor, True) else []
    )
    _queue_by_audience(
        "reply_posted",
        people,
        ticket,
        subject_for,
        copied=copied,
        actor_name=_actor_name(actor),
        actor_is_staff=actor.is_staff,
        body=reply.body,
        attachments=_file_names(attachments),
        status_changed=changed,
        old_status=old_status.label,
        new_status=new_status.label,
        # "Send and close": this one email is also the closed email, so it asks how we did.
        customer_details={"rating_links": rating_links(ticket)} if new_status == TicketStatus.CLOSED else None,
    )


def on_ticket_closed(sender, ticket, actor, old_status=None, reply=None, **extra):
    """Tell the other party that the ticket was closed (unless the reply's email said so already)."""
    if not notifications_enabled(sender) or reply is not None:
        return
    people = recipients.for_status_change(ticket, actor)
    copied = recipients.copied_addresses(ticket, actor, people) if recipients.is_customer_facing(ticket, actor) else []
    _queue_by_audience(
        "ticket_closed",
        people,
        ticket,
        lambda audience: lambda: _("Closed: %(subject)s", subject=ticket.subject),
        copied=copied,
        actor_name=_actor_name(actor),
        actor_is_customer=actor is not None and actor.id == ticket.requester_id,
        customer_details={"rating_links": rating_links(ticket)},
    )


def on_ticket_reopened(sender, ticket, actor, **extra):
    """Tell the other party that the ticket was reopened."""
    if not notifications_enabled(sender):
        return
    people = recipients.for_status_change(ticket, actor)
    copied = recipients.copied_addresses(ticket, actor, people) if recipients.is_customer_facing(ticket, actor) else []
    _queue_by_audience(
        "ticket_reopened",
        people,
        ticket,
        lambda audience: lambda: _("Reopened: %(subject)s", subject=ticket.subject),
        copied=copied,
        actor_name=_actor_name(actor),
        actor_is_customer=actor is not None and actor.id == ticket.requester_id,
    )


def on_ticket_assigned(sender, ticket, actor, old_department=None, old_assignee=None, **extra):
    """Tell the new assignee, or the new department's members, about the assignment."""
    if not notifications_enabled(sender):
        return
    department_changed = extra.get("department_changed")
    assignee_changed = extra.get("assignee_changed")
    if department_changed is None:
        department_changed = old_department is not None and old_department.id != ticket.department_id
    if assignee_changed is None:
        assignee_changed = (old_assignee.id if old_assignee else None) != ticket.assignee_id
    people = recipients.for_assignment(ticket, actor, assignee_changed, department_changed)
    to_person = bool(assignee_changed and ticket.assignee_id is not None)
    if to_person:

        def subject():
            return _("Assigned to you: %(subject)s", subject=ticket.subject)

    else:

        def subject():
            return _("Moved to %(department)s: %(subject)s", department=ticket.department.name, subject=ticket.subject)

    # Assignments are staff business: a requester who happens to be staff still gets the staff view.
    add_to_outbox(
        _emails(
            "ticket_assigned",
            people,
            ticket,
            STAFF,
            subject,
            actor_name=_actor_name(actor),
            assigned_to_you=to_person,
            old_department=old_department.name if department_changed and old_department is not None else None,
        )
    )


def on_note_added(sender, ticket, actor, note, mentioned=(), **extra):
    """Email the staff members a note mentions (``@Name``); a note is never emailed to the customer."""
    if not notifications_enabled(sender):
        return
    people = recipients.deliverable(mentioned, exclude=(actor.id,) if actor is not None else ())
    add_to_outbox(
        _emails(
            "note_mention",
            [person for person in people if person.is_staff],
            ticket,
            STAFF,
            lambda: _("%(name)s mentioned you: %(subject)s", name=_actor_name(actor), subject=ticket.subject),
            actor_name=_actor_name(actor),
            body=note.body,
        )
    )


RECEIVERS = (
    (signals.ticket_created, on_ticket_created),
    (signals.reply_posted, on_reply_posted),
    (signals.ticket_closed, on_ticket_closed),
    (signals.ticket_reopened, on_ticket_reopened),
    (signals.ticket_assigned, on_ticket_assigned),
    (signals.note_added, on_note_added),
)

_connected = False


def connect_receivers():
    """Subscribe the notification receivers to the lifecycle signals (once per process).

    ``priority_changed`` is not subscribed: SPEC §8 sends no email for it.
    """
    global _connected
    if _connected:
        return
    for signal, receiver in RECEIVERS:
        signal.connect(receiver)
    _connected = True
