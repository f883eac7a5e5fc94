"""Render one issue, then personalize it for 10,000 subscribers with mixed preferences.

Goal: at least 5,000 personalized HTML + text bodies per second on one core, with every
section on: the "New roles for you" picks (per preference set), the editor's note, the
sponsor. Two shapes of the candidate table: the bundled week's new postings (the real
pipeline over snapshots/), and a large market (200,000 new postings over 2,000 companies).
Run: python benchmarks/bench_render.py [N]   (the figures are printed, never asserted)
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from newsletter.config import Config, parse_config
from newsletter.data.newroles import NewRoles, new_roles
from newsletter.data.pipeline import build_week
from newsletter.data.signals.models import Signals
from newsletter.data.snapshots import SNAPSHOT_SCHEMA
from newsletter.edition.issue import compile_issue
from newsletter.edition.notes import render_note
from newsletter.models import REMOTE_PLACE, Preferences, Recipient

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "signals-2026-11-23.json"
WEEK = date(2026, 11, 23)
NOTE = "A short note from the editor with a [link](https://example.com/a) and *emphasis*.\n"


def recipients(signals: Signals, n: int, seed: int = 5) -> list[Recipient]:
    """Half with no preferences, the rest with random picks of categories/metros/seniority."""
    rng = random.Random(seed)
    cats = [c.name for c in signals.categories] + ["Robotics Engineer"]
    metros = [m.name for m in signals.metros] + ["Atlantis", REMOTE_PLACE]
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


def large_market(signals: Signals, n: int, seed: int = 9) -> pl.LazyFrame:
    """``n`` new postings spread over the fixture's categories, metros and levels."""
    rng = random.Random(seed)
    cats = [c.name for c in signals.categories]
    metros = [m.name for m in signals.metros]
    levels = [s.name for s in signals.seniority]
    rows = []
    for i in range(n):
        remote = rng.random() < 0.15
        paid = rng.random() < 0.55
        pay = float(rng.randrange(90, 450)) * 1000
        rows.append({
            "posting_id": f"big:{i}", "source": "big", "fingerprint": f"fp{i}",
            "title": f"Machine Learning Engineer {i}", "company": f"Company {rng.randrange(2000)}",
            "location": None, "metro": None if remote else rng.choice(metros), "country": "US",
            "work_mode": "remote" if remote else "onsite", "remote": remote,
            "category": rng.choice(cats), "seniority": rng.choice(levels),
            "salary_min": pay - 20_000 if paid else None,
            "salary_max": pay + 20_000 if paid else None,
            "salary_mid": pay if paid else None, "currency": "USD" if paid else None,
            "skills": [], "posted_at": WEEK + timedelta(days=rng.randrange(7)),
            "url": f"https://jobs.example.com/{i}",
        })  # fmt: skip
    frame = pl.DataFrame(rows, schema=dict(SNAPSHOT_SCHEMA))
    return frame.lazy().with_columns(
        pl.lit(False).alias("reposted"), pl.lit(False).alias("returned")
    )


def run(label: str, config: Config, signals: Signals, roles: NewRoles, n: int) -> None:
    note = render_note(NOTE)
    t0 = time.perf_counter()
    issue = compile_issue(signals, config, new_roles=roles, note=note)
    compile_s = time.perf_counter() - t0
    people = recipients(signals, n)
    variants = len({r.preferences for r in people})
    t1, c1 = time.perf_counter(), time.process_time()
    html_bytes = text_bytes = 0
    for r in people:
        body = issue.personalize(r)
        html_bytes += len(body.html)
        text_bytes += len(body.text)
    spent, cpu = time.perf_counter() - t1, time.process_time() - c1
    print(f"-- {label}")
    print(f"candidates (first seen / compact):  {roles.count:8,d} / {len(roles.rows):,}")
    print(f"compile (Jinja + MJML, once):     {compile_s * 1000:8.1f} ms")
    print(f"subscribers:                      {n:8,d}  ({variants:,} distinct preference sets)")
    print(f"personalize HTML + text:          {spent:8.3f} s wall, {cpu:.3f} s CPU")
    print(
        f"bodies per second (one core):     {n / cpu:8,.0f}  per CPU second (goal >= 5,000); "
        f"{n / spent:,.0f} per wall second"
    )
    mean_html, mean_text = html_bytes / n / 1000, text_bytes / n / 1000
    print(f"mean HTML / text size:            {mean_html:8.1f} KB / {mean_text:.1f} KB")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    config = parse_config(
        {
            "newsletter": {
                "postal_address": "1 Example St, Springfield",
                "base_url": "https://news.example.com",
            },
            "email": {"sponsor": {"name": "Acme", "text": "GPUs by the hour.",
                                  "url": "https://acme.example/"}},
        }
    )  # fmt: skip
    signals = Signals.model_validate_json(FIXTURE.read_text(encoding="utf-8"))
    bundled = build_week(config, WEEK, ROOT / "snapshots").new_roles
    run("bundled week's new postings", config, signals, bundled, n)
    t0 = time.perf_counter()
    big = new_roles(large_market(signals, 200_000), week=WEEK, previous_week=WEEK - timedelta(7))
    print(f"-- (candidate table of 200,000 new postings built in {time.perf_counter() - t0:.2f} s)")
    run("large market: 200,000 new postings, 2,000 companies", config, signals, big, n)


if __name__ == "__main__":
    main()
