"""Signed tokens for confirm, unsubscribe and preferences links.

Tokens are HMAC-signed with ``NEWSLETTER_SECRET_KEY`` (itsdangerous) and bound to one purpose
through the salt: an unsubscribe token is refused as a preferences token and vice versa.
A token carries the subscriber's numeric id and a key stored with that subscriber's row
(never the address): the row's ``link_key`` for unsubscribe and preferences links, the open
sign-up request's ``signup_key`` for a confirm link. The signature proves the token was
issued by this site; the key ties it to one incarnation of one row, so an erasure (which
deletes the row) or a used confirmation (which clears the request) kills every link signed
for it, whatever happens to the id later. :meth:`SubscriberStore.holder
<newsletter.audience.subscribers.SubscriberStore.holder>` does that second check.

Tokens signed before keys existed (schema revision 0002) carry only the id; see
:attr:`TokenClaim.key`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from newsletter.errors import TokenError
from newsletter.util.clock import SYSTEM_CLOCK, Clock

Purpose = Literal["confirm", "unsubscribe", "preferences"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "unsubscribe", "preferences")

#: Maximum age per purpose in seconds; None = no expiry (unsubscribe links must keep
#: working long after the send: CAN-SPAM asks for at least 30 days).
#: How far a token's signing time may be ahead of this clock (a signer's clock a little ahead)
#: and still be accepted; further ahead it is refused like an expired one.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_AGE: dict[Purpose, int | None] = {
    "confirm": 7 * 24 * 3600,
    "unsubscribe": None,
    "preferences": None,
}


@dataclass(frozen=True, slots=True)
class TokenClaim:
    """What a genuine token says: whose link it is, its key, and when it was signed."""

    subscriber_id: int
    #: The row key the link was signed with; None for a link signed before keys existed.
    key: str | None
    signed_at: dt.datetime


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

    def sign(self, purpose: Purpose, subscriber_id: int, key: str) -> str:
        """A token for ``purpose`` bound to the subscriber's id and row key."""
        if not key:
            raise ValueError("a link key is required")
        return str(self._serializer(purpose).dumps({"s": subscriber_id, "k": key}))

    def key_check(self) -> str:
        """A value that tells whether two processes sign with the same key (send workers on
        other hosts compare it), without revealing the key: an HMAC of a fixed text."""
        mac = hmac.new(self.secret_key.encode(), b"newsletter.key-check.v1", hashlib.sha256)
        return mac.hexdigest()

    def verify(self, purpose: Purpose, token: str) -> TokenClaim:
        """What ``token`` claims; raises TokenError if forged, expired or misused.

        The claim still has to match a stored row (``SubscriberStore.holder``)."""
        if len(token) > 512:
            raise TokenError(f"this {purpose} link is not valid")
        try:
            data, signed_at = self._serializer(purpose).loads(
                token, max_age=MAX_AGE[purpose], return_timestamp=True
            )
        except SignatureExpired as exc:
            # a genuine token signed on a clock a little ahead of ours (another host, or
            # seconds of drift) has a negative age: accept it within FUTURE_TOLERANCE
            signed = exc.date_signed
            ahead = signed - self.clock.now() if signed is not None else None
            if ahead is not None and ahead > FUTURE_TOLERANCE:
                raise TokenError(
                    f"this {purpose} link is not valid yet (it was signed later than this "
                    "server's clock says it is now)"
                ) from None
            if ahead is None or ahead <= dt.timedelta(0):
                raise TokenError(f"this {purpose} link has expired") from None
            data, signed_at = self._serializer(purpose).loads(token, return_timestamp=True)
        except BadSignature:
            raise TokenError(f"this {purpose} link is not valid") from None
        sid = data.get("s") if isinstance(data, dict) else None
        key = data.get("k") if isinstance(data, dict) else None
        if not isinstance(sid, int) or not (key is None or isinstance(key, str)):
            raise TokenError(f"this {purpose} link is not valid")
        return TokenClaim(sid, key, signed_at)
