"""The ``memory`` provider: an in-process outbox for tests and ``--dry-run``.

It builds every message's wire bytes exactly as the SMTP path would (so a dry run proves
the messages can be built) and keeps them in :attr:`MemorySender.outbox`. Tests can prime
it: ``script={"a@x.org": [SendStatus.RETRYABLE, SendStatus.SENT]}`` makes the first
attempt for that address retryable and the second succeed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

from newsletter.config import DeliverySettings, Secrets
from newsletter.delivery._mime import MimeCall, MimeSender
from newsletter.delivery.base import sender_kwargs
from newsletter.delivery.models import OutgoingMessage, SendResult, SendStatus


class MemorySender(MimeSender[SendStatus]):
    name = "memory"
    batch_size = 500

    def __init__(
        self, *, script: Mapping[str, Sequence[SendStatus]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._script = {k: list(v) for k, v in (script or {}).items()}
        #: Every accepted message with its wire bytes, in send order.
        self.outbox: list[tuple[OutgoingMessage, bytes]] = []
        #: Every call made (including failed attempts), for assertions.
        self.calls: list[OutgoingMessage] = []

    @classmethod
    def from_settings(cls, settings: DeliverySettings, secrets: Secrets, **deps: Any) -> Self:
        return cls(script=deps.get("script"), **sender_kwargs(settings, deps))

    def post(self, call: MimeCall) -> SendStatus:
        self.calls.append(call.message)
        queue = self._script.get(call.message.to.email)
        status = queue.pop(0) if queue else SendStatus.SENT
        if status is SendStatus.SENT:
            self.outbox.append((call.message, call.data))
        return status

    def parse(self, call: MimeCall, response: SendStatus) -> list[SendResult]:
        pid = f"memory-{len(self.outbox)}" if response is SendStatus.SENT else None
        reason = "" if response is SendStatus.SENT else f"scripted {response.value}"
        return [SendResult.of(call.message, response, provider_message_id=pid, reason=reason)]
