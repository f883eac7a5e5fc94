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


def public_host(host: str) -> bool:
    """Whether ``host`` (lowercase) names a machine on the public internet: a global IP
    address, or a dotted name with a real top-level domain that is not a private one (the
    test of a reader's link, and of where a public job board may redirect the collector)."""
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        pass
    name = host.rstrip(".")
    if "." not in name or f".{name}".endswith(_PRIVATE_SUFFIXES):
        return False
    return _TLD_RE.fullmatch(name.rsplit(".", 1)[1]) is not None


def safe_url(value: object) -> str | None:
    """An absolute http(s) URL to a public host, else None: no ``javascript:``, relative
    URLs, spaces or invisible characters; no user name or password (``https://bank.com@evil``
    reads as the bank and goes to evil); no backslash before the path (a browser reads it as
    ``/``: ``https://127.0.0.1\\.jobs.example.com`` goes to 127.0.0.1); no address on the
    reader's own machine or network (``localhost``, ``10.0.0.5``, ``169.254.169.254``, a
    single-label name)."""
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
    if "@" in parts.netloc or "\\" in parts.netloc or not public_host(parts.hostname):
        return None
    return url
