"""The SSRF guard: which webhook URLs may be called, and at which addresses.

A webhook URL is typed by an admin of a tenant, but the request leaves from the helpdesk's own
network, where the cloud metadata service (169.254.169.254), the database and the admin pages
of other services listen. So a URL is resolved here and every address it resolves to must be
public; the delivery then connects to exactly those addresses (never resolving again), so a DNS
answer that changes between the check and the connection (DNS rebinding) cannot reach inside.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _

#: Longest URL accepted (a column of this size keeps it).
MAX_URL_LENGTH = 2000

# IPv6 ranges that carry an IPv4 address in their low 32 bits (NAT64, RFC 6052 / RFC 8215).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class UnsafeURLError(ValueError):
    """A webhook URL that is refused, with a message fit to show next to the field."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: where to connect (``addresses``) and what to ask for there."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple

    @property
    def host_header(self):
        """Return the ``Host`` header for the request (the name, not the address connected to)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _embedded_ipv4(ip):
    """Return the IPv4 addresses an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if ip.version != 6:
        return []
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    packed = ip.packed
    # IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks); :: and ::1 are not.
    if packed[:12] == bytes(12) and int(ip) > 1:
        found.append(ipaddress.IPv4Address(packed[12:]))
    if any(ip in network for network in _NAT64):
        found.append(ipaddress.IPv4Address(packed[12:]))
    return found


def address_problem(address, allow_private=False):
    """Return why a webhook may not connect to ``address`` (a string), or None if it may.

    Multicast and the unspecified address are never allowed (no TCP service is there, and
    Linux takes ``0.0.0.0`` for this machine). Loopback, private, link-local, shared,
    reserved and other non-global addresses are allowed only with ``allow_private``.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return _("it is not an IP address")
    # The embedded IPv4 address first: its reason is the telling one (::ffff:127.0.0.1 is "loopback").
    for candidate in [*_embedded_ipv4(ip), ip]:
        if candidate.is_multicast:
            return _("%(address)s is a multicast address", address=address)
        if candidate.is_unspecified:
            return _("%(address)s is the unspecified address", address=address)
        if allow_private:
            continue
        if candidate.is_loopback:
            return _("%(address)s is a loopback address", address=address)
        if candidate.is_link_local:
            return _("%(address)s is a link-local address", address=address)
        if candidate.is_private:
            return _("%(address)s is a private address", address=address)
        if candidate.is_reserved:
            return _("%(address)s is a reserved address", address=address)
        if not candidate.is_global:
            return _("%(address)s is not a public address", address=address)
    return None


def parse_url(url):
    """Return ``(scheme, host, port, path)`` of a webhook URL, or raise :class:`UnsafeURLError`."""
    url = (url or "").strip()
    if not url:
        raise UnsafeURLError(_("Enter the URL that should receive the events."))
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURLError(_("The URL may be at most %(most)s characters long.", most=MAX_URL_LENGTH))
    if any(ord(c) < 33 or ord(c) == 127 for c in url) or not url.isascii():
        raise UnsafeURLError(_("The URL may not contain spaces, control or non-ASCII characters (encode them)."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURLError(_("That is not a valid URL.")) from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(_("Only http:// and https:// URLs can receive webhooks."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError(_("Put no user name or password in the URL: check the signature instead."))
    host = parts.hostname
    if not host:
        raise UnsafeURLError(_("The URL needs a host name."))
    if port == 0:
        raise UnsafeURLError(_("That is not a valid port."))
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port, path


def resolve(host, port):
    """Return the addresses ``host`` resolves to for a TCP connection, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    return addresses


def check_url(url, allow_private=False, resolver=resolve):
    """Check a webhook URL and resolve it; return its :class:`Target` or raise :class:`UnsafeURLError`.

    Every address the name resolves to must pass :func:`address_problem`: one private address
    among public ones is enough to refuse, since the connection could go to any of them.
    """
    scheme, host, port, path = parse_url(url)
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError):
        raise UnsafeURLError(_("The host name %(host)s could not be resolved.", host=host)) from None
    if not addresses:
        raise UnsafeURLError(_("The host name %(host)s could not be resolved.", host=host))
    for address in addresses:
        problem = address_problem(address, allow_private)
        if problem:
            raise UnsafeURLError(_("Webhooks cannot be sent to %(host)s: %(problem)s.", host=host, problem=problem))
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))
