"""HTTP details shared by every client of the project (delivery providers, job boards),
and by its server (basic-auth credentials: the admin pages and the provider webhooks)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from email.utils import parsedate_to_datetime


def retry_after_seconds(headers: Mapping[str, str], now: dt.datetime) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta or HTTP date) or ``ratelimit-reset``.

    ``headers`` must look names up case-insensitively (``httpx.Headers`` does); ``now`` is
    the caller's clock, for HTTP dates."""
    raw = headers.get("retry-after") or headers.get("ratelimit-reset")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, OverflowError):  # a year no datetime holds: no hint
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


#: Longest ``Authorization`` value looked at (credentials are far shorter).
AUTHORIZATION_MAX = 1024


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """User name and password of an ``Authorization: Basic ...`` header; None when there is
    none or it is not one: another scheme, too long, not base64 (anything past ASCII
    included: a client may send any byte, which the server reads as latin-1), no ``:``, or
    not UTF-8."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not value or len(value) > AUTHORIZATION_MAX:
        return None
    try:
        decoded = base64.b64decode(value.strip().encode("ascii"), validate=True).decode("utf-8")
    except (UnicodeError, binascii.Error):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None
