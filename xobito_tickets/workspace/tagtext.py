"""Tag names as typed: split, clean and check a comma-separated list."""

import unicodedata

from flask_babel import gettext as _

#: The longest tag name, in characters.
MAX_TAG_LENGTH = 40
#: The most tags one ticket carries.
MAX_TAGS_PER_TICKET = 20


class TagError(ValueError):
    """A tag list that cannot be stored, with a message fit for the form."""


def clean_tag(name):
    """Return ``name`` with whitespace collapsed, or raise TagError if it is no valid tag."""
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name):
        raise TagError(_("A tag cannot contain control characters or line breaks."))
    name = " ".join(name.split())
    if not name:
        raise TagError(_("A tag needs at least one character."))
    if len(name) > MAX_TAG_LENGTH:
        raise TagError(
            _(
                "A tag has at most %(most)s characters: “%(start)s…” is longer.",
                most=MAX_TAG_LENGTH,
                start=name[:MAX_TAG_LENGTH],
            )
        )
    return name


def tag_key(name):
    """Return the case-insensitive key of a tag name (unique within a tenant)."""
    return clean_tag(name).casefold()


def parse_tags(text):
    """Return the tags of a comma-separated ``text``, cleaned, without case-insensitive repeats.

    Empty items (``"a,,b"``, a trailing comma) are skipped; an empty text is no tags.
    """
    names, seen = [], set()
    for part in str(text or "").split(","):
        if not part.strip():
            continue
        name = clean_tag(part)
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    if len(names) > MAX_TAGS_PER_TICKET:
        raise TagError(_("A ticket carries at most %(most)s tags.", most=MAX_TAGS_PER_TICKET))
    return names
