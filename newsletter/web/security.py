"""Security headers on every response of the web app, error pages and static files included.

:class:`SecurityHeaders` wraps the whole ASGI app (outside Starlette's own error handling),
so ``/``, the archive, 404/405 answers and 500 pages all carry them. Tokens live in URLs, so
``Referrer-Policy: no-referrer`` keeps them out of other sites' logs; the pages need no
script, font or frame, which the Content-Security-Policy says; nothing but the archive may
be cached. A redirect names a path, never the host a request claims (:func:`local_location`).

:func:`cross_site_refusal` is the forms' guard against cross-site requests (CSRF): a form
POST is refused when the browser says it came from another site (``Sec-Fetch-Site:
cross-site``) or when its ``Origin`` is neither ``[newsletter] base_url``'s origin nor the
request's own host. Requests without either header (curl, old browsers) pass, and so does
``Origin: null`` without ``Sec-Fetch-Site: cross-site``: under ``no-referrer`` browsers send
``null`` from this site's own pages. The guard is about browsers carrying a visitor to a
form they did not mean to send. The app applies it to
every form POST but the RFC 8058 one-click unsubscribe (mail providers post it from their
own sites; the signed token is its whole authority) and the provider webhooks.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsletter.delivery.models import wire_url

SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
#: Paths whose responses may be cached (the public archive); everything else is no-store.
CACHEABLE_PREFIX = "/archive/"


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` (and ``Cache-Control: no-store``
    outside the archive) to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not cacheable:
                    headers.setdefault("Cache-Control", "no-store")
                if "location" in headers:
                    headers["Location"] = local_location(headers["location"])
            await send(message)

        await self.app(scope, receive, send_with_headers)


def local_location(location: str) -> str:
    """A redirect's ``Location`` as a path on this site (the app redirects nowhere else):
    Starlette writes its own redirects (``/archive`` to ``/archive/``, a trailing slash
    dropped) as absolute URLs built from the request's ``Host`` header, which any client
    sets (``Location: http://evil.example/archive/``, kept by a cache in front for everyone).
    A path that would read as another host (``//evil.example``) keeps one slash."""
    parts = urlsplit(location)
    if not (parts.scheme or parts.netloc):
        return location
    path = "/" + parts.path.lstrip("/")
    return path + (f"?{parts.query}" if parts.query else "")


#: The prefix an IPv6 client holds (one /64 per host or home): the unit of the limits.
IPV6_NETWORK_BITS = 64


def client_network(host: str) -> str:
    """The network a client's address stands for, as the sign-up and admin login limits
    count it: an IPv4 address itself, an IPv6 address its /64 (a client holds 2^64 of them:
    counted one by one, there would be no limit, and the limiter would keep each); anything
    else as it is."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, IPV6_NETWORK_BITS), strict=False))


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased, default ports left out (as a
    browser's ``Origin`` header writes it); '' for ``null`` or what is no URL (an unclosed
    or invalid ``[...]`` IPv6 literal, a port out of range: the header is the client's)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:  # "null" (an opaque origin), or not a URL
        return ""
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def cross_site_refusal(request: Request, base_url: str) -> str | None:
    """Why a state-changing request looks cross-site (None when it does not): the browser's
    ``Sec-Fetch-Site`` says ``cross-site``, or ``Origin`` is present, not ``null``, and is
    neither the configured base URL's origin nor the request's own host (any scheme: a TLS
    proxy in front may speak plain HTTP to the app)."""
    if request.headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        return "Sec-Fetch-Site: cross-site"
    origin = request.headers.get("origin")
    if origin is None or origin.strip() == "null":
        # "null": no origin to compare, which is what browsers send from this site's own
        # pages too, as they are served with Referrer-Policy: no-referrer (a browser that
        # says null for another site's page, a sandboxed frame say, says cross-site above)
        return None
    seen = origin_of(origin)
    host = request.headers.get("host", "").strip()
    # a browser writes an internationalized host in its IDNA form (xn--...), as headers do
    allowed = {origin_of(wire_url(base_url))}
    if host:
        allowed |= {origin_of(f"http://{host}"), origin_of(f"https://{host}")}
    if seen and seen in allowed:
        return None
    return f"Origin {origin[:100]!r} is not this site"
