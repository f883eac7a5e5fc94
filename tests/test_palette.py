"""The palette: every text/background and mark/background pair meets WCAG 2.1 AA in the light
and the dark scheme, the issue uses no colour outside it, and every colour class it prints
has its dark rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsletter.edition import palette
from newsletter.edition.palette import DARK, LIGHT, PAIRS, contrast, contrast_table, ratios
from newsletter.models import IssueContent

DOC = Path(__file__).resolve().parent.parent / "docs" / "accessibility.md"


def test_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    # The issue's audit figures: the old grey on the old KPI tile and footer, the old marks.
    assert round(contrast("#6b7280", "#f5f6f8"), 2) == 4.47
    assert round(contrast("#6b7280", "#eef0f4"), 2) == 4.24
    assert round(contrast("#a5b4fc", "#f5f6f8"), 2) == 1.84
    assert round(contrast("#f2b705", "#ffffff"), 2) == 1.82


def test_every_pair_meets_its_minimum_in_both_schemes() -> None:
    found = ratios()
    assert len(found) == 2 * len(PAIRS) and len(PAIRS) > 30
    failing = [
        f"{r.scheme}: {r.pair.fg} {r.fg} on {r.pair.bg} {r.bg} = {r.ratio:.2f} < {r.minimum}"
        for r in found
        if not r.ok
    ]
    assert failing == []
    # text needs 4.5:1, marks and focus 3:1
    kinds = {r.pair.kind: r.minimum for r in found}
    assert kinds == {"text": 4.5, "mark": 3.0, "focus": 3.0}


def test_a_failing_pair_is_reported() -> None:
    weak = palette.Ratio("light", palette.Pair("muted", "tile", "text", "x"), "", "", 4.47)
    assert not weak.ok


def test_marks_hold_on_light_and_dark_surfaces_alike() -> None:
    """Marks keep one colour in both schemes, so a client that darkens the background on
    its own (without our dark rules) still shows every bar at 3:1 or more."""
    for mark in (LIGHT.mark, LIGHT.mark_up, LIGHT.mark_down, *LIGHT.mix):
        for surface in (LIGHT.card, DARK.card):
            assert contrast(mark, surface) >= 3.0, (mark, surface)
    assert contrast(LIGHT.mark, LIGHT.tile) >= 3 and contrast(LIGHT.mark, DARK.tile) >= 3


def test_the_documented_table_is_current() -> None:
    """docs/accessibility.md carries the table this module computes (regenerate with
    ``python -m newsletter.edition.palette``)."""
    assert contrast_table() in DOC.read_text(encoding="utf-8")


def test_the_issue_uses_only_palette_colours(full_issue: IssueContent) -> None:
    html = full_issue.html
    used = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", html)}
    assert used and used <= palette.hex_colours(), used - palette.hex_colours()
    assert not re.search(r"(?<!&)#[0-9a-fA-F]{3}\b", html)  # no short forms
    assert not re.search(r"rgba?\(", html)


def test_every_colour_class_has_its_dark_rule(full_issue: IssueContent) -> None:
    html = full_issue.html
    css = palette.email_css()
    classes = {c for attr in re.findall(r'class="([^"]*)"', html) for c in attr.split()}
    # (MJML's "-outlook" twins are for Outlook for Windows, which has no dark rules to read)
    role_classes = {c for c in classes if re.match(r"(c|bg|bd)-", c) and "-outlook" not in c}
    assert {"c-text", "c-muted", "c-up", "c-down", "bg-card", "bg-tile", "bg-page"} <= role_classes
    dark = css.scheme[css.scheme.index("prefers-color-scheme:dark") :]
    missing = [c for c in sorted(role_classes) if f".{c}" not in dark]
    assert missing == []
    for c in role_classes:  # Outlook.com's dark mode too
        assert f"[data-ogsc] .{c}" in css.outlook or f"[data-ogsb] .{c}" in css.outlook, c
    assert '<meta name="color-scheme" content="light dark"' in html
    assert '<meta name="supported-color-schemes" content="light dark"' in html
