"""Typed values that cross stage boundaries (beyond the signals contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: How a source delivers postings: ``stock`` (each snapshot is its whole open stock; the
#: default) or ``new`` (a feed of the postings first seen that week, such as search-engine
#: exports or monthly hiring threads; its open stock is what was seen within
#: ``[data] open_window_days``). Declared in ``[data.source_kinds]`` or by ``ingest --kind``.
SourceKind = Literal["stock", "new"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("stock", "new")


@dataclass(frozen=True, slots=True)
class Preferences:
    """What a subscriber wants to see; empty tuples mean "everything"."""

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
