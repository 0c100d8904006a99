"""Find the staff members a note names with ``@Name`` or ``@email``."""

import re


def _pattern(text):
    # The mention ends where a word would not go on: "@Ana," names Ana, "@Anabel" does not.
    return re.compile(r"(?<![\w@])@" + re.escape(text) + r"(?![\w@-])", re.IGNORECASE)


def find_mentions(text, people):
    """Return the people of ``people`` that ``text`` names, in ``people`` order.

    A person is named by ``@`` + their full name, their email, or their first name when
    no other candidate shares it. ``people`` are the staff members who may see the ticket.
    """
    first_names = {}
    for person in people:
        first = (person.name or "").split()
        if first:
            first_names.setdefault(first[0].casefold(), []).append(person)
    found = []
    for person in people:
        forms = [person.email]
        if (person.name or "").strip():
            forms.append(" ".join(person.name.split()))
            first = person.name.split()[0]
            if len(first_names.get(first.casefold(), ())) == 1:
                forms.append(first)
        if any(form and _pattern(form).search(text) for form in forms):
            found.append(person)
    return found
