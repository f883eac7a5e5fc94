"""Signed tokens for confirm, unsubscribe and preferences links.

Tokens are HMAC-signed with ``NEWSLETTER_SECRET_KEY`` (itsdangerous), carry the subscriber's
numeric id and nothing else (never the address), and are bound to one purpose through the
salt: an unsubscribe token is refused as a preferences token and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from newsletter.errors import TokenError
from newsletter.util.clock import SYSTEM_CLOCK, Clock

Purpose = Literal["confirm", "unsubscribe", "preferences"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "unsubscribe", "preferences")

#: Maximum age per purpose in seconds; None = no expiry (unsubscribe links must keep
#: working long after the send: CAN-SPAM asks for at least 30 days).
MAX_AGE: dict[Purpose, int | None] = {
    "confirm": 7 * 24 * 3600,
    "unsubscribe": None,
    "preferences": None,
}


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer, reading "now" from the injected clock."""

    clock: Clock = SYSTEM_CLOCK

    def get_timestamp(self) -> int:
        return int(self.clock.now().timestamp())


@dataclass(frozen=True)
class TokenSigner:
    secret_key: str
    #: "Now" for the signing time and the expiry check of confirm links.
    clock: Clock = field(default=SYSTEM_CLOCK, compare=False)
    _serializers: dict[str, URLSafeTimedSerializer] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        found = self._serializers.get(purpose)
        if found is None:
            signer = type("Signer", (_ClockSigner,), {"clock": self.clock})
            found = self._serializers[purpose] = URLSafeTimedSerializer(
                self.secret_key, salt=f"newsletter.{purpose}.v1", signer=signer
            )
        return found

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
