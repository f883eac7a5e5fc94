"""One error family for the whole project.

Every error the tool raises on purpose derives from :class:`NewsletterError`, carries a
plain-English one-line message, and (where a builtin fits) also derives from the
semantically right builtin so callers can catch either::

    NewsletterError
    ├── ConfigError            (ValueError)   config.toml / environment problems, all listed at once
    ├── SecretMissingError     (LookupError)  a secret environment variable is not set
    ├── SnapshotError          (ValueError)   a snapshot is missing, unreadable or off-schema
    │   └── SnapshotNotFoundError (LookupError)
    ├── IngestError            (ValueError)   a raw export cannot be read / mapped
    ├── CollectError           (RuntimeError) the sources file is invalid, or no board answered
    ├── RenderError            (RuntimeError) templates or MJML failed, or the output broke a budget
    ├── SubscriberError        (ValueError)   bad address, unknown subscriber, bad transition
    │   └── SubscriberNotFoundError (LookupError)
    ├── StoreError             (RuntimeError) the database cannot be opened or migrated
    ├── TokenError             (ValueError)   forged, expired or cross-purpose signed token
    ├── DeliveryError          (RuntimeError) provider failures (see newsletter.delivery)
    │   ├── UnknownProviderError (LookupError) no sender registered under that name
    │   └── ProviderError       a provider refused the whole call (credentials, account, payload)
    ├── WebhookError           (ValueError)   a provider webhook is unsigned, forged or malformed
    │   └── WebhookAuthError    its secret or signature is missing or wrong
    ├── ComplianceError        (RuntimeError) a pre-send check failed; nothing was sent
    ├── GuardError             (RuntimeError) a send guard refused (stale or missing data)
    ├── UsageError             (ValueError)   a command-line value is malformed (a week, a date)
    └── OutputPathError        (ValueError)   a path to write is no folder (a file) or no file

The CLI catches ``NewsletterError`` at the top and prints ``error: <message>`` on one line
with a non-zero exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsletter.delivery.models import SendResult


class NewsletterError(Exception):
    """Root of every error the tool raises deliberately."""

    exit_code: int = 1


class ConfigError(NewsletterError, ValueError):
    """Configuration is missing or invalid. The message lists every problem found."""

    exit_code = 2

    def __init__(self, problems: list[str] | str, *, source: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        where = f" in {source}" if source else ""
        if len(self.problems) == 1:
            msg = f"configuration problem{where}: {self.problems[0]}"
        else:
            msg = f"{len(self.problems)} configuration problems{where}: " + "; ".join(self.problems)
        super().__init__(msg)


class SecretMissingError(NewsletterError, LookupError):
    """A secret that must come from the environment is not set."""

    exit_code = 2

    def __init__(self, variable: str, purpose: str) -> None:
        self.variable = variable
        super().__init__(f"environment variable {variable} is not set; it is needed {purpose}")


class SnapshotError(NewsletterError, ValueError):
    """A snapshot is unreadable or does not follow the canonical schema."""


class SnapshotNotFoundError(SnapshotError, LookupError):
    """No snapshot for the requested week (or no snapshots at all)."""


class IngestError(NewsletterError, ValueError):
    """A raw export could not be read or mapped to the canonical schema."""


class CollectError(NewsletterError, RuntimeError):
    """Collecting from the job boards cannot go on: a bad sources file, or no board answered."""


class RenderError(NewsletterError, RuntimeError):
    """Rendering failed: template error, MJML error, unknown mj- tag, or size budget."""


class SubscriberError(NewsletterError, ValueError):
    """An invalid address, unknown status or forbidden subscriber state change."""


class SubscriberNotFoundError(SubscriberError, LookupError):
    """No subscriber with that address."""


class StoreError(NewsletterError, RuntimeError):
    """The subscriber database cannot be opened, reached or migrated."""


class TokenError(NewsletterError, ValueError):
    """A signed token is forged, expired or meant for another purpose."""


class DeliveryError(NewsletterError, RuntimeError):
    """A delivery provider failed in a way the send loop cannot absorb."""


class UnknownProviderError(DeliveryError, LookupError):
    """``[delivery] provider`` names no registered sender."""


class ProviderError(DeliveryError):
    """A provider refused a whole call for a reason retrying cannot fix.

    Bad credentials, an unverified sender, a suspended account or a malformed payload: the
    send must stop rather than mark every recipient bounced. ``results`` holds the per-
    recipient results already confirmed in the same batch (record them before stopping).
    ``resend`` holds failures returned earlier that the refusal shows were the sending
    side's, not the readers' (an SMTP reply every message got alike): the ledger puts them
    back to be sent by the next run.
    """

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        results: tuple[SendResult, ...] = (),
        resend: tuple[SendResult, ...] = (),
    ) -> None:
        self.provider = provider
        self.status = status
        self.body = body
        self.results = results
        self.resend = resend
        code = f" (HTTP {status})" if status else ""
        super().__init__(f"{provider}{code}: {message}")


class WebhookError(NewsletterError, ValueError):
    """A provider webhook failed its signature/secret check or is not the documented shape."""


class WebhookAuthError(WebhookError):
    """A provider webhook carries no valid secret or signature."""


class ComplianceError(NewsletterError, RuntimeError):
    """A pre-send compliance check failed; nothing was sent."""


class GuardError(NewsletterError, RuntimeError):
    """A send guard refused to run (missing or stale snapshot, issue already sent...)."""


class UsageError(NewsletterError, ValueError):
    """A value given on the command line (or to the library) is malformed."""

    exit_code = 2


class OutputPathError(NewsletterError, ValueError):
    """A path to write to cannot be one: a part of it is a file where a folder must be, or
    it is a folder where a file must be (exit 1, as a path the system refuses)."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when the message is empty),
    for wrapping a library error into one of ours on a single line."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
