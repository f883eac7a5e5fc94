"""The ``file`` provider: each message becomes an ``.eml`` file in the outbox folder.

Files land in ``<outbox_dir>/<issue_key>/<subscriber_id>-<message id>.eml``, written to a
temporary name and renamed, so a crash never leaves half a message. Sending the same
message again (same Message-ID) rewrites the same file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Self

from newsletter.config import DeliverySettings, Secrets
from newsletter.delivery._mime import MimeCall, MimeSender
from newsletter.delivery.base import sender_kwargs
from newsletter.delivery.dkim import DkimSigner
from newsletter.delivery.models import SendResult, SendStatus
from newsletter.util.files import atomic_write_bytes

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileSender(MimeSender[Path]):
    name = "file"
    batch_size = 500

    def __init__(self, outbox_dir: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outbox_dir = outbox_dir

    @classmethod
    def from_settings(cls, settings: DeliverySettings, secrets: Secrets, **deps: Any) -> Self:
        return cls(
            settings.outbox_dir,
            signer=DkimSigner.from_settings(settings.dkim),
            **sender_kwargs(settings, deps),
        )

    def path_for(self, call: MimeCall) -> Path:
        m = call.message
        local = _UNSAFE.sub("_", m.message_id.strip("<>").split("@", 1)[0])
        return self.outbox_dir / _UNSAFE.sub("_", m.issue_key) / f"{m.subscriber_id}-{local}.eml"

    def post(self, call: MimeCall) -> Path:
        path = self.path_for(call)
        atomic_write_bytes(path, call.data)
        return path

    def parse(self, call: MimeCall, response: Path) -> list[SendResult]:
        return [
            SendResult.of(
                call.message,
                SendStatus.SENT,
                provider_message_id=str(response.relative_to(self.outbox_dir)),
            )
        ]
