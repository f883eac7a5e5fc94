"""Publication gates, in one place (see docs/signals.md and the signals guide)."""

from __future__ import annotations

from newsletter.data.signals.models import MoveKind

MEDIAN_MIN_N = 30
P75_MIN_N = 40
P90_MIN_N = 100
PCT_CHANGE_MIN_BASE = 20
SKILL_MIN_POSTINGS = 10
COMPANY_MIN_OPEN = 5
METRO_MIN_OPEN = 30


def gated(value: float | None, n: int, minimum: int) -> float | None:
    """``value`` when its sample size reaches the gate, else ``None``."""
    return value if value is not None and n >= minimum else None


def pct_change(now: int, before: int | None) -> float | None:
    """``now / before - 1``, or ``None`` unless both counts reach PCT_CHANGE_MIN_BASE."""
    if before is None or min(now, before) < PCT_CHANGE_MIN_BASE:
        return None
    return now / before - 1


#: Pay shift (S8): n per side, the minimum absolute relative change, the window length.
SHIFT_MIN_N = 100
SHIFT_MIN_ABS_CHANGE = 0.02
SHIFT_WINDOW_WEEKS = 4
#: Like-for-like pay cells need this many paid new postings on both sides.
LFL_MIN_CELL_N = 20
#: ...and those cells must hold at least this share of the paid new postings of both windows.
LFL_MIN_COVERAGE = 0.5
#: Rising/falling skills (S9, guide 3.3; tested by the joint test of moves, below).
SKILL_MIN_SHARE_CHANGE = 0.005
SKILL_MIN_LIFT = 1.2
SKILL_CMH_Z = 1.96
SKILL_BASELINE_WEEKS = 4
SKILL_BACKGROUND_WEEKS = 12
SKILL_PRIOR_A0 = 100.0
SKILL_EMPIRICAL_PRIOR_WEEKS = 8
#: Data-health drop warning: a source or company with at least this many postings that
#: loses more than this fraction of them in one week.
DROP_MIN_POSTINGS = 20
DROP_MIN_SHARE = 0.5
#: Company movers (S12): abs(net) >= max(MOVER_MIN_NET, MOVER_MIN_SHARE * open).
MOVER_MIN_NET = 5
MOVER_MIN_SHARE = 0.2
#: New-postings rate ratio (S2): the quasi-Poisson dispersion needs the new postings of at
#: least this many earlier weeks (it uses all loaded ones, up to SKILL_BACKGROUND_WEEKS - 1);
#: with fewer, the ratio is published without a CI and no up/down is called.
RR_MIN_DISPERSION_WEEKS = 3
#: The joint test of the week's candidate moves (newsletter/data/signals/moves.py): one
#: Benjamini-Hochberg step-up at this q over every skill tested, the overall pay shift and
#: the category pay shifts...
MOVES_FDR_Q = 0.05
#: ...weighted so that each kind of move tested gets this share of the error budget (shares
#: renormalised over the kinds present), split equally among its candidates: the overall pay
#: shift and the category shifts keep a fixed tenth each however many skills are tested
#: (docs/signals.md, Calibration part G). None: plain BH (every candidate the same weight).
MOVES_BUDGET: dict[MoveKind, float] | None = {"skill": 0.8, "pay": 0.1, "pay_category": 0.1}
#: A week's change in a share of all open postings (the seniority mix, in pp) is printed only
#: when both weeks have at least this many open postings: on 3 postings one posting moves a
#: share by 33 pp. Below it the shares are printed with their n and without a change.
SHARE_CHANGE_MIN_N = 30
#: Remote share of a seniority level or role category: published (with its 95% Wilson
#: interval) from this many open postings; called above or below the market only when the
#: Wilson interval excludes the market-wide share. The week's change in the market-wide
#: remote share needs as many postings with a known work mode in each of the two weeks.
REMOTE_SHARE_MIN_N = 30
#: The week's change in the remote share (of postings with a known work mode) is published
#: only if the share with an unknown work mode moved by at most this much: else the change
#: is a change in what the sources say, not in remote work (signals guide, S5).
REMOTE_UNKNOWN_MAX_MOVE = 0.05
#: A skill is listed as rising only if no one company posted more than this share of the
#: week's new postings that name it: else the "trend" is one employer's job template.
SKILL_MAX_COMPANY_SHARE = 0.5
#: One company posting at least this share of the week's new postings (and at least
#: CONCENTRATION_MIN_NEW of them) gets a data-health warning: the week's flows are largely
#: one employer's, or a board newly covered.
CONCENTRATION_MIN_SHARE = 0.3
CONCENTRATION_MIN_NEW = 20
#: Company spotlight: the company with the largest move that passes the mover gate, with at
#: least this many open postings this week, and none of its removals in a drop warning.
SPOTLIGHT_MIN_OPEN = 20
#: ...its disclosed pay range (P10 of USD minimums to P90 of USD maximums) needs this many
#: USD-paid open postings; its median needs MEDIAN_MIN_N.
PAY_RANGE_MIN_N = 10
#: ...and its top role categories and places (metros, Remote) listed.
SPOTLIGHT_TOP = 3
