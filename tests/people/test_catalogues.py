"""The catalogues: every string shown to people is marked, extracted, translated and compiled.

The compiled ``.mo`` files are committed (the wheel ships them and no build step is
needed); this test recompiles each ``.po`` in memory and fails when a ``.mo`` is stale.
After marking strings: ``scripts/translations.sh`` extracts, updates and compiles.
"""

import ast
import io
import pathlib
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "xobito_tickets"
TEMPLATES = PACKAGE / "templates" / "xobito_tickets"
TRANSLATIONS = PACKAGE / "translations"
LANGUAGES = ("de", "es")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "pgettext": ((1, "c"), 2)}

# Pages only developers see (the development mailbox) stay English.
UNTRANSLATED_TEMPLATES = {"mail/dev_email.html", "mail/dev_mailbox.html", "mail/outbox.html"}


def extracted_ids():
    """Return the msgids ``pybabel extract -F babel.cfg`` finds in the package."""
    with open(ROOT / "babel.cfg") as handle:
        method_map, options = parse_mapping_cfg(handle)
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map, options, keywords=KEYWORDS
    ):
        ids.add(message if isinstance(message, str) else tuple(message))
    return ids


def load_po(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_translates_every_extracted_string(language):
    catalog = load_po(language)
    missing, empty, fuzzy = [], [], []
    for msgid in extracted_ids():
        key = msgid if isinstance(msgid, str) else msgid[0]
        message = catalog.get(key)
        if message is None:
            missing.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
        elif not (all(message.string) if isinstance(message.string, tuple) else message.string):
            empty.append(msgid)
    assert not missing, (
        f"{language}: not in the catalogue (run scripts/translations.sh): {sorted(map(str, missing))[:20]}"
    )
    assert not fuzzy, f"{language}: fuzzy: {sorted(map(str, fuzzy))[:20]}"
    assert not empty, f"{language}: untranslated: {sorted(map(str, empty))[:20]}"


def _key(value):
    # Plural messages are tuples in a .po file and lists in a .mo file.
    return value if isinstance(value, str) else tuple(value)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_is_up_to_date(language):
    catalog = load_po(language)
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = read_mo(handle)
    expected = {_key(m.id): _key(m.string) for m in catalog if m.id and not m.fuzzy and m.string}
    actual = {_key(m.id): _key(m.string) for m in compiled if m.id}
    assert actual == expected, f"{language}: messages.mo is stale: run scripts/translations.sh"


# --- nothing left unmarked -------------------------------------------------------------

_JINJA_DROP = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>", re.S)
_SHOWN_ATTRIBUTE = re.compile(
    r"""\b(title|placeholder|aria-label|alt|value|data-confirm)\s*=\s*"([^"{]*[A-Za-z][^"{]*)\""""
)
_WORD = re.compile(r"[A-Za-z]{2,}")


def template_leftovers(text, html):
    """Return the words of ``text`` (a template) that are shown to people but not marked."""
    leftovers = []
    plain = _JINJA_DROP.sub(" ", text)
    if html:
        plain = _SCRIPT.sub(" ", plain)
        for attribute, value in _SHOWN_ATTRIBUTE.findall(plain):
            if attribute == "value" and not re.search(r"\s", value):
                continue  # a machine value such as value="reply", not a label
            leftovers.append(value)
        plain = _TAG.sub(" ", plain)
        plain = re.sub(r"&[a-z]+;|&#\d+;", " ", plain)
    for line in plain.splitlines():
        if _WORD.search(line):
            leftovers.append(line.strip())
    return leftovers


def shown_templates():
    for path in sorted(TEMPLATES.rglob("*")):
        relative = path.relative_to(TEMPLATES).as_posix()
        if path.suffix in (".html", ".txt") and relative not in UNTRANSLATED_TEMPLATES:
            yield relative, path


@pytest.mark.parametrize("relative", [name for name, _path in shown_templates()])
def test_template_text_is_marked(relative):
    path = TEMPLATES / relative
    leftovers = template_leftovers(path.read_text(), html=path.suffix == ".html")
    # "--" the signature separator and "TKT" numbers are not words to translate.
    leftovers = [word for word in leftovers if word not in ("--",)]
    assert not leftovers, f"{relative}: unmarked text {leftovers[:10]}"


# Calls whose first argument is shown to a person: a literal there must be wrapped in _().
_SHOWN_CALLS = {"flash", "ValidationError", "ServiceError", "TicketClosedError", "UploadRejected"}
_FIELD_CLASSES = re.compile(r"Field$")


def python_leftovers(source):
    """Return ``(line, text)`` of literal strings passed to flash(), form errors, services' errors and field labels."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        shown = name in _SHOWN_CALLS or bool(_FIELD_CLASSES.search(name))
        if not shown or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and _WORD.search(first.value):
            found.append((node.lineno, first.value))
        elif isinstance(first, ast.JoinedStr):
            found.append((node.lineno, ast.unparse(first)))
    return found


# Operators' tools speak English: the command line, and the workspace checks only it reaches.
# The development mailbox and its "answer as the recipient" form stay English, like its pages.
OPERATOR_ONLY = ("migrations/", "cli/", "tenancy/workspaces.py", "mail/devserver.py", "inbound/devreply.py")


def python_files():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not relative.startswith(OPERATOR_ONLY):
            yield relative


@pytest.mark.parametrize("relative", list(python_files()))
def test_python_strings_shown_to_people_are_marked(relative):
    leftovers = python_leftovers((PACKAGE / relative).read_text())
    assert not leftovers, f"{relative}: unmarked {leftovers[:10]}"


def test_checker_finds_unmarked_text():
    """The checks above can fail: a bare word, a bare attribute, a bare flash() are caught."""
    assert template_leftovers('<p>Hello</p><input placeholder="Search tickets">', html=True) == [
        "Search tickets",
        "Hello",
    ]
    assert template_leftovers("<p>{{ _('Hello') }} {% trans %}Hi{% endtrans %} {{ name }}</p>", html=True) == []
    assert python_leftovers("flash('Saved.')\nflash(_('Saved.'))\nStringField(_l('Name'))\nStringField('Name')") == [
        (1, "Saved."),
        (4, "Name"),
    ]
    assert read_po(io.BytesIO(b'msgid "a"\nmsgstr "b"\n'))["a"].string == "b"
