"""The "New roles for you" section as the issue prints it: the section's fixed parts and
each picked posting's line (the picks themselves are per reader: :mod:`newsletter.edition.slots`
fills them in; the rules live in :mod:`newsletter.data.newroles`)."""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.data.newroles import PICKS, NewRole, NewRoles
from newsletter.edition.formatting import Formatter
from newsletter.edition.render import breakable

TITLE_PICKED = "New roles for you"
TITLE_BEST = "Best-paid new roles this week"


@dataclass(frozen=True, slots=True)
class RoleLine:
    """One picked posting as the issue prints it."""

    title: str
    company: str
    place: str
    pay: str
    url: str | None

    @property
    def where(self) -> str:
        return breakable(" · ".join(x for x in (self.company, self.place) if x))


#: A picked posting's kind when it is not full-time, as its line names it.
KIND_WORDS = {
    "contract": "contract",
    "temporary": "temporary",
    "part_time": "part-time",
    "internship": "internship",
}


def pay_text(role: NewRole, f: Formatter) -> str:
    """Disclosed pay in compact money: ``$180k–$220k``, ``from $150k``, ``up to $190k``;
    another currency by its code; a posting that is not full-time says its kind
    (``$125k–$146k · contract``: a contract rate annualised at 2,080 hours is not a salary)."""
    span = _span(role, f)
    kind = KIND_WORDS.get(role.employment or "")
    return " · ".join(x for x in (span, kind) if x)


def _span(role: NewRole, f: Formatter) -> str:
    lo, hi = role.pay_min, role.pay_max
    if lo is None and hi is None:
        return ""
    show = f.money_k if role.currency == "USD" else f.compact
    a, b = show(lo) if lo else "", show(hi) if hi else ""
    # one end of a range says which it is ("$150k+", "up to $190k"): a bare figure would read
    # as pay the posting gave
    span = a if a == b else (f"from {a}" if not b else (f"up to {b}" if not a else f"{a}–{b}"))
    return span if role.currency == "USD" else f"{span} {role.currency or ''}".strip()


def role_line(role: NewRole, f: Formatter) -> RoleLine:
    """The posting's line; its title, company and place are breakable in the HTML."""
    return RoleLine(
        breakable(role.title),
        breakable(role.company),
        breakable(role.place),
        pay_text(role, f),
        role.url,
    )


@dataclass(frozen=True, slots=True)
class NewRolesView:
    """The section's fixed parts (the rows and the title are per audience)."""

    candidates: int
    note: str


def new_roles_view(roles: NewRoles, f: Formatter, new: int | None = None) -> NewRolesView | None:
    """None when there is nothing to pick from (one snapshot, or no posting first seen).

    ``new``: the week's new postings less reposts (the "New this week" figure); when the
    candidates are fewer, the note says which the picks leave out, so that its count does
    not read as a second, contradicting count of the week's new postings."""
    if not roles.count:
        return None
    pool = f"{f.counted(roles.count, 'posting')} first seen this week"
    if new is not None and roles.count < new:
        pool = (
            f"{f.count(roles.count)} of this week's {f.count(new)} new postings (the others "
            "were posted or open before last week's snapshot, or lack a title or company)"
        )
    return NewRolesView(
        candidates=roles.count,
        note=(
            f"Picked from {pool}: disclosed pay first, then the newest, one per company, "
            f"{PICKS} at most."
        ),
    )
