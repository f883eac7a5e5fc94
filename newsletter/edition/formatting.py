"""Locale-aware formatting of counts, money, shares, changes and dates (Babel)."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, format_decimal

from newsletter.util.shares import EXACT, bounded

DASH = "—"
MINUS = "−"


def _half_up(v: float) -> int:
    """``v`` rounded to a whole number, halves away from zero: a median of $222,500 (the
    midpoint of a $5k range) is $223,000 as a reader rounds it, not Python's banker's $222,000."""
    return int(Decimal(repr(v)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def whole_percents(
    parts: Sequence[float], *, split_ties: bool = False, digits: int = 0
) -> list[int]:
    """Whole percentages of the parts of one whole (largest remainder): each part's floor,
    then a point to each of the largest remainders until they add up to 100. With
    ``digits`` the points are tenths (1), hundredths (2)... of a percent, adding up to
    ``100 * 10**digits`` (three parts of 1/6, 1/6, 2/3 at one decimal: 167, 167, 666).

    Equal parts get equal percentages: points that equal parts cannot all take go to all of
    them or none, whichever total is nearer 100, all at half way (three thirds are 33% each,
    99%, not 34% · 33% · 33%; two eighths beside three quarters 13% each, 101%).
    ``split_ties`` hands them out in order instead, for widths that must fill exactly 100 (a
    drawn bar)."""
    total, whole = sum(parts), 100 * 10**digits
    if total <= 0:
        return [0 for _ in parts]
    raw = [whole * p / total for p in parts]
    out = [math.floor(r) for r in raw]
    left = whole - sum(out)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    while left > 0 and order:
        tie = [i for i in order if abs(raw[i] - raw[order[0]]) < EXACT]  # equal parts
        if len(tie) > left:
            if split_ties:
                tie = tie[:left]
            elif len(tie) > 2 * left:  # all of them would pass 100 by more than none miss it
                break
        for i in tie:
            out[i] += 1
        left -= len(tie)
        order = [i for i in order if i not in tie]
    return out


#: The most digits :meth:`Formatter.ends` adds to tell an interval's ends apart.
MORE_DIGITS = 2


@dataclass(frozen=True, slots=True)
class Formatter:
    """Locale-aware formatting of counts, money, shares and dates."""

    locale: str = "en_US"

    def count(self, n: int | None) -> str:
        return DASH if n is None else format_decimal(n, locale=self.locale)

    def counted(self, n: int, noun: str, plural: str | None = None) -> str:
        """``"1 posting"``, ``"2,400 postings"``: the count and its noun, singular for one."""
        return f"{self.count(n)} {noun if n == 1 else plural or noun + 's'}"

    def over_weeks(self, snapshots: int, span: int, over: str = "over") -> tuple[str, str]:
        """Weekly snapshots and the calendar weeks they cover, in words, and what is missing:
        ``("4 weeks", "")`` when every week has its snapshot (one: ``("week", "")``), else
        ``("4 weekly snapshots over 6 weeks", " (2 weeks without one)")``; snapshots over weeks
        without one never read as as many consecutive weeks (a trend line, a window)."""
        if span <= snapshots:
            return ("week" if snapshots == 1 else f"{self.count(snapshots)} weeks"), ""
        return (
            f"{self.counted(snapshots, 'weekly snapshot')} {over} {self.counted(span, 'week')}",
            f" ({self.counted(span - snapshots, 'week')} without one)",
        )

    def money(self, v: float | None, n: int | None = None) -> str:
        """$184,000 (rounded to the thousand); "— (n=22)" below the gate."""
        if v is None:
            return f"{DASH} (n={self.count(n)})" if n is not None else DASH
        sign = MINUS if _half_up(v / 1000) < 0 else ""
        return f"{sign}$" + format_decimal(
            abs(_half_up(v / 1000)) * 1000, format="#,##0", locale=self.locale
        )

    def hourly(self, v: float | None) -> str:
        """Pay an hour in whole dollars: $62 (rounded half up)."""
        if v is None:
            return DASH
        return self._dollars(v)

    def money_k(self, v: float | None) -> str:
        """Compact money for narrow tables: $171k, and $1.9M from a million."""
        if v is None:
            return DASH
        return "$" + self.compact(v)

    def compact(self, v: float) -> str:
        """An amount in thousands, millions or billions: 171k, 1.9M, 12M, 1.2B (pay in a
        currency of small units: 120M KRW, not 120,000k)."""
        k = _half_up(v / 1000)
        if abs(k) < 1000:
            return format_decimal(k, format="#,##0", locale=self.locale) + "k"
        m = _half_up(v / 100_000) / 10
        if abs(m) < 1000:
            return format_decimal(m, format="#,##0.#", locale=self.locale) + "M"
        b = _half_up(v / 100_000_000) / 10
        return format_decimal(b, format="#,##0.#", locale=self.locale) + "B"

    def money_k_range(self, low: float | None, high: float | None) -> str:
        """An interval in compact money, ``$171k–$190k``, its ends told apart by :meth:`ends`
        (``$89.9k–$90.2k``, else whole dollars): an interval never reads as no uncertainty
        (``$90k–$90k`` of 89,861–90,197)."""
        if low is None or high is None:
            return DASH
        return "–".join(self.ends(self._money_k_at, low, high, 0))

    def _money_k_at(self, v: float | None, digits: int) -> str:
        """:meth:`money_k` (``digits`` 0), in tenths of a thousand (1), in whole dollars (2);
        a million or more stays compact."""
        if v is None or digits == 0 or abs(v) >= 1_000_000:
            return self.money_k(v)
        if digits == 1:
            tenths = _half_up(v / 100) / 10
            return "$" + format_decimal(tenths, format="#,##0.0", locale=self.locale) + "k"
        return self._dollars(v)

    def _dollars(self, v: float) -> str:
        return "$" + format_decimal(_half_up(v), format="#,##0", locale=self.locale)

    def pct(self, share: float | None, digits: int = 0) -> str:
        """A share in [0, 1] as a percentage: 0.071 -> 7.1% (digits=1).

        A share that is neither none nor all never reads as either (:mod:`newsletter.util.shares`,
        the rule's one owner): 1 of 300 is "<1%", not "0%" beside "1 with pay"; 299 of 300 is
        ">99%", not "100%"."""
        if share is None:
            return DASH
        return bounded(share, self._renderer(digits), digits)

    def shares(self, parts: Sequence[float], digits: int = 0) -> list[str]:
        """Shares shown together as percentages with ``digits`` decimals: the parts of one
        whole add up to 100% (:func:`whole_percents`; 100.0% at one decimal), equal parts
        print alike, and a part that is neither none nor all prints as neither ("<1%",
        ">99%"); shares of no one whole are rounded each alone."""
        if abs(sum(parts) - 1) > EXACT:
            return [self.pct(p, digits) for p in parts]
        render, whole = self._renderer(digits), 100 * 10**digits
        return [
            bounded(p, render, digits, shown=w / whole)
            for p, w in zip(parts, whole_percents(parts, digits=digits), strict=True)
        ]

    def _renderer(self, digits: int) -> Callable[[float], str]:
        pattern, locale = _percent(self.locale, digits), Locale.parse(self.locale)
        return lambda v: str(pattern.apply(v, locale))

    def _num(self, v: float, digits: int) -> str:
        fmt = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(v, format=fmt, locale=self.locale)

    def _sign(self, v: float) -> str:
        return "+" if v > 0 else (MINUS if v < 0 else "±")

    def signed(self, n: int | None) -> str:
        if n is None:
            return DASH
        return self._sign(n) + format_decimal(abs(n), locale=self.locale)

    def change_pct(self, frac: float | None, digits: int = 1) -> str:
        """A relative change given as a fraction: 0.016 -> +1.6%."""
        if frac is None:
            return DASH
        shown = round(100 * frac, digits)
        return self._sign(shown) + self.pct(abs(shown) / 100, digits)

    @staticmethod
    def moved_pct(frac: float | None, digits: int = 1) -> bool:
        """Whether :meth:`change_pct` prints a move: a change of 3 in 20,000 prints ±0.0%,
        which beside "rose" or "+3" says nothing moved (the count says it instead)."""
        return frac is not None and round(100 * frac, digits) != 0

    def ends(
        self,
        show: Callable[[float | None, int], str],
        low: float | None,
        high: float | None,
        digits: int = 1,
    ) -> tuple[str, str]:
        """An interval's two ends, each ``show(value, digits)``; where they print alike though
        they differ (22.1% and 22.1% of 0.22061 and 0.22139), with as many more digits (up to
        :data:`MORE_DIGITS` more) as tell them apart: an interval never reads as a point."""
        for more in range(MORE_DIGITS + 1):
            lo, hi = show(low, digits + more), show(high, digits + more)
            if lo != hi or low is None or high is None or low == high:
                break
        return lo, hi

    def pp(self, delta: float | None, digits: int = 1) -> str:
        """A change of shares (fractions) in percentage points: 0.021 -> +2.1 pp."""
        if delta is None:
            return DASH
        shown = round(100 * delta, digits)
        return self._sign(shown) + self._num(abs(shown), digits) + "\u00a0pp"

    def z(self, z: float) -> str:
        return "z\u00a0=\u00a0" + (MINUS if z < 0 else "") + self._num(abs(z), 1)

    def day(self, d: date, fmt: str = "MMM d, y") -> str:
        return format_date(d, format=fmt, locale=self.locale)


#: A figure: a number with its sign, currency and unit (4,102 · +1.6% · −2.1\u00a0pp · $185k ·
#: $150k–$190k · 7,1\u00a0% · z\u00a0=\u00a01.9), and a range of two.
_NUMBER = r"[+−±-]?[$€£]?\d[\d.,\u00a0\u202f]*(?:%|k|\u00a0?pp)?"
_FIGURE = re.compile(rf"(?:z\u00a0=\u00a0)?{_NUMBER}(?:–{_NUMBER})?")
#: Longest text kept on one line as a figure.
FIGURE_MAX = 24


def is_figure(text: str) -> bool:
    """Whether ``text`` is a short figure that must not break across lines (a phrase or a
    name is not: it wraps, or a phone's layout scrolls sideways)."""
    return len(text) <= FIGURE_MAX and _FIGURE.fullmatch(text.strip()) is not None


@lru_cache(maxsize=32)
def _percent(locale: str, digits: int) -> NumberPattern:
    """The locale's percent pattern (7.1% in en_US, 7,1 % in de_DE) with fixed decimals."""
    pattern: NumberPattern = copy.copy(Locale.parse(locale).percent_formats[None])
    pattern.frac_prec = (digits, digits)
    return pattern
