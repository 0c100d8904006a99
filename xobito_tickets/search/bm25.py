"""SQLite: the order bm25 gives the matches of a one-term search, without bm25's pass over the whole index.

FTS5's ``bm25()`` scores a document by each phrase's frequency in it (weighted by column,
normalized by the document's length) times the phrase's IDF, and it computes the IDF by
counting every match of the phrase in the whole index, once per statement: 2.4 ms for
``invoice`` at a million tickets, 3 ms for a phrase, whatever the number of documents ranked.
For a search of one term (a word, a prefix or a phrase; exclusions add nothing to a
document that matches) the IDF is one positive factor common to every document, so the
order is that of the frequency part alone, which this module computes from the ranked
documents' own texts and FTS5's record of their lengths: a statement that reads 250 rows
by key, whatever the size of the index. It costs more than bm25 in a small index, where
bm25 ranks instead, its scores divided by the IDF (known from one document ranked here):
so a search's ranks, and its pages' cursors, are the same either way (see
``results._ranks``).

The frequency is counted exactly as FTS5 counts it: the texts are folded as its tokenizer
folds them (:func:`.terms.fts5_terms`'s folding: ASCII in Python, every other character as
FTS5 itself treats it) and the term's words are matched whole (the last one as a prefix for
a prefix), next to each other for a phrase. The lengths (``docsize``) and the index's
averages are FTS5's own records, whose format the FTS5 documentation describes.
"""

import json

import sqlalchemy as sa

from .models import SearchDocument
from .schema import FTS_TABLE
from .terms import fold, fts5_terms

#: bm25's constants in FTS5 (``fts5_aux.c``).
K1 = 1.2
B = 0.75
#: The ranks are rounded to this many decimals (they lie between 0 and -2.2): bm25's scores
#: divided by their IDF differ from these by a few units of the last bit, and a cursor's
#: rank must equal the one its result gets on the next page.
DIGITS = 9
#: The id of FTS5's "averages" record in its data table: the number of rows, then the
#: number of tokens of each column in the whole index.
_AVERAGES_ID = 1

_DOCUMENTS = SearchDocument.__table__
_DOCSIZE = sa.table(f"{FTS_TABLE}_docsize", sa.column("id"), sa.column("sz"))
_DATA = sa.table(f"{FTS_TABLE}_data", sa.column("id"), sa.column("block"))


def varints(blob):
    """Return the SQLite varints of ``blob`` (FTS5's records): 7 bits a byte, high bit set: more; a 9th byte: 8 bits."""
    values, i, end = [], 0, len(blob)
    while i < end:
        value = 0
        for _ in range(8):
            byte = blob[i]
            i += 1
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        else:
            value = (value << 8) | blob[i]
            i += 1
        values.append(value)
    return values


def _total(blob):
    """Return the sum of the varints of ``blob`` (a document's sizes: never 9 bytes long)."""
    total = value = 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            total += value
            value = 0
    return total


#: The ids, one JSON array parameter: no list of 250 parameters to render and bind on each search.
_IDS = sa.func.json_each(sa.bindparam("bm25_ids")).table_valued("value")


def _statement(staff):
    texts = [_DOCUMENTS.c.subject, _DOCUMENTS.c.public_text, _DOCUMENTS.c.staff_text if staff else sa.null()]
    averages = sa.select(_DATA.c.block).where(_DATA.c.id == _AVERAGES_ID).scalar_subquery()
    return (
        sa.select(_DOCUMENTS.c.ticket_id, *texts, _DOCSIZE.c.sz, averages)
        .select_from(_DOCUMENTS.join(_DOCSIZE, _DOCSIZE.c.id == _DOCUMENTS.c.ticket_id))
        .where(_DOCUMENTS.c.ticket_id.in_(sa.select(_IDS.c.value).select_from(_IDS)))
    )


#: Built once (staff, customers): statements are immutable.
_STATEMENTS = {True: _statement(True), False: _statement(False)}


