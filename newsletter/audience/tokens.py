"""Signed tokens for confirm, unsubscribe and preferences links.

Tokens are HMAC-signed with ``NEWSLETTER_SECRET_KEY`` (itsdangerous), carry the subscriber's
numeric id and nothing else (never the address), and are bound to one purpose through the
salt: an unsubscribe token is refused as a preferences token and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from newsletter.errors import TokenError

Purpose = Literal["confirm", "unsubscribe", "preferences"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "unsubscribe", "preferences")

#: Maximum age per purpose in seconds; None = no expiry (unsubscribe links must keep
#: working long after the send: CAN-SPAM asks for at least 30 days).
MAX_AGE: dict[Purpose, int | None] = {
    "confirm": 7 * 24 * 3600,
    "unsubscribe": None,
    "preferences": None,
}


@dataclass(frozen=True, slots=True)
class TokenSigner:
    secret_key: str

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=f"newsletter.{purpose}.v1")

    def sign(self, purpose: Purpose, subscriber_id: int) -> str:
        return str(self._serializer(purpose).dumps({"s": subscriber_id}))

    def verify(self, purpose: Purpose, token: str) -> int:
        """The subscriber id in ``token``; raises TokenError if forged, expired or misused."""
        try:
            data = self._serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
        except SignatureExpired:
            raise TokenError(f"this {purpose} link has expired") from None
        except BadSignature:
            raise TokenError(f"this {purpose} link is not valid") from None
        sid = data.get("s") if isinstance(data, dict) else None
        if not isinstance(sid, int):
            raise TokenError(f"this {purpose} link is not valid")
        return sid
