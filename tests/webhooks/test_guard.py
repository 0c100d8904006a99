"""The SSRF guard: schemes, addresses, and names that resolve to internal addresses."""

import pytest

from xobito_tickets.webhooks.guard import UnsafeURLError, address_problem, check_url


def resolver_to(*addresses):
    """A resolver answering ``addresses`` for any name: a DNS record we cannot create here."""

    def resolve(host, port):
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.1", "loopback"),
        ("127.9.9.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("100.64.0.1", "not a public"),
        ("240.0.0.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("::127.0.0.1", "loopback"),
        ("2002:7f00:1::", "loopback"),
        ("2002:a9fe:a9fe::", "link-local"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
    ],
)
def test_internal_addresses_are_refused(address, reason):
    assert reason in address_problem(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "169.254.169.254", "::ffff:192.168.0.1"])
def test_allow_private_lets_internal_addresses_through(address):
    assert address_problem(address, allow_private=True) is None


@pytest.mark.parametrize("address", ["224.0.0.1", "0.0.0.0", "::", "::ffff:224.0.0.5"])
def test_multicast_and_unspecified_are_refused_even_with_allow_private(address):
    assert address_problem(address, allow_private=True)


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "93.184.216.34"])
def test_public_addresses_pass(address):
    assert address_problem(address) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://[::1]:8080/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        # Spellings of 127.0.0.1 that the resolver expands: the resolved address is what counts.
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        # DNS names resolving to loopback (from /etc/hosts, a real lookup).
        "http://localhost/hook",
        "https://LOCALHOST:8443/hook",
    ],
)
def test_urls_reaching_internal_addresses_are_refused(url):
    with pytest.raises(UnsafeURLError) as error:
        check_url(url)
    assert "cannot be sent to" in error.value.message


def test_localhost_is_allowed_with_allow_private():
    target = check_url("http://localhost:8080/hook?x=1", allow_private=True)
    assert target.addresses == ("127.0.0.1",)
    assert (target.host, target.port, target.path) == ("localhost", 8080, "/hook?x=1")
    assert target.host_header == "localhost:8080"


@pytest.mark.parametrize(
    "addresses",
    [
        ("10.0.0.7",),
        ("169.254.169.254",),
        ("::ffff:10.0.0.7",),
        ("fe80::1",),
        # One internal address among public ones is enough: the connection could go to it.
        ("93.184.216.34", "192.168.0.10"),
    ],
)
def test_names_resolving_to_internal_addresses_are_refused(addresses):
    with pytest.raises(UnsafeURLError) as error:
        check_url("https://hooks.example.com/in", resolver=resolver_to(*addresses))
    assert "hooks.example.com" in error.value.message


def test_name_resolving_to_public_addresses_passes():
    target = check_url("https://hooks.example.com/in", resolver=resolver_to("93.184.216.34", "2606:2800:220:1::"))
    assert target.addresses == ("93.184.216.34", "2606:2800:220:1::")
    assert target.port == 443 and target.host_header == "hooks.example.com"


@pytest.mark.parametrize(
    "url, message",
    [
        ("", "Enter the URL"),
        ("ftp://example.com/x", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("gopher://example.com/", "Only http:// and https://"),
        ("javascript:alert(1)", "Only http:// and https://"),
        ("http:///path-only", "needs a host"),
        ("http://user:pw@example.com/", "no user name or password"),
        ("http://example.com:99999/", "not a valid URL"),
        ("http://example.com:0/", "not a valid port"),
        ("http://exa mple.com/", "spaces"),
        ("http://example.com/\r\nX-Injected: 1", "control"),
        ("http://exämple.com/", "non-ASCII"),
        ("http://example.com/" + "a" * 2000, "at most 2000"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(url, message):
    with pytest.raises(UnsafeURLError) as error:
        check_url(url, resolver=resolver_to("93.184.216.34"))
    assert message in error.value.message


def test_unresolvable_name_is_refused():
    with pytest.raises(UnsafeURLError) as error:
        check_url("http://no-such-host.invalid/hook")
    assert "could not be resolved" in error.value.message
