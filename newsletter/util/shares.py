"""A share as a reader reads it: one that is neither none nor all never reads as either.

The one owner of that rule, below every layer that prints a share: the issue's
:class:`newsletter.edition.formatting.Formatter` (Babel, the configured locale) and the
data-health sentences of the signals (plain ``%``, no Babel in ``signals --format json``).
"""

from __future__ import annotations

from collections.abc import Callable

#: Float dust around 0 and 1 (1 − 1e-16 is all of them, not ">99%").
EXACT = 1e-9


def bounded(
    share: float, render: Callable[[float], str], digits: int = 0, shown: float | None = None
) -> str:
    """``shown`` (``share`` unless its caller rounded it otherwise) as ``render`` prints a
    share with ``digits`` decimals of a percent; a ``share`` that is neither none nor all but
    prints as 0% or 100% reads "<1%" or ">99%" instead (1 of 300, 299 of 300)."""
    text = render(share if shown is None else shown)
    step = 10.0 ** -(digits + 2)  # the smallest share shown: 1% at digits=0
    if EXACT < share < 1 - EXACT:
        if text == render(0.0):
            return "<" + render(step)
        if text == render(1.0):
            return ">" + render(1 - step)
    return text


def percent(share: float) -> str:
    """A share as a whole percent in plain text (``42%``, ``<1%``, ``>99%``)."""
    return bounded(share, "{:.0%}".format)
