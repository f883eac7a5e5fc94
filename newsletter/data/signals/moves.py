"""The week's candidate moves, tested together (one owner of the "beyond noise" rule).

Everything an issue can report as a move is one family: every skill tested for rising or
falling, the overall pay shift and every role category's pay shift. Each candidate brings a
two-sided ``z`` (the skill's log-odds z; for pay ``ln(ratio) / SE``, the SE of its Bonett–Price
interval, so that for one test "the 95% interval excludes 0" and "p < 0.05" agree) and whether
it passes its kind's practical gates (support, change, lift and the within-role check for
skills; abs change >= 2% for pay, whose >= 100 per side decides whether it is tested at all).

One Benjamini–Hochberg step-up over the whole family at q = MOVES_FDR_Q, weighted by kind
(:data:`MOVES_BUDGET`), decides which candidates are beyond noise; a move is reported when it
passes that test **and** its gates, and its p-value is below q (so a reported pay shift's 95%
interval always excludes 0). When nothing moved (the global null) the chance that the issue
reports any move at all is then at most q, whatever the number of skills tested; among the
moves reported the expected share of false ones is at most q (docs/signals.md, "Which moves are
reported").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from newsletter.data.signals.gates import MOVES_BUDGET, MOVES_FDR_Q
from newsletter.data.signals.models import MoveKind, MovesTest, MoveTest
from newsletter.data.signals.stats import bh_adjusted, two_sided_p


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate move of the week, before the joint test."""

    kind: MoveKind
    name: str
    z: float  # signed: > 0 rising / pay up
    gates: bool  # passes the practical gates of its kind


Budget = Mapping[MoveKind, float] | None
WEIGHTED = "benjamini-hochberg, weighted by kind"


def shares(candidates: Sequence[Candidate], budget: Budget) -> dict[MoveKind, float]:
    """Each kind present and its share of the error budget: ``budget`` renormalised over the
    kinds present, or (``None``) in proportion to their numbers of candidates (plain BH)."""
    sizes = Counter(c.kind for c in candidates)
    raw = {k: float(n) if budget is None else budget[k] for k, n in sorted(sizes.items())}
    total = sum(raw.values())
    return {k: v / total for k, v in raw.items()}


def weights(candidates: Sequence[Candidate], budget: Budget) -> list[float]:
    """Per-candidate BH weights: a kind's budget share split equally among its candidates,
    scaled so that the weights average 1 (all 1 when ``budget`` is None)."""
    share = shares(candidates, budget)
    sizes = Counter(c.kind for c in candidates)
    m = len(candidates)
    return [share[c.kind] * m / sizes[c.kind] for c in candidates]


def joint_test(candidates: Sequence[Candidate], budget: Budget = MOVES_BUDGET) -> MovesTest:
    """The joint test of the week's candidate moves (see the module docstring)."""
    w = weights(candidates, budget)
    p = [two_sided_p(c.z) for c in candidates]
    adjusted = bh_adjusted(p, w)
    tests = [
        MoveTest(
            kind=c.kind,
            name=c.name,
            z=c.z,
            p_value=pi,
            weight=wi,
            p_adjusted=adj,
            gates=c.gates,
            listed=adj <= MOVES_FDR_Q and pi < MOVES_FDR_Q and c.gates,
        )
        for c, pi, wi, adj in zip(candidates, p, w, adjusted, strict=True)
    ]
    tests.sort(key=lambda t: (t.p_value, t.kind, t.name))
    return MovesTest(
        procedure="benjamini-hochberg" if budget is None else WEIGHTED,
        q=MOVES_FDR_Q,
        tested=len(tests),
        tested_by_kind=dict(sorted(Counter(c.kind for c in candidates).items())),
        budget=shares(candidates, budget),
        passed=sum(t.p_adjusted <= MOVES_FDR_Q for t in tests),
        listed=sum(t.listed for t in tests),
        tests=tests,
    )


def verdicts(result: MovesTest, kind: MoveKind) -> dict[str, MoveTest]:
    """The tests of one kind by name."""
    return {t.name: t for t in result.tests if t.kind == kind}
