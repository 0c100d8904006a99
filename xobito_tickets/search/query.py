"""The search box's language, parsed into safe tokens.

- ``word`` matches words starting with it (``invoi`` finds "invoices"), in any case and
  with or without accents (``cafe`` finds "Café", ``muller`` finds "Müller");
- ``"two words"`` matches the words next to each other, in that order;
- ``-word`` or ``-"two words"`` leaves out the tickets that have it;
- ``TKT-000042`` or ``#42`` names a ticket; a word of digits matches that number exactly
  (the ticket number, an invoice number in the text).

Every word must match. Anything else (unbalanced quotes, ``*``, ``NEAR(``, ``OR``, ``:``) is
read as plain words: the user's text is cut into tokens of letters and digits before it
reaches either database's query syntax, so no input is a syntax error.
"""

import re
from dataclasses import dataclass, field

from ..models import MAX_TICKET_NUMBER
from .schema import NOTE_PAIR_MARK, PAIR_MARK

#: At most this many terms (words or phrases) of a search are used.
MAX_TERMS = 8
#: At most this many words in a phrase, and characters in a word.
MAX_PHRASE_WORDS = 8
MAX_WORD_LENGTH = 60

#: A token is a run of letters and digits: what both databases' tokenizers index.
_TOKEN = re.compile(r"[^\W_]+")
_CHUNK = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_REFERENCE = re.compile(r"^(?:TKT-|#)([0-9]{1,12})$", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """One word or phrase: its tokens (lower case), whether its last token is a prefix, whether excluded."""

    tokens: tuple
    prefix: bool = False
    negated: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """What a search box's text asks for."""

    terms: tuple = ()
    #: Ticket numbers named with ``TKT-`` or ``#``: the ticket must be (one of) them.
    numbers: tuple = ()
    #: A ticket reference that names no possible ticket (``TKT-99999999999999``): nothing matches.
    impossible: bool = False
    text: str = field(default="", compare=False)

    @property
    def positive(self):
        return [term for term in self.terms if not term.negated]

    @property
    def has_words(self):
        """True when there is something to match in the text (and so to rank)."""
        return bool(self.positive)

    @property
    def is_empty(self):
        return not (self.positive or self.numbers or self.impossible)


def tokens_of(text):
    """Return the lower-case tokens (runs of letters and digits) of ``text``, as the index cuts them.

    Lower case, not case folding: both indexes lower the text's case ("Straße" stays
    "straße" in FTS5; PostgreSQL's ``unaccent`` makes it "strasse" on both sides), and a
    folded word ("strasse") would find no "straße" on SQLite.
    """
    return [token[:MAX_WORD_LENGTH] for token in _TOKEN.findall(text.lower())]


def parse(text):
    """Return the :class:`SearchQuery` of a search box's ``text``; never raises."""
    text = " ".join(str(text or "").replace("\x00", " ").split())[:500]
    terms, numbers, impossible = [], [], False
    for match in _CHUNK.finditer(text):
        negated_phrase, phrase, word = match.groups()
        if word is not None:
            negated = word.startswith("-") and len(word) > 1
            if negated:
                word = word[1:]
            reference = _REFERENCE.match(word)
            if reference:
                if not negated:
                    number = int(reference.group(1))
                    if 0 < number <= MAX_TICKET_NUMBER:
                        numbers.append(number)
                    else:
                        impossible = True
                continue
            tokens = tokens_of(word)
            if not tokens:
                continue
            # "print_" or "100%" end in a separator: the word is complete, not a prefix.
            # Digits match exactly: "42" is ticket 42 or the number 42, not 4200.
            last = word[-1]
            prefix = last.isalnum() and last != "_" and not tokens[-1].isdigit()
            term = Term(tuple(tokens[:MAX_PHRASE_WORDS]), prefix=prefix, negated=negated)
        else:
            tokens = tokens_of(phrase)
            if not tokens:
                continue
            term = Term(tuple(tokens[:MAX_PHRASE_WORDS]), prefix=False, negated=bool(negated_phrase))
        if term not in terms:
            terms.append(term)
    return SearchQuery(terms=tuple(terms[:MAX_TERMS]), numbers=tuple(numbers[:1]), impossible=impossible, text=text)


def fts5_expression(query, staff=True, words=None):
    """Return the FTS5 MATCH expression of ``query`` (customers' searches read no notes).

    ``words``: ``{term: the index's terms it stands for}`` of the prefixes searched as
    those terms (``"invoice" OR "invoices"`` instead of ``"invoic"*``).
    Every token is quoted, so no user text is read as FTS5 syntax.
    """
    words = words or {}
    positive = [_fts5_term(term, words.get(term)) for term in query.terms if not term.negated]
    # An exclusion standing for no term of the index excludes nothing.
    negative = [_fts5_term(term, words.get(term)) for term in query.terms if term.negated and words.get(term) != ()]
    if not positive:
        raise ValueError("a search needs at least one word to match")
    expression = "(" + " AND ".join(positive) + ")"
    for term in negative:
        expression += " NOT " + term
    # The words are searched in the text only, never in the filter tokens' column.
    columns = "{subject public_text staff_text}" if staff else "{subject public_text}"
    return columns + " : (" + expression + ")"


def _fts5_term(term, words=None):
    if words:
        return "(" + " OR ".join('"' + word.replace('"', '""') + '"' for word in words) + ")"
    quoted = '"' + " ".join(term.tokens).replace('"', '""') + '"'
    return quoted + ("*" if term.prefix else "")


def tsquery_text(query, staff=True):
    """Return the ``to_tsquery`` text of ``query``; customers' lexemes are limited to weights A and B (no notes)."""
    weights = "" if staff else "AB"
    positive = [_tsquery_term(term, weights) for term in query.terms if not term.negated]
    negative = [_tsquery_term(term, weights) for term in query.terms if term.negated]
    if not positive:
        raise ValueError("a search needs at least one word to match")
    return " & ".join(positive + ["!" + term for term in negative])


def tsquery_terms_text(terms, staff=True):
    """Return the ``to_tsquery`` text of some ``terms`` (a part of a query: it may hold only exclusions)."""
    weights = "" if staff else "AB"
    positive = [_tsquery_term(term, weights) for term in terms if not term.negated]
    negative = ["!" + _tsquery_term(term, weights) for term in terms if term.negated]
    return " & ".join(positive + negative)


def lexemes_tsquery_text(lexemes, negated=False, staff=True):
    """Return the ``tsquery`` text (read as written, not parsed) of "any of ``lexemes``" (already normalized)."""
    label = "" if staff else ":AB"
    quoted = " | ".join(_quoted(lexeme) + label for lexeme in lexemes)
    return ("!" if negated else "") + "(" + quoted + ")"


def pairs_tsquery_text(pairs, negated=False, staff=True):
    """Return the ``tsquery`` text (read as written) of "all of ``pairs``", the lexeme pairs of a phrase.

    A pair is a lexeme of its own in the vectors (see ``schema.PAIR_MARK``): a customer's
    is only the customer-facing pair; a staff member's either. Pairs have no positions, so
    no weight is asked for: the mark says where the words are.
    """
    marks = (PAIR_MARK, NOTE_PAIR_MARK) if staff else (PAIR_MARK,)
    each = ["(" + " | ".join(_quoted(mark + pair) for mark in marks) + ")" for pair in pairs]
    return ("!" if negated else "") + "(" + " & ".join(each) + ")"


def _quoted(lexeme):
    """Return ``lexeme`` quoted for a ``tsquery`` read as written."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsquery_term(term, weights):
    parts = []
    for index, token in enumerate(term.tokens):
        last = index == len(term.tokens) - 1
        label = ("*" if term.prefix and last else "") + weights
        parts.append(f"'{token}'" + (":" + label if label else ""))
    return "(" + " <-> ".join(parts) + ")"
