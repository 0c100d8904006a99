"""The inbound addresses of SPEC §15: a tenant, a department (``+slug``) or a reply token (``+t.token``)."""

import re
from dataclasses import dataclass

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_SLUG_RE = re.compile(r"^[a-z0-9-]{2,63}$")


def department_slug(name):
    """Return the address slug of a department name: lower case, each run of other characters one ``-``."""
    return _NOT_ALNUM.sub("-", str(name or "").lower()).strip("-")


@dataclass(frozen=True)
class InboundAddress:
    """What one recipient address of our inbound domain names."""

    tenant_slug: str
    department: str | None = None
    token: str | None = None


def parse_inbound_address(address, domain):
    """Return the :class:`InboundAddress` of ``address`` if it is one of ours on ``domain``, else None."""
    address = str(address or "").strip().lower()
    domain = str(domain or "").strip().lower()
    if not domain or "@" not in address:
        return None
    local, _, host = address.rpartition("@")
    if host != domain:
        return None
    slug, plus, detail = local.partition("+")
    if not _SLUG_RE.match(slug):
        return None
    if not plus:
        return InboundAddress(slug)
    if detail.startswith("t."):
        token = detail[2:]
        return InboundAddress(slug, token=token) if token else None
    if detail and department_slug(detail) == detail:
        return InboundAddress(slug, department=detail)
    return None


def tenant_address(slug, domain):
    """Return the address a tenant receives mail at."""
    return f"{slug}@{domain}"


def token_address(slug, token, domain):
    """Return the Reply-To address that carries a reply token."""
    return f"{slug}+t.{token}@{domain}"
