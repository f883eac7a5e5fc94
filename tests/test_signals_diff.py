"""Posting identity over weeks: reposts within 8 weeks, returned ids, averages, rate ratio."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from newsletter.data.signals import diff
from newsletter.data.signals.companies import KEY, company_plan
from newsletter.data.signals.health import id_counts
from tests.conftest import posting
from tests.signals_support import run

BASE = [posting(f"base{i}", fingerprint=f"base{i}") for i in range(30)]


def _weeks(n: int, extra: dict[int, list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    return [BASE + extra.get(i, []) for i in range(n)]


def test_repost_within_window_counts_and_older_does_not() -> None:
    # "x" (fingerprint X) is open in week 0 and removed in week 1's diff.
    # A new id with fingerprint X appears in week 8 (removal 7 diffs back: inside the window)
    # or in week 9 (8 diffs back: outside the 8-week window).
    old = posting("x", fingerprint="X", company="Acme", title="ML Engineer")
    again = posting("x2", fingerprint="X", company="Acme", title="ML Engineer")
    inside = run(_weeks(9, {0: [old], 8: [again]}))
    assert (inside.totals.new, inside.totals.reposted) == (1, 1)
    assert inside.totals.new_excluding_reposts == 0
    outside = run(_weeks(10, {0: [old], 9: [again]}))
    assert (outside.totals.new, outside.totals.reposted) == (1, 0)


def test_same_week_id_change_is_a_repost() -> None:
    s = run([[*BASE, posting("a", fingerprint="F")], [*BASE, posting("b", fingerprint="F")]])
    assert (s.totals.new, s.totals.removed, s.totals.reposted) == (1, 1, 1)


def test_returned_id_is_new_but_shown_apart() -> None:
    gone = posting("g", fingerprint="G")
    s = run(_weeks(3, {0: [gone], 2: [gone]}))
    assert (s.totals.new, s.totals.returned, s.totals.reposted) == (1, 1, 1)


def test_four_week_average_and_rate_ratio() -> None:
    weeks = []
    for w in range(6):
        weeks.append([posting(f"w{w}-{i}") for i in range(40 + 10 * w)])
    s = run(weeks)
    opens = [40 + 10 * w for w in range(6)]
    assert s.totals.open_avg_4w == pytest.approx(sum(opens[-4:]) / 4)
    # every posting lives one week: new = open; earlier new over 4 weeks = 60..90
    assert s.totals.new == 90 and s.totals.new_avg_weeks == 4
    assert s.totals.new_avg_4w == pytest.approx((50 + 60 + 70 + 80) / 4)
    assert s.totals.new_rate_ratio == pytest.approx(90 / 65)
    assert s.totals.new_rr_ci_low is not None and s.totals.new_rr_ci_low < 90 / 65
    assert [p.open for p in s.history] == opens


def test_rate_ratio_gated_on_small_counts() -> None:
    weeks = [[posting(f"w{w}-{i}") for i in range(10)] for w in range(4)]
    s = run(weeks)
    assert s.totals.new == 10 and s.totals.new_rate_ratio is None
    assert s.totals.change_pct is None  # base < 20


def test_ids_with_one_hash_are_joined_by_the_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    # New and removed postings are joined on the ids' hashes; two ids sharing a hash are
    # found and the flows joined again on the ids, so the figures are those of exact joins.
    weeks = [[*BASE, posting("a", fingerprint="F")], [*BASE, posting("b", fingerprint="G")]]
    exact = run(weeks)
    assert (exact.totals.new, exact.totals.removed, exact.totals.continuing) == (1, 1, 30)
    monkeypatch.setattr(diff, "_key", lambda: pl.lit(0, dtype=pl.UInt64).alias("_key"))
    assert run(weeks) == exact


def test_id_counts_recount_when_hashes_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pl.DataFrame({"posting_id": ["a", "b", "a", None, "c"]})
    assert id_counts(frame) == {"rows": 5, "missing": 1, "distinct": 3}
    assert id_counts(frame.head(2)) == {"rows": 2, "missing": 0, "distinct": 2}
    # every id one hash: counted by the ids themselves
    monkeypatch.setattr(pl.Series, "hash", lambda self, *a, **k: pl.Series([0] * len(self)))
    assert id_counts(frame.head(2)) == {"rows": 2, "missing": 0, "distinct": 2}


def test_flows_from_the_pairs_of_hashes_are_the_anti_joins() -> None:
    # new and removed postings are the rows no pair of matching hashes names, in order
    cur = pl.DataFrame({"posting_id": ["d", "a", "e", "c", "f"], "x": [1, 2, 3, 4, 5]})
    prev = pl.DataFrame({"posting_id": ["c", "b", "a", "g"], "x": [6, 7, 8, 9]})
    pairs = diff.matches(cur.lazy(), prev.lazy()).collect()
    assert not pairs["clash"].any()
    flows = diff.split(cur, prev, pairs, "x")
    new, gone = flows.new, flows.removed
    assert new.equals(diff.added(cur.lazy(), prev.lazy()).collect())
    assert gone.equals(diff.removed(cur.lazy(), prev.lazy()).collect())
    assert new["posting_id"].to_list() == ["d", "e", "f"]
    assert gone["posting_id"].to_list() == ["b", "g"]


def test_companies_are_counted_from_continuing_postings_only_when_each_keeps_its_company() -> None:
    cur = pl.DataFrame({"posting_id": ["a", "b", "c", "d"], "company": ["X", "Y", None, "X"]})
    prev = pl.DataFrame({"posting_id": ["b", "a", "e", "c"], "company": ["Y", "X", "Z", None]})

    def flows(previous: pl.DataFrame) -> diff.Flows:
        return diff.split(cur, previous, diff.matches(cur.lazy(), previous.lazy()).collect(), KEY)

    def table(f: diff.Flows, continuing: pl.LazyFrame | None) -> pl.DataFrame:
        frames = (cur, prev, f.new, f.removed)
        lazy = [x.lazy() for x in frames]
        return company_plan(*lazy, continuing=continuing).collect().sort("name")

    kept = flows(prev)
    assert kept.continuing is not None
    assert kept.continuing["posting_id"].to_list() == ["a", "b", "c"]
    exact = table(kept, None)
    assert exact.rows() == [("X", 2, 1, 0, 1), ("Y", 1, 0, 0, 1), ("Z", 0, 0, 1, 1)]
    assert table(kept, kept.continuing.lazy()).select(exact.columns).equals(exact)
    # posting a was at another company last week: both weeks are counted whole
    assert flows(prev.with_columns(company=pl.Series(["Y", "W", "Z", None]))).continuing is None
