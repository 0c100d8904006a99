"""Every email of a ticket threads together in a mail client; emails of different tickets do not."""

from .conftest import emails_to, extract_emails
from .test_events import ADA, CARLA, SAM, Desk


def test_emails_of_one_ticket_share_a_thread_root_and_each_has_its_own_message_id(app, world, smtp_server):
    desk = Desk(app, world, smtp_server)
    desk.open(subject="First")
    desk.open(subject="Second")
    desk.reply(SAM, "An answer to the first.", number=1)
    desk.reply(CARLA, "A follow-up to the first.", number=1)
    desk.close(SAM, number=1)
    desk.reopen(ADA, number=1)
    desk.deliver()
    emails = extract_emails(smtp_server)

    ids = [e.header("Message-ID") for e in emails]
    assert all(i and i.startswith("<") and i.endswith("@helpdesk.test>") for i in ids)
    assert len(set(ids)) == len(ids)

    first = [e for e in emails if e.subject.startswith("[TKT-000001]")]
    second = [e for e in emails if e.subject.startswith("[TKT-000002]")]
    assert len(first) >= 6 and len(second) == 3
    roots = {e.header("In-Reply-To") for e in first}
    assert len(roots) == 1
    (root,) = roots
    assert root.endswith("@helpdesk.test>") and root not in ids
    assert {e.header("References") for e in first} == {root}
    assert {e.header("In-Reply-To") for e in second} != {root}
    assert len({e.header("References") for e in second}) == 1

    # Carla's own mailbox: the receipt, the answer, the reopening — one thread.
    carla = [e for e in emails_to(smtp_server, CARLA) if e.subject.startswith("[TKT-000001]")]
    assert [e.subject for e in carla] == [
        "[TKT-000001] We received your ticket: First",
        "[TKT-000001] New reply, now Answered: First",
        "[TKT-000001] Closed: First",
        "[TKT-000001] Reopened: First",
    ]
    assert {e.header("References") for e in carla} == {root}


def test_notifications_ask_autoresponders_to_stay_quiet(app, world, smtp_server):
    desk = Desk(app, world, smtp_server)
    desk.open()
    for email in desk.deliver():
        assert email.header("Auto-Submitted") == "auto-generated"
        assert email.header("Date")
