"""Typed values that cross stage boundaries (beyond the signals contract).

Besides the reader (:class:`Recipient` with their :class:`Preferences`) and the subscribers'
vocabulary (statuses, consent sources, suppression reasons), this module owns
the one way per-reader values are marked in a body, from template to message: *merge tags*
``%%name%%`` (:data:`MERGE_TAGS`), and the one body type, :class:`IssueContent`. The
edition writes the tags into its templates and fills them for previews; the send path keeps
them in each variant's content and the delivery layer fills them per recipient (or hands
them to a provider's native substitution).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Literal, get_args

#: Per-reader values a body may carry as merge tags. ``unsubscribe_url`` is required in
#: both parts of every list message.
MERGE_TAGS = ("greeting", "preferences_url", "unsubscribe_url")
MERGE_TAG_RE = re.compile(r"%%([a-z][a-z0-9_]*)%%")


def merge_tag(name: str) -> str:
    """The merge tag for ``name`` as it appears in a body: ``%%name%%``."""
    return f"%%{name}%%"


def fill_tags(template: str, values: Mapping[str, str], *, escape: bool) -> str:
    """Replace ``%%name%%`` by its value (HTML-escaped when ``escape``); an unknown tag is a
    bug and raises KeyError."""

    def one(m: re.Match[str]) -> str:
        v = values[m.group(1)]
        return html.escape(v, quote=True) if escape else v

    return MERGE_TAG_RE.sub(one, template)


@dataclass(frozen=True, kw_only=True)
class IssueContent:
    """A rendered body: subject, HTML and text; ``%%tag%%`` marks per-recipient values.

    One type for every stage: an issue variant shared by every reader with the same
    preferences (tags unfilled), one reader's preview (tags filled), the public archive
    page, a confirmation email.
    """

    subject: str
    html: str
    text: str
    variant: str = "default"
    preheader: str = ""

    @cached_property
    def tags(self) -> frozenset[str]:
        """Every merge tag used in either part."""
        return frozenset(MERGE_TAG_RE.findall(self.html)) | frozenset(
            MERGE_TAG_RE.findall(self.text)
        )


class Format(StrEnum):
    """The raw export formats ingest reads (``newsletter ingest --format``; the adapters:
    :mod:`newsletter.data.ingest.formats`). Here so that the command line can offer them
    without loading the data stack."""

    auto = "auto"
    csv = "csv"
    tsv = "tsv"
    jsonl = "jsonl"
    json = "json"
    parquet = "parquet"
    simplify = "simplify"
    greenhouse = "greenhouse"
    lever = "lever"
    ashby = "ashby"
    smartrecruiters = "smartrecruiters"
    workable = "workable"
    recruitee = "recruitee"


#: How a source delivers postings: ``stock`` (each snapshot is its whole open stock; the
#: default) or ``new`` (a feed of the postings first seen that week, such as search-engine
#: exports or monthly hiring threads; its open stock is what was seen within
#: ``[data] open_window_days``). Declared in ``[data.source_kinds]`` or by ``ingest --kind``.
SourceKind = Literal["stock", "new"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("stock", "new")


# --- the subscribers' vocabulary: one owner for the store's constraints, the audience
# layer's state machine and the command line's choices ----------------------------------

#: A subscriber's state (transitions: :mod:`newsletter.audience.subscribers`).
SubscriberStatus = Literal["pending", "active", "unsubscribed", "bounced", "complained"]
SUBSCRIBER_STATUSES: tuple[SubscriberStatus, ...] = get_args(SubscriberStatus)
#: How a consent was given.
ConsentSource = Literal["cli", "import", "web"]
CONSENT_SOURCES: tuple[ConsentSource, ...] = get_args(ConsentSource)
#: Why an address is on the suppression list.
SuppressionReason = Literal["unsubscribed", "bounced", "complained", "erased", "manual"]
SUPPRESSION_REASONS: tuple[SuppressionReason, ...] = get_args(SuppressionReason)


#: The place of a remote posting, where places are metros: a reader picks it among the metros
#: of their preferences to be shown remote roles (the issue's "New roles for you", the
#: spotlight's places).
REMOTE_PLACE = "Remote"


@dataclass(frozen=True, slots=True)
class Preferences:
    """What a subscriber wants to see; empty tuples mean "everything". ``metros`` may hold
    :data:`REMOTE_PLACE` for remote roles."""

    categories: tuple[str, ...] = ()
    metros: tuple[str, ...] = ()
    seniority: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return not (self.categories or self.metros or self.seniority)


@dataclass(frozen=True, slots=True)
class Recipient:
    """One addressee of an issue, with everything personalization needs."""

    subscriber_id: int
    email: str
    name: str | None = None
    preferences: Preferences = field(default_factory=Preferences)
    unsubscribe_url: str = ""
    preferences_url: str = ""
