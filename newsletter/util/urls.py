"""Links from untrusted data (job boards, exports): the one test of a URL a reader may be
sent to, and the one place it is kept; and the one test of a public host.

:func:`safe_url` is used where a posting's URL enters the snapshot (ingest) and again where
one becomes a link (the new roles of the issue)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from newsletter.util.text import INVISIBLE

MAX_URL = 2000
#: The schemes of a link a reader may follow and of a redirect the collector follows.
WEB_SCHEMES = ("http", "https")
#: Whitespace (and the joiners INVISIBLE keeps for words): never in a URL.
_SPACE_RE = re.compile(r"[\s\u200c\u200d]")
#: A top-level domain: letters first (``0x7f.0.0.1`` and ``127.1`` are addresses in disguise).
_TLD_RE = re.compile(r"[a-z][a-z0-9-]*|xn--[a-z0-9-]+")
#: Names that only ever mean the reader's own machine or network.
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet")
#: URLs :func:`safe_url` surely keeps as they are (plain ASCII, a dotted name whose last
#: label starts with a letter, no port, no user): a column of them is checked without a
#: Python call per value; anything else gets :func:`safe_url` itself.
PLAIN_URL = r"(?i)^https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*(?:[/?#][!-~]*)?$"
#: A :data:`PLAIN_URL` whose host is still a private one (``jobs.local``).
PRIVATE_HOST = (
    r"(?i)^https?://[^/?#]*(?:"
    + "|".join(re.escape(s) for s in _PRIVATE_SUFFIXES)
    + r")(?:[/?#]|$)"
)


#: IPv6 prefixes whose last 32 bits are an IPv4 address a gateway or the host itself leads
#: to: NAT64's well-known and local-use prefixes (an IPv6-only host's gateway translates them,
#: to an address inside the network too) and IPv4-compatible addresses. (IPv4-mapped and 6to4
#: addresses :mod:`ipaddress` reads itself.)
_CARRIES_IPV4 = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96"))


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address ``address`` leads to, if it carries one."""
    if address.ipv4_mapped is not None or address.sixtofour is not None:
        return address.ipv4_mapped or address.sixtofour
    if any(address in net for net in _CARRIES_IPV4):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def public_host(host: str) -> bool:
    """Whether ``host`` (lowercase) names a machine on the public internet: a global IP
    address (an IPv6 one that carries an IPv4 address, NAT64's ``64:ff9b::a9fe:a9fe`` say,
    only when that one is global too), or a dotted name with a real top-level domain that is
    not a private one (the test of a reader's link, and of where a public job board may
    redirect the collector)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        carried = _carried_ipv4(address) if address.version == 6 else None
        return address.is_global and (carried is None or carried.is_global)
    name = host.rstrip(".")
    if "." not in name or f".{name}".endswith(_PRIVATE_SUFFIXES):
        return False
    return _TLD_RE.fullmatch(name.rsplit(".", 1)[1]) is not None


def web_url(value: object) -> str | None:
    """An absolute http(s) URL that goes where it reads, else None: no ``javascript:``,
    relative URLs, spaces or invisible characters; no user name or password
    (``https://bank.com@evil`` reads as the bank and goes to evil); no backslash before the
    path (a browser reads it as ``/``: ``https://127.0.0.1\\.jobs.example.com`` goes to
    127.0.0.1). Any host: the editor's note may link to the site's own, private in
    development; a reader's link from the data is :func:`safe_url`."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL or INVISIBLE.search(url) or _SPACE_RE.search(url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    if "@" in parts.netloc or "\\" in parts.netloc:
        return None
    return url


def safe_url(value: object) -> str | None:
    """A :func:`web_url` to a public host, else None: no address on the reader's own machine
    or network (``localhost``, ``10.0.0.5``, ``169.254.169.254``, a single-label name)."""
    url = web_url(value)
    if url is None or not public_host(urlsplit(url).hostname or ""):
        return None
    return url
