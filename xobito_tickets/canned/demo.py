"""Canned replies of the demo workspace: shared ones, one per department, and a personal one."""

from .services import create_canned_reply

#: (owner email, title, body, department name or None, personal)
DEMO_CANNED = [
    (
        "admin@demo.test",
        "Thanks, we're on it",
        'Hi {{ customer.first_name|default("there") }},\n\nThanks for writing in about "{{ ticket.subject }}". '
        "{{ department.name }} is looking into it and will get back to you here.\n\nBest,\n{{ agent.name }}",
        None,
        False,
    ),
    (
        "admin@demo.test",
        "Closing: solved",
        "Hi {{ customer.first_name|default(\"there\") }},\n\nGlad that's sorted. I'm closing {{ ticket.number }}; "
        "open a new ticket any time.\n\n{{ agent.name }}",
        None,
        False,
    ),
    (
        "admin@demo.test",
        "Refund on its way",
        'Hi {{ customer.first_name|default("there") }},\n\nThe refund is on its way and shows on your statement '
        "within 5 to 10 business days.\n\n{{ agent.name }}, {{ department.name }}",
        "Billing",
        False,
    ),
    (
        "admin@demo.test",
        "Please send a screenshot",
        'Hi {{ customer.first_name|default("there") }},\n\nCould you attach a screenshot of the error and tell us '
        "which browser you use? That helps us reproduce it.\n\n{{ agent.name }}",
        "Support",
        False,
    ),
    (
        "sam@demo.test",
        "Sam's sign-off",
        "Cheers,\n{{ agent.name }} (Support)",
        None,
        True,
    ),
]


def add_demo_canned_replies(people, departments):
    """Create the demo's canned replies (``people`` by email, ``departments`` by name)."""
    for email, title, body, department, personal in DEMO_CANNED:
        create_canned_reply(people[email], title, body, departments.get(department), personal=personal)
