"""Templates and rules ship inside the package (read with importlib.resources); the config's
``[email] templates_dir`` and ``[data] rules_dir`` still override them."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from newsletter.config import parse_config
from newsletter.data.ingest import load_rules
from newsletter.edition.issue import render_issue
from newsletter.errors import IngestError
from newsletter.util.resources import bundled
from tests.conftest import REPO


def test_the_wheel_maps_the_top_level_folders_into_the_package() -> None:
    build = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = build["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"] == {
        "templates": "newsletter/_resources/templates",
        "rules": "newsletter/_resources/rules",
        # the methodology page of the web archive is rendered from these at run time
        "docs/signals.md": "newsletter/_resources/docs/signals.md",
        "docs/signals.schema.json": "newsletter/_resources/docs/signals.schema.json",
    }
    # the checkout's symlinks are left out of the walk, so each file is packed once
    assert "newsletter/_resources" in wheel["exclude"]


def test_the_bundled_folders_are_the_repositorys() -> None:
    templates, rules = bundled("templates"), bundled("rules")
    assert (templates / "issue.mjml.j2").read_text(encoding="utf-8") == (
        REPO / "templates" / "issue.mjml.j2"
    ).read_text(encoding="utf-8")
    assert sorted(p.name for p in rules.iterdir() if p.name.endswith(".yaml")) == sorted(
        p.name for p in (REPO / "rules").glob("*.yaml")
    )
    for doc in ("signals.md", "signals.schema.json"):
        assert (bundled("docs") / doc).read_text(encoding="utf-8") == (
            REPO / "docs" / doc
        ).read_text(encoding="utf-8")


def test_rules_come_from_the_package_unless_rules_dir_is_set(tmp_path: Path) -> None:
    assert parse_config({}).data.rules_dir is None
    shipped = load_rules()
    own = tmp_path / "my-rules"
    shutil.copytree(REPO / "rules", own)
    skills = own / "skills.yaml"
    skills.write_text(
        skills.read_text(encoding="utf-8").replace("version:", "version: mine-", 1),
        encoding="utf-8",
    )
    config = parse_config({"data": {"rules_dir": "my-rules"}}, path=tmp_path / "config.toml")
    assert config.data.rules_dir == own
    mine = load_rules(config.data.rules_dir)
    assert "mine-" in mine.version and "mine-" not in shipped.version
    with pytest.raises(IngestError, match=r"rules folder .*nowhere does not exist"):
        load_rules(tmp_path / "nowhere")


def test_a_rules_folder_from_before_employment_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A custom rules folder written before employment.yaml existed keeps working on the
    shipped employment rules (said in a warning); one missing an original file still fails."""
    own = tmp_path / "old-rules"
    shutil.copytree(REPO / "rules", own)
    (own / "employment.yaml").unlink()
    with caplog.at_level("WARNING"):
        rules = load_rules(own)
    assert rules.employment == load_rules().employment
    assert "has no employment.yaml: the shipped one is used" in caplog.text
    broken = tmp_path / "broken-rules"  # another folder: rules are cached per folder
    shutil.copytree(REPO / "rules", broken)
    (broken / "metros.yaml").unlink()
    with pytest.raises(IngestError, match=r"rules file .*metros.yaml not found"):
        load_rules(broken)


def test_templates_dir_overrides_one_template(tmp_path: Path, rich_signals: Any) -> None:
    own = tmp_path / "my-templates" / "sections"
    own.mkdir(parents=True)
    (own / "summary.txt.j2").write_text("OUR OWN SUMMARY\n", encoding="utf-8")
    base = {"newsletter": {"postal_address": "1 Example St, Springfield"}}
    plain = render_issue(rich_signals, parse_config(base))
    custom = render_issue(
        rich_signals,
        parse_config(
            {**base, "email": {"templates_dir": "my-templates"}}, path=tmp_path / "c.toml"
        ),
    )
    assert "OUR OWN SUMMARY" in custom.text and "OUR OWN SUMMARY" not in plain.text
    assert custom.html == plain.html  # every other template is still the shipped one


def _own_rules(tmp_path: Path, pattern: str) -> Path:
    """A copy of the shipped rules whose seniority rule for "head of" uses ``pattern``."""
    own = tmp_path / "rules"
    shutil.copytree(REPO / "rules", own)
    seniority = own / "seniority.yaml"
    text = seniority.read_text(encoding="utf-8")
    old = "    pattern: ' associate director | assistant director '"
    assert old in text
    seniority.write_text(text.replace(old, f"    pattern: '{pattern}'"), encoding="utf-8")
    return own


def test_rule_patterns_are_checked_by_the_engine_that_runs_them(tmp_path: Path) -> None:
    # Look-ahead compiles in Python's re but not in polars' (Rust) regex: refused when the
    # rules load, with the engine's reason, not at the first batch of an ingest.
    with pytest.raises(IngestError, match=r"seniority\.yaml: .*pattern.*look-around") as exc:
        load_rules(_own_rules(tmp_path / "a", " associate(?= director) "))
    assert "\n" not in str(exc.value)
    # \p{L} is refused by Python's re and runs in polars: accepted.
    rules = load_rules(_own_rules(tmp_path / "b", r" associate \p{L}+ "))
    assert any(r.pattern == r" associate \p{L}+ " for r in rules.seniority.rules)
