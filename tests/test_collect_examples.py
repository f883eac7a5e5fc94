"""The shipped example sources file and config keys stay valid."""

from __future__ import annotations

from newsletter.config import load_config
from newsletter.data.collect import load_sources
from tests.conftest import REPO


def test_the_example_sources_file_is_valid() -> None:
    sources = load_sources(REPO / "sources.example.toml")
    assert len(sources) >= 10
    assert {s.ats for s in sources} >= {"greenhouse", "ashby", "lever", "workable"}
    text = (REPO / "sources.example.toml").read_text(encoding="utf-8")
    assert text.startswith("# EXAMPLES") and "newsletter sources check" in text


def test_the_shipped_config_holds_the_collect_settings() -> None:
    config = load_config(REPO / "config.toml")
    assert config.collect.carry_forward_weeks == 1
    assert config.collect.sources == REPO / "sources.toml"
    assert (config.schedule.collect_day, config.schedule.collect_time.hour) == ("sun", 18)
    assert config.crawler_contact == config.newsletter.from_address
