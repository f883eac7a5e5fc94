"""Typed values that cross stage boundaries (beyond the signals contract)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
