"""The signature header, and the README's five-line recipe that receivers copy."""

import hashlib
import hmac
import time

from xobito_tickets.webhooks.signing import new_secret, signature_header, verify_signature

from .receiver import readme_recipe

BODY = b'{"id":"evt_1","type":"ticket.created"}'


def test_header_shape_and_value_match_the_spec():
    header = signature_header("s3cret", BODY, timestamp=1700000000)
    # Computed independently: HMAC-SHA256("s3cret", "1700000000." + body).
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_readme_recipe_accepts_our_signature_and_refuses_tampering():
    verify = readme_recipe()
    secret = new_secret()
    header = signature_header(secret, BODY)
    assert verify(secret, header, BODY) is True
    assert verify(secret, header, BODY + b" ") is False
    assert verify("whsec_other", header, BODY) is False
    assert verify(secret, header.replace("v1=", "v1=0"), BODY) is False
    stale = signature_header(secret, BODY, timestamp=time.time() - 3600)
    assert verify(secret, stale, BODY) is False
    for garbage in ("", "t=", "v1=abc", "t=abc,v1=def", "nonsense", "t=1,v1=ü"):
        assert verify(secret, garbage, BODY) is False


def test_library_verifier_agrees_with_the_recipe():
    secret = new_secret()
    now = time.time()
    header = signature_header(secret, BODY, timestamp=now)
    assert verify_signature(secret, header, BODY)
    assert not verify_signature(secret, header, BODY, now=now + 301)
    assert not verify_signature(secret, "t=x,v1=y", BODY)
    # Two v1 values (a rolled secret): either may match.
    other = signature_header("old", BODY, timestamp=now).split("v1=")[1]
    assert verify_signature(secret, header + f",v1={other}", BODY)


def test_secrets_are_long_and_unique():
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("whsec_") and len(s) > 40 for s in secrets)
