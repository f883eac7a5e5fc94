"""Optional DKIM signing (dkimpy) of wire bytes, for the SMTP and file paths.

The one-click pair ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` is always in ``h=``:
receivers must not offer one-click unsubscribe when they are not covered (RFC 8058 §4).
"""

from __future__ import annotations

from dataclasses import dataclass

import dkim

from newsletter.config import DkimSettings
from newsletter.errors import ConfigError

#: Headers listed in ``h=`` (absent ones are signed as absent, so they cannot be added).
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)


@dataclass(frozen=True, slots=True)
class DkimSigner:
    """Signs messages with one selector, domain and RSA/Ed25519 private key (PEM)."""

    selector: str
    domain: str
    private_key: bytes

    @classmethod
    def from_settings(cls, settings: DkimSettings) -> DkimSigner | None:
        """A signer when selector, domain and key_file are all set; None when none is."""
        values = {
            "selector": settings.selector,
            "domain": settings.domain,
            "key_file": settings.key_file,
        }
        missing = [k for k, v in values.items() if not v]
        if len(missing) == len(values):
            return None
        if missing:
            raise ConfigError(
                [f"delivery.dkim.{k}: needed when DKIM signing is configured" for k in missing]
            )
        assert settings.key_file and settings.selector and settings.domain
        try:
            key = settings.key_file.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"delivery.dkim.key_file: cannot read {settings.key_file}: {exc.strerror}"
            ) from None
        return cls(settings.selector, settings.domain, key)

    def sign(self, message: bytes) -> bytes:
        """``message`` with a ``DKIM-Signature`` header in front (relaxed/relaxed)."""
        header = dkim.sign(
            message,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h.encode("ascii") for h in SIGNED_HEADERS],
        )
        return bytes(header) + message
