"""Blinker signals sent by the services for each lifecycle event.

Every signal is sent with the Flask app as sender (``current_app._get_current_object()``)
*inside* the database transaction of the change, after the change is flushed and
before it is committed. A receiver may add rows to ``xobito_tickets.db.session``:
they are committed with the change, or rolled back with it. A receiver that acts
outside the database should do so idempotently or from an outbox of its own.

Keyword arguments common to all: ``ticket`` (the :class:`~xobito_tickets.models.Ticket`),
``actor`` (the :class:`~xobito_tickets.models.User` who acted, or None for the system).
"""

from blinker import Namespace

_signals = Namespace()

#: A customer opened a ticket. Extra: ``attachments`` (list of Attachment).
ticket_created = _signals.signal("ticket-created")

#: A reply was added. Extra: ``reply`` (the Reply), ``attachments``,
#: ``old_status`` and ``new_status`` (TicketStatus; equal when unchanged).
reply_posted = _signals.signal("reply-posted")

#: The ticket was closed. Extra: ``old_status``; ``reply`` (the Reply) when a staff
#: member replied and closed at once ("Send and close"): ``reply_posted`` went out first
#: with ``new_status`` Closed, and its email already says the ticket is closed.
ticket_closed = _signals.signal("ticket-closed")

#: A closed ticket was reopened (back to Open).
ticket_reopened = _signals.signal("ticket-reopened")

#: Department and/or assignee changed. Extra: ``old_department``, ``old_assignee``
#: (the previous Department / User or None); the new ones are on ``ticket``.
ticket_assigned = _signals.signal("ticket-assigned")

#: The priority changed. Extra: ``old_priority`` and ``new_priority`` (Priority).
priority_changed = _signals.signal("priority-changed")

#: ``ticket`` was merged into ``target`` (a Ticket): its messages and attachments moved to
#: ``target``, ``ticket`` is now Closed with ``merged_into_id`` set. Extra: ``target``,
#: ``old_status`` (TicketStatus of ``ticket`` before), ``moved_replies`` (how many
#: messages ``target`` gained, the source's opening message included). No email is
#: sent for a merge; ``ticket_closed`` is not sent for the source.
ticket_merged = _signals.signal("ticket-merged")

#: A staff member added an internal note (never shown to the customer or a CC).
#: Extra: ``note`` (the Reply, ``kind == "note"``), ``attachments``, ``mentioned``
#: (the staff Users named with ``@Name`` or ``@email`` who may see the ticket, not the actor).
note_added = _signals.signal("note-added")

#: The ticket's tags changed (staff only). Extra: ``added`` and ``removed`` (lists of tag names).
tags_changed = _signals.signal("tags-changed")

#: Notification emails are about to be written to the outbox, in the transaction of the
#: change (no ``ticket``/``actor``). Extra: ``rows``, the column dicts to be inserted.
#: A receiver may replace a row's ``payload`` with a copy holding ``reply_to`` (the
#: Reply-To address of that recipient's email) and add rows of its own to the session.
emails_queued = _signals.signal("emails-queued")

#: The requester rated the ticket (or changed their rating). Extra: ``rating`` (the
#: :class:`~xobito_tickets.satisfaction.models.Rating`, already flushed).
ticket_rated = _signals.signal("ticket-rated")
