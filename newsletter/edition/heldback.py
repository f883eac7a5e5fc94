"""What the week's signals hold back (``data_health.suppressed``), in a reader's words: the
JSON keeps the exact key, count and gate of each line; the issue names what is missing."""

from __future__ import annotations

import re

from newsletter.edition.formatting import Formatter

#: What a ``data_health.suppressed`` key holds back, in a reader's words.
_HELD = {
    "pay.median": "median pay",
    "pay.p75": "P75 pay",
    "pay.p90": "P90 pay",
    "pay.median_prev": "last week's median pay",
    "pay.p75_prev": "last week's P75 pay",
    "pay.p90_prev": "last week's P90 pay",
    "pay.change_pct": "the pay shift",
    "pay.category_shifts": "pay shifts by role",
    "pay.like_for_like_pct": "the like-for-like pay shift",
    "pay.shift_median": "the median pay of recent new postings",
    "pay.shift_median_prev": "the median pay of earlier new postings",
    "pay.apart.median": "median pay of roles counted apart",
    "remote.known_change": "the change in the remote share",
    "remote.by_seniority.share": "remote share by level",
    "remote.by_category.share": "remote share by role",
    "company_detail.spotlight": "the company spotlight",
    "company_detail.spotlight.median_pay": "the spotlight company's median pay",
    "company_detail.spotlight.pay_low/high": "the spotlight company's pay range",
    "skills.rising/falling": "rising and falling skills",
    "totals.change_pct": "the change in open roles",
    "totals.new_rate_ratio": "the new-postings rate ratio",
    "totals.new_rr_ci_low/high": "the rate ratio's interval",
    "history.median_pay": "median pay in the trend line",
    "metros": "small metros",
}
_GROUPS = {"categories": "by role", "seniority": "by level", "metros": "by metro"}
_FIELDS = {
    "median_pay": "median pay",
    "p75_pay": "P75 pay",
    "p90_pay": "P90 pay",
    "median_pay_prev": "last week's median pay",
    "change_pct": "change in open roles",
}
_SOME = re.compile(r"\b(\d[\d,]*) of (\d[\d,]*)\b")


def held_back(entry: str) -> str:
    """One ``data_health.suppressed`` line (``categories.p90_pay: 6 of 12 rows with n_pay <
    100``) as a reader reads it (``P90 pay by role (6 of 12)``); the JSON keeps the line."""
    key, _, why = entry.partition(": ")
    group, _, field = key.partition(".")
    label = _HELD.get(key) or (
        f"{_FIELDS[field]} {_GROUPS[group]}"
        if group in _GROUPS and field in _FIELDS
        else key.replace(".", " ").replace("_", " ")
    )
    some = _SOME.search(why)
    if some:
        return f"{label} ({some.group(1)} of {some.group(2)})"
    return f"{label} (first week)" if "two snapshots" in why else label


def short_of(n: int, gate: int, f: Formatter, *, with_n: bool = True) -> str:
    """Why a figure prints as "—": its sample against its gate, "n=7, needs 20" ("needs 20"
    where its n is printed beside it already); "" for a sample that reached the gate."""
    if n >= gate:
        return ""
    needs = f"needs\u00a0{f.count(gate)}"  # "needs" and its n never part on a narrow column
    return f"n={f.count(n)}, {needs}" if with_n else needs
