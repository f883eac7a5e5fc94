"""The JSON contract: schema file in sync with the models, CLI json and table output."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.data.signals.schema import schema_text
from tests.conftest import REPO

ISSUE_KEYS = {
    "totals": {"open", "open_prev", "new", "removed", "reposted"},
    "pay": {
        "n",
        "disclosure_rate",
        "median",
        "p75",
        "p90",
        "median_prev",
        "change_pct",
        "ci_low",
        "ci_high",
        "significant",
    },
    "remote": {"share", "share_prev"},
}


def test_checked_in_schema_equals_generated() -> None:
    checked_in = (REPO / "docs" / "signals.schema.json").read_text(encoding="utf-8")
    assert checked_in == schema_text(), "run: python scripts/signals_schema.py"


def test_schema_script_check_mode() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "signals_schema.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "up to date" in proc.stdout


def test_every_documented_field_is_in_docs() -> None:
    docs = (REPO / "docs" / "signals.md").read_text(encoding="utf-8")
    schema = json.loads(schema_text())
    missing = [
        f"{model}.{field}"
        for model, spec in schema["$defs"].items()
        for field in spec.get("properties", {})
        if f"`{field}`" not in docs
    ]
    assert missing == []


def test_cli_json_has_the_issue_keys(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["signals", "--snapshots", str(REPO / "snapshots"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for section, keys in ISSUE_KEYS.items():
        assert keys <= set(data[section]), section
    assert {"top", "rising", "falling"} <= set(data["skills"])
    assert {"name", "open", "share", "share_prev"} <= set(data["seniority"][0])
    cat_keys = {"name", "open", "open_prev", "new", "removed", "median_pay", "n_pay"}
    assert cat_keys | {"median_pay_prev"} <= set(data["categories"][0])
    assert {"name", "open", "median_pay", "n_pay"} <= set(data["metros"][0])
    assert {"name", "open", "new", "removed"} <= set(data["companies"][0])
    assert {"name", "share", "share_prev", "z"} <= set(data["skills"]["rising"][0])
    assert 0 <= data["remote"]["share"] <= 1


def test_cli_table_shows_every_section(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["signals", "--snapshots", str(REPO / "snapshots"), "--format", "table"]
    )
    assert result.exit_code == 0, result.output
    for title in (
        "Week of 2026-11-23",
        "Seniority",
        "Role categories",
        "Metros",
        "Top skills",
        "Rising skills",
        "Falling skills",
        "Top companies",
        "Data health",
    ):
        assert title in result.stdout, title
    assert "MCP" in result.stdout


def test_figures_quoted_from_the_bundled_weeks_are_generated() -> None:
    """docs/signals.md quotes the bundled weeks' moves only inside a generated block."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "signals_doc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr + " (run: python scripts/signals_doc.py)"
