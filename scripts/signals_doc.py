"""Regenerate the figures docs/signals.md quotes from the bundled snapshots (or --check them).

The block between ``<!-- bundled:begin -->`` and ``<!-- bundled:end -->`` is this script's
output; a test fails while it differs, so the prose never describes an older week again.
(The calibration table is written by ``benchmarks/bench_signals_calibration.py --write-doc``.)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsletter.config import parse_config  # noqa: E402
from newsletter.data.pipeline import build_signals  # noqa: E402
from newsletter.data.signals import Signals, compute_signals  # noqa: E402
from newsletter.data.signals.models import SkillMove  # noqa: E402
from newsletter.data.snapshots import list_weeks, read_snapshot  # noqa: E402
from newsletter.util.files import atomic_write_text  # noqa: E402

DOC = ROOT / "docs" / "signals.md"
SNAPSHOTS = ROOT / "snapshots"
BEGIN, END = "<!-- bundled:begin -->", "<!-- bundled:end -->"


def _moves(moves: list[SkillMove]) -> str:
    return ", ".join(f"{m.name} (z = {m.z:.2f})" for m in moves) or "–"


def _pay(s: Signals) -> str:
    p = s.pay
    if p.change_pct is None or p.ci_low is None or p.ci_high is None:
        return f"– ({p.method})"
    mark = "significant" if p.significant else "not significant"
    return (
        f"{p.change_pct:+.1%} [{p.ci_low:+.1%}, {p.ci_high:+.1%}], {mark} "
        f"({p.method}, n = {p.shift_n:,} / {p.shift_n_prev:,})"
    )


def _rr(s: Signals) -> str:
    t = s.totals
    if t.new_rate_ratio is None:
        return "–"
    if t.new_rr_ci_low is None or t.new_rr_ci_high is None:
        return f"{t.new_rate_ratio:.2f} (no CI)"
    return f"{t.new_rate_ratio:.2f} [{t.new_rr_ci_low:.2f}, {t.new_rr_ci_high:.2f}], φ = {t.new_rr_dispersion:.2f}"  # noqa: E501


def _row(label: str, s: Signals) -> str:
    sk = s.skills
    method = f"{sk.method}, {sk.tested} tested"
    return (
        f"| {label} | {method} | {_moves(sk.rising)} | {_moves(sk.falling)} | {_pay(s)} "
        f"| {_rr(s)} |"
    )


def block() -> str:
    """The generated markdown block, markers included."""
    config = parse_config({})
    weeks = list_weeks(SNAPSHOTS)
    lines = [
        BEGIN,
        "| week | skills: method | rising | falling | pay shift | new-postings rate ratio |",
        "|---|---|---|---|---|---|",
    ]
    for w in weeks[1:]:
        lines.append(_row(w.isoformat(), build_signals(config, w, SNAPSHOTS)))
    prev, last = weeks[-2], weeks[-1]
    only_two = compute_signals(
        read_snapshot(SNAPSHOTS, last),
        read_snapshot(SNAPSHOTS, prev),
        week=last,
        previous_week=prev,
        top_n=config.email.top_n,
    )
    lines.append(_row(f"{last.isoformat()}, only {prev.isoformat()} before it", only_two))
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    doc = DOC.read_text(encoding="utf-8")
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    text = head + block() + tail
    if "--check" in argv:
        same = text == doc
        print(f"{DOC}: bundled figures {'up to date' if same else 'OUT OF DATE'}")
        return 0 if same else 1
    atomic_write_text(DOC, text)
    print(DOC)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
