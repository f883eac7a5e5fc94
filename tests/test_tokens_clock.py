"""Confirm links signed on a clock a little ahead of the verifier's are accepted."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.audience.tokens import TokenSigner
from newsletter.errors import TokenError
from newsletter.util.clock import FixedClock

KEY = "k" * 40
AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("ahead", [dt.timedelta(seconds=2), dt.timedelta(minutes=5)])
def test_a_token_signed_seconds_ahead_verifies(ahead: dt.timedelta) -> None:
    token = TokenSigner(KEY, clock=FixedClock(AT + ahead)).sign("confirm", 7, "row-key")
    claim = TokenSigner(KEY, clock=FixedClock(AT)).verify("confirm", token)
    assert (claim.subscriber_id, claim.key) == (7, "row-key")


def test_a_token_from_further_ahead_or_too_old_is_refused() -> None:
    far = TokenSigner(KEY, clock=FixedClock(AT + dt.timedelta(hours=1))).sign("confirm", 7, "k")
    with pytest.raises(TokenError, match="expired"):
        TokenSigner(KEY, clock=FixedClock(AT)).verify("confirm", far)
    old = TokenSigner(KEY, clock=FixedClock(AT - dt.timedelta(days=8))).sign("confirm", 7, "k")
    with pytest.raises(TokenError, match="expired"):
        TokenSigner(KEY, clock=FixedClock(AT)).verify("confirm", old)
    forged = TokenSigner("x" * 40, clock=FixedClock(AT)).sign("confirm", 7, "k")
    with pytest.raises(TokenError, match="not valid"):
        TokenSigner(KEY, clock=FixedClock(AT)).verify("confirm", forged)
