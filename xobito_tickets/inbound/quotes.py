"""Cutting quoted history and signatures from a reply's text, and HTML to plain text.

Quotes are found by mail-parser-reply (maintained, multi-language: Gmail's ``On … wrote:``
with the address wrapped over two lines, Outlook's ``From:/Sent:`` block and
``-----Original Message-----`` line, Apple Mail, Thunderbird). What it leaves is cut further
here: the ``-- `` signature separator, ``>`` lines and the "Sent from my …" footers of mobile
clients. HTML becomes text with inscriptis (keeps the layout of lists and tables, no Markdown
markup to show as literal asterisks), after the quoted parts of the HTML are dropped.
"""

import re
import textwrap

import lxml.html
from inscriptis import Inscriptis
from inscriptis.model.config import ParserConfig
from mailparser_reply import EmailReplyParser

#: Text longer than this is not searched for quotes (the parser's regular expressions are
#: not linear); such a text is kept whole, and attached whole anyway.
MAX_QUOTE_SCAN = 200_000
#: HTML longer than this is cut before it is turned into text.
MAX_HTML = 2_000_000

LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "ja", "zh"]

#: The parser leaves the signature separator ``-- `` as ``--``; both end the reply.
_SIGNATURE_LINE = re.compile(r"^-- ?$")
_MOBILE_FOOTER = re.compile(
    r"^(sent from my \w[\w ]{0,40}|sent from (outlook|yahoo mail|mail) for \w+|get outlook for \w+"
    r"|sent from mobile|von meinem \w+ gesendet|envoyé de mon \w+)\.?$",
    re.IGNORECASE,
)
_RULE_LINE = re.compile(r"^[_\-=]{8,}$")
_ON_WROTE = re.compile(r"^on .{4,200} wrote:$", re.IGNORECASE)

#: HTML elements that hold quoted history or signatures in the common clients.
_HTML_QUOTE_XPATH = (
    "//blockquote | //*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_signature ')]"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' moz-cite-prefix ')]"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' moz-signature ')]"
    " | //*[@id='divRplyFwdMsg'] | //*[@id='appendonsend'] | //*[@id='Signature']"
    " | //head | //script | //style | //title"
)

_parser = EmailReplyParser(languages=LANGUAGES)


def normalize_newlines(text):
    """Return ``text`` with CRLF and CR made LF and trailing spaces of each line removed, except ``-- ``."""
    lines = str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line if line == "-- " else line.rstrip() for line in lines)


def html_to_text(html, drop_quotes=True):
    """Return the readable text of an HTML body; quoted history dropped unless ``drop_quotes`` is False."""
    html = str(html or "")[:MAX_HTML]
    if not html.strip():
        return ""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for element in tree.xpath(_HTML_QUOTE_XPATH if drop_quotes else "//head | //script | //style | //title"):
        if element.getparent() is not None:
            if element.get("id") == "appendonsend":
                # Outlook on the web: everything after this marker is the quoted mail.
                for sibling in list(element.itersiblings()):
                    sibling.getparent().remove(sibling)
            element.drop_tree()
    text = Inscriptis(tree, ParserConfig(display_links=False, display_images=False)).get_text()
    return textwrap.dedent(normalize_newlines(text)).strip()


def _cut_lines(text):
    kept = []
    for line in text.split("\n"):
        stripped = line.strip()
        if _SIGNATURE_LINE.match(line) or _ON_WROTE.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    # Mobile footers and the rule lines Outlook puts above its header block, at the end.
    while kept and (
        not kept[-1].strip() or _MOBILE_FOOTER.match(kept[-1].strip()) or _RULE_LINE.match(kept[-1].strip())
    ):
        kept.pop()
    return "\n".join(kept).strip()


def cut_reply(text):
    """Return the new part of a reply: ``text`` without quoted history, signature and mobile footers."""
    text = normalize_newlines(text).strip()
    if not text:
        return ""
    if len(text) <= MAX_QUOTE_SCAN:
        try:
            cut = _parser.parse_reply(text=text)
        except (ValueError, IndexError, RecursionError, re.error):
            cut = text
    else:
        cut = text
    return _cut_lines(normalize_newlines(cut)) or _cut_lines(text)
