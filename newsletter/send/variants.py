"""The bridge from a compiled issue to delivery variants: one IssueContent per preference set.

A :class:`~newsletter.edition.issue.CompiledIssue` personalizes in two steps: rows are filtered per
:class:`~newsletter.models.Preferences`, then per-subscriber slots are filled (greeting,
preferences and unsubscribe links). :class:`IssueVariants` does the first step once per
distinct preference set and turns every slot into a ``%%merge%%`` tag, so the fast
:class:`~newsletter.delivery.message.MessageFactory` encodes each variant once and splices
only the per-recipient values. :meth:`IssueVariants.message` fills in those values for one
recipient; the result reads exactly like ``compiled.personalize(recipient)`` (the tests parse
both and compare).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from newsletter.config import Config
from newsletter.delivery.compose import compose
from newsletter.delivery.models import IssueContent, OutgoingMessage, merge_tag
from newsletter.edition.issue import CompiledIssue
from newsletter.edition.personalize import greeting, slot_values
from newsletter.errors import RenderError
from newsletter.models import Preferences, Recipient

#: Merge tags a variant may carry; anything else in the content is a bug (fail closed).
MERGE_TAGS = frozenset({"greeting", "preferences_url", "unsubscribe_url"})


def _tag_recipient() -> Recipient:
    """A stand-in whose links are merge tags, so slot values become tags too."""
    return Recipient(
        subscriber_id=0,
        email="merge@example.invalid",
        unsubscribe_url=merge_tag("unsubscribe_url"),
        preferences_url=merge_tag("preferences_url"),
    )


def variant_name(prefs: Preferences) -> str:
    """A short stable name of a preference set (``default`` for no picks)."""
    if prefs.is_default:
        return "default"
    raw = repr((prefs.categories, prefs.metros, prefs.seniority)).encode("utf-8")
    return "prefs-" + hashlib.sha256(raw).hexdigest()[:12]


@dataclass
class IssueVariants:
    """Delivery content of one issue, one variant per preference set (cached)."""

    compiled: CompiledIssue
    config: Config
    subject: str | None = None
    _cache: dict[Preferences, IssueContent] = field(default_factory=dict)

    def content(self, prefs: Preferences) -> IssueContent:
        """The variant for ``prefs``: rows filtered once, slots as ``%%merge%%`` tags."""
        cached = self._cache.get(prefs)
        if cached is not None:
            return cached
        c = self.compiled
        urls = {"subscribe_url": c.subscribe_url, "archive_index_url": c.archive_index_url}
        stand_in = _tag_recipient()
        values = {}
        for html_body, template in ((True, c.html_template), (False, c.text_template)):
            slots = slot_values(stand_in, html_body=html_body, **urls)
            slots["greeting"] = merge_tag("greeting")
            values[html_body] = template.fill(prefs, slots)
        content = IssueContent(
            subject=self.subject or c.subject,
            html=values[True],
            text=values[False],
            variant=variant_name(prefs),
        )
        unknown = content.tags - MERGE_TAGS
        if unknown:
            raise RenderError(
                f"the issue text contains %%…%% sequences that look like merge tags: "
                f"{', '.join(sorted(unknown))}"
            )
        self._cache[prefs] = content
        return content

    @property
    def count(self) -> int:
        """Variants built so far."""
        return len(self._cache)

    def message(
        self, recipient: Recipient, *, issue_key: str, message_id: str | None = None
    ) -> OutgoingMessage:
        """The outgoing message for ``recipient`` (reuse the ledger's ``message_id``)."""
        return compose(
            self.config,
            self.content(recipient.preferences),
            recipient,
            issue_key=issue_key,
            message_id=message_id,
            merge={"greeting": greeting(recipient)},
        )
