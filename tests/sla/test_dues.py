"""Due times kept by the ticket services' transactions: start, pause, resume, priority change, close."""

from datetime import timedelta

from xobito_tickets.db import session
from xobito_tickets.models import Department, Priority, Tenant, Ticket, User
from xobito_tickets.sla.clock import OFFICE_HOURS
from xobito_tickets.sla.settings import save_sla_settings, sla_targets
from xobito_tickets.tickets.services import change_priority, close_ticket, open_ticket, post_reply, reopen_ticket
from xobito_tickets.workspace.services import add_note

from .conftest import set_targets


def _people(world):
    return (
        session.get(Tenant, world.acme_id),
        session.get(User, world.customer_id),
        session.get(User, world.staff_id),
        session.get(Department, world.support_id),
    )


def _age_clock(ticket_id, minutes):
    """Pretend the current run of the clock started ``minutes`` earlier (time passing)."""
    ticket = session.get(Ticket, ticket_id)
    ticket.sla_clock_started_at -= timedelta(minutes=minutes)
    ticket.created_at -= timedelta(minutes=minutes)
    session.commit()


def _reload(ticket_id):
    session.expire_all()
    return session.get(Ticket, ticket_id)


def test_no_targets_means_nothing_is_due(app, world):
    with app.app_context():
        acme, carla, _, support = _people(world)
        ticket = open_ticket(acme, carla, support, "Printer", "It jams.")
        ticket = _reload(ticket.id)
        assert ticket.sla_clock_started_at is not None
        assert (ticket.first_response_due_at, ticket.resolution_due_at, ticket.due_at) == (None, None, None)


def test_clock_runs_pauses_resumes_and_stops(app, world):
    with app.app_context():
        acme, carla, sam, support = _people(world)
        set_targets(world.acme_id, medium=(60, 480), urgent=(30, 120))
        ticket = open_ticket(acme, carla, support, "Printer", "It jams.")
        ticket = _reload(ticket.id)
        assert ticket.first_response_due_at == ticket.created_at + timedelta(minutes=60)
        assert ticket.resolution_due_at == ticket.created_at + timedelta(minutes=480)
        assert ticket.due_at == ticket.first_response_due_at

        # 40 minutes later staff answer: first response, clock paused with 40 minutes used.
        _age_clock(ticket.id, 40)
        reply = post_reply(_reload(ticket.id), sam, "Have you tried turning it off?")
        ticket = _reload(ticket.id)
        assert ticket.first_response_at == reply.created_at
        assert ticket.sla_clock_started_at is None
        assert 40 * 60 <= ticket.sla_used_seconds < 41 * 60
        assert ticket.resolution_due_at is None and ticket.due_at is None
        first_due = ticket.first_response_due_at

        # The customer answers: the clock runs again with 440 minutes left.
        answer = post_reply(ticket, carla, "Yes, twice.")
        ticket = _reload(ticket.id)
        assert ticket.sla_clock_started_at == answer.created_at
        left = ticket.resolution_due_at - answer.created_at
        assert timedelta(minutes=439) < left <= timedelta(minutes=440)
        assert ticket.first_response_due_at == first_due
        assert ticket.due_at == ticket.resolution_due_at

        # Urgent (2 h to resolve): measured from the 40 used minutes, not from zero.
        change_priority(ticket, sam, Priority.URGENT)
        ticket = _reload(ticket.id)
        left = ticket.resolution_due_at - answer.created_at
        assert timedelta(minutes=79) < left <= timedelta(minutes=80)

        close_ticket(ticket, carla)
        ticket = _reload(ticket.id)
        assert ticket.sla_clock_started_at is None and ticket.due_at is None
        assert ticket.resolution_due_at is None
        used = ticket.sla_used_seconds

        reopen_ticket(ticket, sam)
        ticket = _reload(ticket.id)
        assert ticket.sla_used_seconds == used
        assert ticket.resolution_due_at - ticket.sla_clock_started_at <= timedelta(seconds=120 * 60 - used)


def test_priority_change_past_the_target_is_overdue_at_once(app, world):
    with app.app_context():
        acme, carla, sam, support = _people(world)
        set_targets(world.acme_id, medium=(None, 480), urgent=(None, 30))
        ticket = open_ticket(acme, carla, support, "Printer", "It jams.")
        _age_clock(ticket.id, 45)
        ticket = _reload(ticket.id)
        change_priority(ticket, sam, Priority.URGENT)
        ticket = _reload(ticket.id)
        # It fell due 30 minutes into the run, 15 minutes ago.
        assert ticket.due_at == ticket.sla_clock_started_at + timedelta(minutes=30)
        assert ticket.first_response_due_at is None


def test_saving_targets_gives_open_tickets_their_due_times(app, world):
    with app.app_context():
        acme, carla, sam, support = _people(world)
        waiting = open_ticket(acme, carla, support, "Printer", "It jams.").id
        answered = open_ticket(acme, carla, support, "Toner", "Empty.").id
        post_reply(session.get(Ticket, answered), sam, "Ordered.")
        targets = {priority: (None, None) for priority in Priority}
        targets[Priority.MEDIUM] = (120, 960)
        save_sla_settings(world.acme_id, "Europe/Berlin", OFFICE_HOURS, [], 30, targets)
        assert sla_targets(world.acme_id)[Priority.MEDIUM] == (120, 960)
        ticket = _reload(waiting)
        assert ticket.first_response_due_at is not None and ticket.due_at == ticket.first_response_due_at
        assert ticket.sla_warn_at < ticket.due_at
        # Waiting on the customer: nothing runs, nothing is due.
        assert _reload(answered).due_at is None


def test_an_internal_note_is_no_first_response_and_moves_no_clock(app, world):
    with app.app_context():
        acme, carla, sam, support = _people(world)
        set_targets(world.acme_id, medium=(60, 480))
        ticket = open_ticket(acme, carla, support, "Printer", "It jams.")
        _age_clock(ticket.id, 40)
        before = _reload(ticket.id)
        started, due = before.sla_clock_started_at, before.due_at
        add_note(before, sam, "Probably the fuser again.")
        ticket = _reload(ticket.id)
        assert ticket.first_response_at is None
        assert (ticket.sla_clock_started_at, ticket.due_at) == (started, due)
        assert ticket.due_at == ticket.first_response_due_at
        # "Add note and close" closes: the clock stops like any close.
        add_note(ticket, sam, "Duplicate of the other ticket.", then_close=True)
        ticket = _reload(ticket.id)
        assert ticket.first_response_at is None
        assert (ticket.sla_clock_started_at, ticket.due_at) == (None, None)
        assert ticket.sla_used_seconds >= 40 * 60
