"""The configuration reference: every ``TICKETS_*`` key of :mod:`xobito_tickets.config` with its meaning.

``python -m xobito_tickets.configref`` prints it as a Markdown table;
``python -m xobito_tickets.configref --update-readme README.md`` rewrites the README's copy.
"""

import re
from pathlib import Path

from . import config


def reference():
    """Return ``[(key, default, meaning)]`` for every key, from the ``#:`` comments of config.py.

    A comment covers the keys that follow it up to the next comment (``TICKETS_BODY_MIN``
    and ``TICKETS_BODY_MAX`` share one).
    """
    rows, comment, previous = [], [], ""
    for line in Path(config.__file__).read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#:"):
            comment.append(stripped[2:].strip())
            continue
        match = re.match(r'"(TICKETS_[A-Z0-9_]+)":', stripped)
        if match and match.group(1) in config.DEFAULTS:
            meaning = " ".join(comment) or previous
            rows.append((match.group(1), config.DEFAULTS[match.group(1)], meaning))
            previous, comment = meaning, []
    return rows


def reference_markdown():
    """Return the configuration reference as a Markdown table (the README's)."""
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for key, default, meaning in reference():
        lines.append(f"| `{key}` | `{default!r}` | {meaning.replace('|', chr(92) + '|')} |")
    return "\n".join(lines) + "\n"


README_START = "<!-- config-reference:start (python -m xobito_tickets.configref --update-readme README.md) -->"
README_END = "<!-- config-reference:end -->"


def update_readme(path):
    """Rewrite the configuration table between the README's markers; return True if it changed."""
    text = Path(path).read_text(encoding="utf-8")
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    new = text[:start] + "\n" + reference_markdown() + text[end:]
    if new != text:
        Path(path).write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--update-readme"]:
        print("updated" if update_readme(sys.argv[2] if len(sys.argv) > 2 else "README.md") else "up to date")
    else:
        print(reference_markdown(), end="")
