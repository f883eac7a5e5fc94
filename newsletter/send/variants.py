"""From a compiled issue to outgoing messages: one content per preference set, one message
per recipient.

A :class:`~newsletter.edition.issue.CompiledIssue` gives the variant of each preference set
with its ``%%merge%%`` tags unfilled (:meth:`~newsletter.edition.issue.CompiledIssue.content`);
:meth:`IssueVariants.message` pairs it with one recipient and that recipient's merge values
(:func:`~newsletter.edition.personalize.merge_values`, the same values a preview fills in), so
the fast :class:`~newsletter.delivery.message.MessageFactory` encodes each variant once and
splices only the per-recipient values. A message reads exactly like
``compiled.personalize(recipient)`` (the tests parse both and compare).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from newsletter.config import NewsletterSettings
from newsletter.delivery.compose import compose
from newsletter.delivery.models import OutgoingMessage
from newsletter.edition.issue import CompiledIssue
from newsletter.edition.personalize import merge_values
from newsletter.models import IssueContent, Preferences, Recipient


@dataclass(frozen=True)
class IssueVariants:
    """Delivery content of one issue (one variant per preference set, cached by the issue)."""

    compiled: CompiledIssue
    settings: NewsletterSettings
    subject: str | None = None

    def content(self, prefs: Preferences) -> IssueContent:
        """The variant for ``prefs``: rows filtered once, per-reader values as merge tags."""
        content = self.compiled.content(prefs)
        return replace(content, subject=self.subject) if self.subject else content

    @property
    def count(self) -> int:
        """Variants built so far."""
        return self.compiled.variant_count

    def message(
        self, recipient: Recipient, *, issue_key: str, message_id: str | None = None
    ) -> OutgoingMessage:
        """The outgoing message for ``recipient`` (reuse the ledger's ``message_id``)."""
        values = merge_values(recipient)
        values.pop("unsubscribe_url", None)  # the message carries it (headers and both parts)
        return compose(
            self.settings,
            self.content(recipient.preferences),
            recipient,
            issue_key=issue_key,
            message_id=message_id,
            merge=values,
        )
