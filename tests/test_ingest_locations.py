"""Locations: metros from spellings and abbreviations, countries, work mode."""

from __future__ import annotations

from typing import Any

import pytest

from newsletter.data.ingest.rules import Rules
from tests.ingest_support import normalized


def place(rules: Rules, location: str | None, **extra: Any) -> dict[str, Any]:
    out = normalized(
        rules, [{"title": extra.pop("title", "Data Engineer"), "location": location, **extra}]
    )
    return out.select("metro", "country", "work_mode", "remote").row(0, named=True)


def test_metro_table_covers_top_us_metros(ingest_rules: Rules) -> None:
    us = [m for m in ingest_rules.metros.metros if m.country == "US"]
    assert len(us) >= 50


@pytest.mark.parametrize(
    ("location", "metro", "country"),
    [
        ("SF", "San Francisco Bay Area", "US"),
        ("San Francisco, CA", "San Francisco Bay Area", "US"),
        ("Bay Area", "San Francisco Bay Area", "US"),
        ("Mountain View, California, United States", "San Francisco Bay Area", "US"),
        ("NYC", "New York", "US"),
        ("New York, NY", "New York", "US"),
        ("Brooklyn, NY", "New York", "US"),
        ("Jersey City, NJ", "New York", "US"),
        ("Seattle, WA", "Seattle", "US"),
        ("Redmond, Washington", "Seattle", "US"),
        ("Cambridge, MA", "Boston", "US"),
        ("Washington, DC", "Washington DC", "US"),
        ("Arlington, VA", "Washington DC", "US"),
        ("Arlington, TX", "Dallas", "US"),
        ("Portland, OR", "Portland", "US"),
        ("Portland, ME", None, "US"),
        ("Paris, France", "Paris", "FR"),
        ("Paris, TX", None, "US"),
        ("Toronto, ON, Canada", "Toronto", "CA"),
        ("London, UK", "London", "GB"),
        ("London, ON", None, "CA"),
        ("Greece", None, "GR"),
        ("Lanham, MD", "Washington DC", "US"),
        ("Chicago, IL; NYC", "Chicago", "US"),
        ("Remote in USA; Brooklyn, NY", "New York", "US"),
        ("Bengaluru, Karnataka, India", "Bengaluru", "IN"),
        ("Smalltown, KS", None, "US"),
    ],
)
def test_metro_and_country(
    ingest_rules: Rules, location: str, metro: str | None, country: str
) -> None:
    got = place(ingest_rules, location)
    assert (got["metro"], got["country"]) == (metro, country)


@pytest.mark.parametrize(
    ("location", "extra", "mode"),
    [
        ("Remote", {}, "remote"),
        ("Remote - US", {}, "remote"),
        ("Anywhere", {}, "remote"),
        ("San Francisco, CA (Hybrid)", {}, "hybrid"),
        ("Austin, TX", {}, "onsite"),
        (None, {}, "unknown"),
        ("Austin, TX", {"remote": "True"}, "remote"),
        ("Austin, TX", {"remote": "false"}, "onsite"),
        ("Austin, TX", {"work_mode": "hybrid"}, "hybrid"),
        ("Austin, TX", {"title": "Data Engineer (Remote)"}, "remote"),
        (None, {"title": "HYBRID Data Engineer"}, "hybrid"),
        (None, {"title": "Data Engineer, REMOTE or Hybrid"}, "hybrid"),
        (None, {"title": "Remoteness Engineer"}, "unknown"),
        # a field of work, not where it is done
        ("Denver, CO", {"title": "Remote Sensing Scientist"}, "onsite"),
        (None, {"title": "GIS Analyst - Remote-Sensing"}, "unknown"),
        ("Boston, MA", {"title": "Hybrid Cloud Engineer"}, "onsite"),
        (None, {"title": "Remote Sensing Scientist (Remote)"}, "remote"),
        (None, {"title": "Hybrid Cloud Architect - Hybrid"}, "hybrid"),
        (None, {"title": "HYBR\u0130D Engineer"}, "unknown"),  # lowercase: "hybri\u0307d"
        # a negated remote is on site, wherever it is said
        ("Not remote - Austin, TX", {}, "onsite"),
        ("Berlin (no remote)", {}, "onsite"),
        (None, {"work_mode": "Not Remote"}, "onsite"),
        (None, {"work_mode": "non-remote"}, "onsite"),
        (None, {"remote": "Not remote"}, "onsite"),
        (None, {"remote": "No remote"}, "onsite"),
        (None, {"title": "Data Engineer (Not Remote)"}, "onsite"),
        ("Remote", {"title": "Data Engineer - non-remote"}, "onsite"),
    ],
)
def test_work_mode(
    ingest_rules: Rules, location: str | None, extra: dict[str, Any], mode: str
) -> None:
    got = place(ingest_rules, location, **extra)
    assert got["work_mode"] == mode
    assert got["remote"] is (mode == "remote")


def test_remote_country_and_country_column(ingest_rules: Rules) -> None:
    assert place(ingest_rules, "Remote - US")["country"] == "US"
    assert place(ingest_rules, "Anywhere", country="United States")["country"] == "US"
    assert place(ingest_rules, None, country="de")["country"] == "DE"
