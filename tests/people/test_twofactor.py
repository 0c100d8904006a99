"""TOTP codes with a fixed clock, replay refusal, QR codes and recovery codes."""

from datetime import UTC, datetime

import pyotp

from xobito_tickets.auth import twofactor

# RFC 6238's test secret ("12345678901234567890") in base32.
SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
MOMENT = datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)


def test_code_of_the_current_step_is_accepted_and_names_its_step():
    code = pyotp.TOTP(SECRET).at(MOMENT)
    assert twofactor.verify_totp(SECRET, code, for_time=MOMENT) == int(MOMENT.timestamp()) // 30


def test_rfc6238_vector():
    # RFC 6238 appendix B, SHA-1, T = 59: 94287082 (8 digits); 6 digits are its last six.
    assert twofactor.current_code(SECRET, for_time=59) == "287082"
    assert twofactor.verify_totp(SECRET, "287082", for_time=59) == 1


def test_neighbouring_steps_are_accepted_older_ones_are_not():
    step = int(MOMENT.timestamp()) // 30
    previous = pyotp.TOTP(SECRET).at(MOMENT.timestamp() - 30)
    stale = pyotp.TOTP(SECRET).at(MOMENT.timestamp() - 90)
    assert twofactor.verify_totp(SECRET, previous, for_time=MOMENT) == step - 1
    assert twofactor.verify_totp(SECRET, stale, for_time=MOMENT) is None


def test_a_code_cannot_be_used_twice():
    code = pyotp.TOTP(SECRET).at(MOMENT)
    step = twofactor.verify_totp(SECRET, code, for_time=MOMENT)
    assert twofactor.verify_totp(SECRET, code, last_step=step, for_time=MOMENT) is None
    # Nor an older one after a newer one was used.
    older = pyotp.TOTP(SECRET).at(MOMENT.timestamp() - 30)
    assert twofactor.verify_totp(SECRET, older, last_step=step, for_time=MOMENT) is None


def test_typed_spaces_are_forgiven_garbage_is_refused():
    code = pyotp.TOTP(SECRET).at(MOMENT)
    assert twofactor.verify_totp(SECRET, f" {code[:3]} {code[3:]} ", for_time=MOMENT) is not None
    for bad in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦", None):
        assert twofactor.verify_totp(SECRET, bad, for_time=MOMENT) is None
    assert twofactor.verify_totp("", code, for_time=MOMENT) is None


def test_qr_code_is_an_svg_made_locally():
    uri = twofactor.provisioning_uri(SECRET, "ada@example.com", "Acme Support")
    assert uri.startswith("otpauth://totp/Acme%20Support:ada%40example.com?secret=" + SECRET)
    svg = twofactor.qr_svg(uri)
    assert svg.startswith(b"<?xml") and b"<svg" in svg and b"<script" not in svg
    assert b"http" not in svg.replace(b"http://www.w3.org", b"")


def test_recovery_codes_are_random_hashed_and_forgiving_to_type():
    codes = twofactor.new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    code = codes[0]
    assert twofactor.looks_like_recovery_code(code)
    assert twofactor.hash_recovery_code(code) == twofactor.hash_recovery_code(code.upper().replace("-", " "))
    assert twofactor.hash_recovery_code(code) != twofactor.hash_recovery_code(codes[1])
    assert code not in twofactor.hash_recovery_code(code)
    assert not twofactor.looks_like_recovery_code("123456")
