"""Shared base of the senders that transmit whole MIME messages (file, SMTP, memory)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from newsletter.delivery.base import Sender
from newsletter.delivery.dkim import DkimSigner
from newsletter.delivery.message import MessageFactory, format_date
from newsletter.delivery.models import OutgoingMessage

RespT = TypeVar("RespT")


@dataclass(frozen=True, slots=True)
class MimeCall:
    """One message and its wire bytes (signed when DKIM is configured)."""

    message: OutgoingMessage
    data: bytes


class MimeSender(Sender[MimeCall, RespT]):
    """Builds wire bytes with the fast :class:`MessageFactory`, one call per message."""

    @classmethod
    def per_call(cls) -> int:
        return 1

    def __init__(
        self,
        *,
        factory: MessageFactory | None = None,
        signer: DkimSigner | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.factory = factory or MessageFactory()
        self.signer = signer

    def build_calls(self, messages: Sequence[OutgoingMessage]) -> list[MimeCall]:
        date = format_date(self.clock.now())
        calls = []
        for m in messages:
            data = self.factory.render(m, date=date)
            if self.signer:
                data = self.signer.sign(data)
            calls.append(MimeCall(m, data))
        return calls

    def call_messages(self, call: MimeCall) -> Sequence[OutgoingMessage]:
        return (call.message,)
