"""Render one issue, then personalize it for 10,000 subscribers with mixed preferences.

Goal: at least 5,000 personalized HTML + text bodies per second on one core.
Run: python benchmarks/bench_render.py [N]   (the figures are printed, never asserted)
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from newsletter.config import parse_config
from newsletter.data.signals.models import Signals
from newsletter.edition.issue import compile_issue
from newsletter.models import Preferences, Recipient

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "signals-2026-11-23.json"


def recipients(signals: Signals, n: int, seed: int = 5) -> list[Recipient]:
    """Half with no preferences, the rest with random picks of categories/metros/seniority."""
    rng = random.Random(seed)
    cats = [c.name for c in signals.categories] + ["Robotics Engineer"]
    metros = [m.name for m in signals.metros] + ["Atlantis"]
    levels = [s.name for s in signals.seniority]
    out = []
    for i in range(n):
        prefs = Preferences()
        if rng.random() < 0.5:
            prefs = Preferences(
                categories=tuple(rng.sample(cats, rng.randint(0, 2))),
                metros=tuple(rng.sample(metros, rng.randint(0, 3))),
                seniority=tuple(rng.sample(levels, rng.randint(0, 2))),
            )
        name = rng.choice([None, "Dana Scully", "Fox <Mulder>", "Zoë O'Neil"])
        out.append(
            Recipient(
                subscriber_id=i,
                email=f"reader{i}@example.com",
                name=name,
                preferences=prefs,
                unsubscribe_url=f"https://news.example.com/unsubscribe/tok{i:06d}.abc",
                preferences_url=f"https://news.example.com/preferences/tok{i:06d}.def",
            )
        )
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    config = parse_config(
        {
            "newsletter": {
                "postal_address": "1 Example St, Springfield",
                "base_url": "https://news.example.com",
            }
        }
    )
    signals = Signals.model_validate_json(FIXTURE.read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    issue = compile_issue(signals, config)
    compile_s = time.perf_counter() - t0
    people = recipients(signals, n)
    variants = len({r.preferences for r in people})
    t1 = time.perf_counter()
    html_bytes = text_bytes = 0
    for r in people:
        body = issue.personalize(r)
        html_bytes += len(body.html)
        text_bytes += len(body.text)
    spent = time.perf_counter() - t1
    print(f"compile (Jinja + MJML, once):     {compile_s * 1000:8.1f} ms")
    print(f"subscribers:                      {n:8,d}  ({variants:,} distinct preference sets)")
    print(f"personalize HTML + text:          {spent:8.3f} s")
    print(f"bodies per second (one core):     {n / spent:8,.0f}  (goal >= 5,000)")
    mean_html, mean_text = html_bytes / n / 1000, text_bytes / n / 1000
    print(f"mean HTML / text size:            {mean_html:8.1f} KB / {mean_text:.1f} KB")


if __name__ == "__main__":
    main()