def statement(staff):
    """Return the statement of the documents to rank (parameter ``bm25_ids``: :func:`ids_parameter`).

    Its rows: the ticket's id, the texts, FTS5's record of the document's size, and FTS5's
    averages record (the same on each row).
    """
    return _STATEMENTS[bool(staff)]


def ids_parameter(ids):
    """Return the ``bm25_ids`` parameter of :func:`statement` for ``ids``."""
    return {"bm25_ids": json.dumps(list(ids))}


def one_term(query, words, connect):
    """Return ``(the FTS5 terms of the query's one term, whether the last is a prefix)``, or None.

    None: the query has more than one term to match (bm25's IDFs weigh them), or its term
    folds to no FTS5 term. ``words``: the ranks' words (``{term: (the whole word,)}`` for a
    whole word typed, see ``results._Prepared.rank_words``).
    """
    positive = query.positive
    if len(positive) != 1:
        return None
    term = positive[0]
    if words and words.get(term):
        return ((words[term][0],), False) if len(words[term]) == 1 else None
    folded = tuple(fts5_terms(" ".join(term.tokens), connect))
    return (folded, term.prefix) if folded else None


def ranks(rows, sequence, prefix, weights, connect, digits=DIGITS):
    """Return ``{ticket id: rank}`` (lower is better; bm25 divided by the IDF) of the rows of :func:`statement`.

    ``digits``: the decimals they are rounded to (None: not rounded). A document in which the
    term does not occur (only a longer word, for a whole word) is left out, as bm25's
    statement, which matches the word alone, leaves it out.
    """
    result = {}
    if not rows:
        return result
    averages = varints(rows[0][5] or b"")
    rows_total, tokens_total = (averages[0], sum(averages[1:])) if averages else (0, 0)
    average_length = tokens_total / rows_total if rows_total and tokens_total else 1.0
    for ticket_id, subject, public_text, staff_text, sizes, _ in rows:
        frequency = 0.0
        for text, weight in zip((subject, public_text, staff_text), weights, strict=True):
            if text and weight:
                frequency += weight * occurrences(text, sequence, prefix, connect)
        if frequency:
            length = _total(sizes or b"")
            score = (frequency * (K1 + 1.0)) / (frequency + K1 * (1.0 - B + B * length / average_length))
            result[ticket_id] = -score if digits is None else round(-score, digits)
    return result


def occurrences(text, sequence, prefix, connect):
    """Return how many times the FTS5 terms ``sequence`` occur next to each other in ``text``, as FTS5 counts them."""
    ascii_text = text.isascii()
    folded = text.lower() if ascii_text else fold(text, connect)
    first, end, count = sequence[0], len(folded), 0
    size = len(first)
    position = folded.find(first)
    if len(sequence) == 1 and ascii_text:
        # One word in ASCII text (the usual case), inline: a token is a run of letters and digits.
        while position >= 0:
            after = position + size
            if (position == 0 or not folded[position - 1].isalnum()) and (
                prefix or after >= end or not folded[after].isalnum()
            ):
                count += 1
            position = folded.find(first, after)
        return count
    last = len(sequence) - 1
    while position >= 0:
        if position == 0 or _separator(folded[position - 1], ascii_text):
            if _rest_matches(folded, position + size, sequence, prefix, ascii_text, end, last):
                count += 1
        position = folded.find(first, position + 1)
    return count


def _separator(character, ascii_text):
    # ASCII text lowered: FTS5's tokens are the runs of letters and digits. Folded text:
    # every separator became a space, everything else is a token's character.
    return not character.isalnum() if ascii_text else character == " "


def _rest_matches(folded, index, sequence, prefix, ascii_text, end, last):
    """Whether the term's first word ending at ``index`` is followed by the rest of it, word by word."""
    for number, word in enumerate(sequence):
        if number:
            # At least one separator, then the next word.
            if index >= end or not _separator(folded[index], ascii_text):
                return False
            while index < end and _separator(folded[index], ascii_text):
                index += 1
            if not folded.startswith(word, index):
                return False
            index += len(word)
        if number == last and prefix:
            return True
        if index < end and not _separator(folded[index], ascii_text):
            return False  # a longer word
    return True
