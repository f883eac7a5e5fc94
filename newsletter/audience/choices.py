"""The values a reader can pick (role categories, metros, seniority levels): the taxonomy the
ingest classifies postings into, and the check every way in applies to a picked value.

A picked value the issue never uses ("Data Scientst", "Seatle") would match nothing, and the
reader would get empty sections every week without knowing why: the command line, the list
import and the preview refuse it, naming the closest known value. Case does not matter (a
picked value is stored in the taxonomy's own spelling).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from newsletter.data.ingest.rules import Rules
from newsletter.data.snapshots import SENIORITY_LEVELS
from newsletter.errors import SubscriberError
from newsletter.models import REMOTE_PLACE, Preferences

#: Everyday words for the seniority levels (a reader writes "junior", the issue says entry).
LEVEL_WORDS = {
    "junior": "entry", "jr": "entry", "graduate": "entry", "new grad": "entry",
    "intern": "entry", "entry-level": "entry", "entry level": "entry",
    "intermediate": "mid", "mid-level": "mid", "mid level": "mid", "middle": "mid",
    "sr": "senior", "senior-level": "senior", "lead": "senior", "principal": "senior",
    "staff": "senior",  # as the titles are classified (rules/seniority.yaml)
    "director": "leadership", "executive": "leadership", "head": "leadership",
    "manager": "leadership",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PreferenceOptions:
    """The choices offered to a reader (the preferences page lists them in this order)."""

    categories: tuple[str, ...]
    metros: tuple[str, ...]
    seniority: tuple[str, ...]

    @classmethod
    def from_rules(cls, rules: Rules) -> PreferenceOptions:
        """The taxonomy the ingest classifies into: role categories (the catch-all last),
        metros in the order of the rules file (largest first) after ``Remote`` (remote roles
        in the issue's new-role picks), seniority levels."""
        default = rules.categories.default
        # a category may hold rules at two places of the order (Data Scientist's operations
        # research before the research rules): offered once
        names = {c.name: None for c in rules.categories.categories if c.name != default}
        return cls(
            categories=(*sorted(names), default),
            metros=(REMOTE_PLACE, *(m.name for m in rules.metros.metros)),
            seniority=SENIORITY_LEVELS,
        )

    def checked(self, prefs: Preferences) -> Preferences:
        """``prefs`` in the taxonomy's spelling; SubscriberError naming every value the issue
        never uses, with the closest known one."""
        problems: list[str] = []
        levels = tuple(LEVEL_WORDS.get(v.casefold(), v) for v in prefs.seniority)
        out = Preferences(
            categories=_known(prefs.categories, self.categories, "role category", problems),
            metros=_known(prefs.metros, self.metros, "metro", problems),
            seniority=_known(levels, self.seniority, "seniority level", problems),
        )
        if problems:
            raise SubscriberError("; ".join(problems))
        return out


def _known(
    picked: Sequence[str], options: Sequence[str], kind: str, problems: list[str]
) -> tuple[str, ...]:
    by_key = {o.casefold(): o for o in options}
    out: list[str] = []
    for value in picked:
        known = by_key.get(value.casefold())
        if known is not None:
            out.append(known)
            continue
        close = difflib.get_close_matches(value.casefold(), list(by_key), n=1, cutoff=0.6)
        hint = f" (did you mean {by_key[close[0]]!r}?)" if close else ""
        problems.append(f"{value!r} is not a {kind} the issue knows{hint}")
    return tuple(dict.fromkeys(out))
