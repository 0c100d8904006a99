"""Hostile and broken messages: the parser answers with a reason, never an exception, in bounded time."""

import time

from xobito_tickets.inbound.addresses import InboundAddress, department_slug, parse_inbound_address
from xobito_tickets.inbound.parse import parse_message
from xobito_tickets.inbound.tokens import make_reply_token, read_reply_token

HEAD = b"From: Eve <eve@example.com>\r\nTo: acme@inbound.test\r\nMessage-ID: <a1@example.com>\r\n"


def test_header_injection_in_an_encoded_subject_and_name_stays_one_line():
    raw = (
        b"From: =?utf-8?q?Eve=0D=0ABcc=3A_all=40example=2Ecom?= <eve@example.com>\r\n"
        b"Subject: =?utf-8?q?Hello=0D=0ABcc=3A_victim=40example=2Ecom?=\r\n\r\nbody text"
    )
    parsed = parse_message(raw)
    assert parsed.subject == "Hello Bcc: victim@example.com"
    assert "\n" not in parsed.sender_name and "\r" not in parsed.sender_name
    assert parsed.sender == "eve@example.com"


def test_ten_thousand_recipients_are_read_quickly_and_bounded():
    to = ", ".join(f"user{i}@example.com" for i in range(10_000)).encode()
    raw = HEAD + b"Cc: " + to + b"\r\nSubject: hi\r\n\r\nhello there"
    started = time.perf_counter()
    parsed = parse_message(raw)
    assert time.perf_counter() - started < 2
    assert parsed.problem is None and parsed.reply_text == "hello there"
    assert "acme@inbound.test" in parsed.recipients and len(parsed.recipients) <= 1001


def test_deeply_nested_multiparts_are_refused_not_crashing():
    depth = 3000
    parts = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth))
    parsed = parse_message(HEAD + parts + b"Content-Type: text/plain\r\n\r\nhi")
    assert parsed.problem is not None or parsed.reply_text is not None


def test_garbage_and_empty_input():
    assert parse_message(b"").problem == "empty message"
    assert parse_message(b"\x00\xff\xfe garbage without headers").problem == "no From header"
    assert parse_message(b"From: nobody\r\n\r\nx").problem == "the From header holds no address"


def test_unknown_charset_is_replaced_not_raised():
    raw = HEAD + b"Content-Type: text/plain; charset=x-klingon\r\n\r\nqapla\xff batlh"
    parsed = parse_message(raw)
    assert parsed.problem is None and parsed.reply_text.startswith("qapla")


def test_big_plain_body_is_read_in_bounded_time():
    raw = HEAD + b"Content-Type: text/plain\r\n\r\n" + b"All of this is new text. " * 400_000
    started = time.perf_counter()
    parsed = parse_message(raw)
    assert time.perf_counter() - started < 10
    assert len(parsed.text) > 9_000_000


def test_department_slugs_and_addresses():
    assert department_slug("Technical Support") == "technical-support"
    assert department_slug("  Billing & Invoices!! ") == "billing-invoices"
    domain = "inbound.test"
    assert parse_inbound_address("ACME@Inbound.Test", domain) == InboundAddress("acme")
    assert parse_inbound_address("acme+technical-support@inbound.test", domain) == InboundAddress(
        "acme", department="technical-support"
    )
    assert parse_inbound_address("acme+t.abc@inbound.test", domain) == InboundAddress("acme", token="abc")
    assert parse_inbound_address("acme@elsewhere.test", domain) is None
    assert parse_inbound_address("acme+Bad Slug@inbound.test", domain) is None


def test_reply_tokens_name_the_ticket_and_recipient_and_the_tenant():
    token = make_reply_token("secret", 7, 1234, "Anna@Example.com")
    assert len(token) <= 29 and token == token.lower()
    read = read_reply_token("secret", 7, token)
    assert read.ticket_id == 1234 and read.is_for("anna@example.com") and not read.is_for("eve@example.com")
    assert read_reply_token("secret", 8, token) is None  # another tenant
    assert read_reply_token("other secret", 7, token) is None
    tampered = token[:5] + ("a" if token[5] != "a" else "b") + token[6:]
    assert read_reply_token("secret", 7, tampered) is None
    assert read_reply_token("secret", 7, "x" * 500) is None
