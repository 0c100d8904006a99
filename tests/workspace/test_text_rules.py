"""Mentions in notes and tag lists as typed: the pure rules."""

from types import SimpleNamespace

import pytest

from xobito_tickets.workspace.mentions import find_mentions
from xobito_tickets.workspace.tagtext import TagError, parse_tags, tag_key

ANA = SimpleNamespace(id=1, name="Ana Lopez", email="ana@acme.test")
ANABEL = SimpleNamespace(id=2, name="Anabel Ruiz", email="anabel@acme.test")
SAM1 = SimpleNamespace(id=3, name="Sam Support", email="sam@acme.test")
SAM2 = SimpleNamespace(id=4, name="Sam Other", email="sam.other@acme.test")
PEOPLE = [ANA, ANABEL, SAM1, SAM2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@Ana Lopez please look", [ANA]),
        ("cc @ana, thanks", [ANA]),
        ("@Anabel can you check", [ANABEL]),
        ("ask @ANA@ACME.TEST", [ANA]),
        ("@sam.other@acme.test and @Sam Support", [SAM1, SAM2]),
        ("@Sam alone is ambiguous", []),
        ("mail ana@acme.test without the at sign", []),
        ("x@Ana is an address, not a mention", []),
        ("@Anastasia is nobody here", []),
        ("nothing here", []),
    ],
)
def test_mentions_name_people_by_full_name_email_or_unique_first_name(text, expected):
    assert find_mentions(text, PEOPLE) == expected


def test_tags_are_split_cleaned_and_deduplicated_case_insensitively():
    assert parse_tags(" VIP , billing,,  vip ,Needs   review, ") == ["VIP", "billing", "Needs review"]
    assert parse_tags("") == []
    assert tag_key("ÉTÉ") == tag_key("été")


@pytest.mark.parametrize("text", ["x" * 41, "ok, bad\x00tag", "line\nbreak", ",".join(f"t{i}" for i in range(21))])
def test_bad_tag_lists_are_refused_with_a_reason(text):
    with pytest.raises(TagError) as refused:
        parse_tags(text)
    assert str(refused.value)


def test_a_forty_character_tag_is_accepted():
    assert parse_tags("y" * 40) == ["y" * 40]
