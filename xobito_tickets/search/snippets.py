"""Highlighted snippets: where the words of a search occur in a ticket's text, as safe segments.

A snippet is user text. It is returned as ``(text, highlighted)`` segments that the template
escapes one by one, so no markup from the ticket can reach the page.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

_SPACES = re.compile(r"\s+")
#: How much of a long thread is searched for the first match.
SCAN_CHARS = 20_000
WIDTH = 200
LEAD = 60


@dataclass(frozen=True)
class Snippet:
    """Text around the first match: ``segments`` of ``(text, highlighted)``; ``note`` when it comes from a note."""

    segments: tuple
    note: bool = False

    @property
    def html(self):
        """The segments as markup: each escaped, the matched ones in ``<mark>`` (what the template shows)."""
        return Markup(
            "".join(f"<mark>{escape(text)}</mark>" if hit else str(escape(text)) for text, hit in self.segments)
        )


def fold(text):
    """Return ``text`` in lower case without accents (``Müller`` -> ``muller``), as the index compares it."""
    text = text.lower()
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


class _FoldTable(dict):
    """``str.translate`` table folding one character to one (accents off), so positions stay put."""

    def __missing__(self, code):
        char = chr(code)
        folded = fold(char)
        value = folded if len(folded) == 1 else char.lower() if len(char.lower()) == 1 else char
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


@lru_cache(maxsize=64)
def _pattern(query):
    """Return a regex over folded text that finds the query's words (prefixes and whole words), or None."""
    prefixes, exact = set(), set()
    for term in query.positive:
        for index, token in enumerate(term.tokens):
            token = fold(token)
            (prefixes if term.prefix and index == len(term.tokens) - 1 else exact).add(token)
    parts = []
    if prefixes:
        parts.append("(?:" + "|".join(map(re.escape, sorted(prefixes))) + r")[^\W_]*")
    if exact:
        parts.append("(?:" + "|".join(map(re.escape, sorted(exact))) + r")(?![^\W_])")
    return re.compile(r"(?<![^\W_])(?:" + "|".join(parts) + ")") if parts else None


@lru_cache(maxsize=64)
def _words(query):
    """Return the folded words of ``query``'s pattern: a text holding none of them cannot match it."""
    return tuple({fold(token) for term in query.positive for token in term.tokens})


def _fold_same_length(text):
    if text.isascii():
        # What the table does to ASCII: lower case, one character for one.
        return text.lower()
    return text.translate(_FOLD_TABLE)


def _segments(text, folded, start, end, pattern):
    segments, position = [], start
    for match in pattern.finditer(folded, start, end):
        if match.start() > position:
            segments.append((text[position : match.start()], False))
        segments.append((text[match.start() : match.end()], True))
        position = match.end()
    if position < end:
        segments.append((text[position:end], False))
    return segments


def _cut(text, at):
    """Return the (start, end) of a window of about WIDTH characters around ``at``, on word boundaries."""
    start = max(0, at - LEAD)
    if start:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space >= 0 and at - space < LEAD * 2 else start
    end = min(len(text), start + WIDTH)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > at else end
    return start, end


def make_snippet(query, public_text, staff_text=None):
    """Return the :class:`Snippet` of the first match in ``public_text`` (then ``staff_text``), or None.

    The first line of ``public_text`` (number, customer name and email) is searched by
    the index but is not prose; it is left out of snippets. ``staff_text`` (notes) is
    only given for staff.
    """
    pattern = _pattern(query)
    if pattern is None:
        return None
    words = _words(query)
    body = public_text.split("\n", 1)[1] if "\n" in public_text else ""
    for text, note in ((body, False), (staff_text or "", True)):
        text = text[:SCAN_CHARS]
        folded = _fold_same_length(text)
        if not any(word in folded for word in words):
            continue
        match = pattern.search(folded)
        if match is None:
            continue
        start, end = _cut(text, match.start())
        segments = _segments(text, folded, start, end, pattern)
        if start:
            segments.insert(0, ("…", False))
        if end < len(text):
            segments.append(("…", False))
        return Snippet(tuple((_SPACES.sub(" ", s), h) for s, h in segments), note=note)
    return None
