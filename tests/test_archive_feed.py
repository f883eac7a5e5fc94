"""The web archive: the Atom feed (validated by parsing it back), each week's signals JSON
beside its page, the methodology page from docs/signals.md, all served by `newsletter serve`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from newsletter.audience.subscribers import SubscriberStore
from newsletter.config import Config, parse_config
from newsletter.data.pipeline import build_signals
from newsletter.data.signals.models import DEFINITION_VERSION, Signals
from newsletter.edition.archive import ArchiveResult, build_archive, default_archive_dir
from newsletter.edition.feed import FeedItem, atom_feed
from newsletter.edition.methodology import render_methodology, slug
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from tests.conftest import REPO
from tests.web_support import site as make_site

ATOM = "{http://www.w3.org/2005/Atom}"
WEEKS = sorted(date.fromisoformat(p.stem) for p in (REPO / "snapshots").glob("*.parquet"))
#: The latest bundled week's send time (Monday 2026-11-23 07:30 New York): every week is out.
SENT = FixedClock(datetime(2026, 11, 23, 12, 30, tzinfo=UTC))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, ArchiveResult]:
    root = tmp_path_factory.mktemp("archive")
    config = parse_config(
        {
            "newsletter": {"base_url": "https://news.example.com", "title": "AI Jobs Weekly",
                           "postal_address": "1 Example St, Springfield"},
            "data": {"snapshots_dir": str(REPO / "snapshots"), "state_dir": str(root)},
            "database": {"url": f"sqlite:///{root / 'db.sqlite'}"},
            "schedule": {"timezone": "America/New_York", "time": "07:30:00"},
        }
    )  # fmt: skip
    return config, build_archive(config, clock=SENT)


def test_the_feed_is_valid_atom_listing_every_issue_newest_first(
    built: tuple[Config, ArchiveResult],
) -> None:
    config, result = built
    assert result.feed is not None
    raw = result.feed.read_bytes()
    parsed = feedparser.parse(raw)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "AI Jobs Weekly"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {
        "alternate": "https://news.example.com/archive/",
        "self": "https://news.example.com/archive/feed.xml",
    }
    urls = [e.link for e in parsed.entries]
    assert urls == [
        f"https://news.example.com/archive/{w.isoformat()}.html" for w in reversed(WEEKS)
    ]
    newest = parsed.entries[0]
    assert newest.id == urls[0] and newest.title.startswith("AI jobs, week of Nov 23")
    assert newest.summary.startswith("Open roles fell")
    # the send time, 07:30 in New York, as the entry's time (never the wall clock)
    assert newest.published == "2026-11-23T12:30:00+00:00" == newest.updated
    assert parsed.feed.updated == newest.updated
    # the Atom 1.0 elements every entry must have (RFC 4287 §4.1.2)
    doc = etree.fromstring(raw)
    assert doc.tag == f"{ATOM}feed"
    for entry in doc.iter(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}") is not None
    # the same weeks give the same bytes
    assert build_archive(config, result.index.parent / "again", clock=SENT).feed.read_bytes() == raw  # type: ignore[union-attr]


def test_feed_text_is_escaped_and_an_empty_archive_is_still_a_feed(email_config: Config) -> None:
    evil = FeedItem(WEEKS[-1], "Pay <b>&</b> roles ]]>", "Summary with <script>x</script>",
                    "https://news.example.com/archive/x.html?a=1&b=2")  # fmt: skip
    parsed = feedparser.parse(atom_feed(email_config, [evil]))
    assert parsed.bozo == 0
    assert parsed.entries[0].title == "Pay <b>&</b> roles ]]>"
    assert parsed.entries[0].link == "https://news.example.com/archive/x.html?a=1&b=2"
    empty = feedparser.parse(atom_feed(email_config, []))
    assert empty.bozo == 0 and empty.entries == [] and empty.feed.updated.startswith("1970")


def test_each_week_publishes_its_signals_json_beside_its_page(
    built: tuple[Config, ArchiveResult],
) -> None:
    config, result = built
    out = result.index.parent
    assert sorted(p.stem for p in out.glob("2*.json")) == [w.isoformat() for w in WEEKS]
    latest = Signals.model_validate_json((out / f"{WEEKS[-1].isoformat()}.json").read_text())
    assert latest == build_signals(config, WEEKS[-1])
    assert latest.definition_version == DEFINITION_VERSION == "7"
    index = result.index.read_text(encoding="utf-8")
    assert f'href="{WEEKS[-1].isoformat()}.json"' in index
    assert (
        'type="application/atom+xml"' in index
        and "https://news.example.com/archive/feed.xml" in index
    )


def test_the_methodology_page_renders_the_shipped_signals_doc(
    built: tuple[Config, ArchiveResult],
) -> None:
    _, result = built
    assert result.methodology is not None
    page = result.methodology.read_text(encoding="utf-8")
    assert "<h1" in page and "Market signals: the JSON contract" in page
    assert page.count("<table") >= 10 and "<th scope" not in page.split("<main>")[0]
    for anchor in set(re.findall(r'href="#([^"]+)"', page)):  # the doc's own links resolve
        assert f'id="{anchor}"' in page, anchor
    assert "<!--" not in page.split("<main>", 1)[1]  # generator markers dropped
    assert (result.index.parent / "signals.schema.json").read_text() == (
        REPO / "docs" / "signals.schema.json"
    ).read_text()
    # every issue's footer links to it, in both parts
    latest = result.pages[-1]
    assert 'href="https://news.example.com/archive/methodology.html"' in latest.read_text()
    assert "How we measure: https://news.example.com/archive/methodology.html" in (
        latest.with_suffix(".txt").read_text()
    )


def test_methodology_rendering_keeps_raw_html_out() -> None:
    html = render_methodology("# Title: a `code` (x)\n\n<script>alert(1)</script>\n\n## Title: a\n")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<h1 id="title-a-code-x">' in html and '<h2 id="title-a">' in html
    assert slug("Gates (one place: `x.py`)") == "gates-one-place-xpy"


def test_serve_gives_the_feed_as_atom_and_the_json_and_methodology(
    built: tuple[Config, ArchiveResult], serve_app: Callable[[Any], str]
) -> None:
    config, _ = built
    with open_store(config) as db, make_site(config, SubscriberStore(db), serve_app) as site:
        assert default_archive_dir(config).is_dir()
        feed = site.get("/archive/feed.xml")
        assert feed.status_code == 200
        assert feed.headers["content-type"] == "application/atom+xml"
        assert feedparser.parse(feed.content).version == "atom10"
        data = site.get(f"/archive/{WEEKS[-1].isoformat()}.json")
        assert data.status_code == 200 and data.headers["content-type"] == "application/json"
        assert data.json()["week"] == WEEKS[-1].isoformat()
        assert site.get("/archive/methodology.html").status_code == 200
        site.mailer.close()


def test_only_issues_whose_time_has_come_are_published(
    built: tuple[Config, ArchiveResult], tmp_path: Path
) -> None:
    """A snapshot of a week whose issue is not out yet is not in the archive or the feed;
    the issue time is the configured send day's."""
    import shutil

    from newsletter.edition.feed import issue_time

    config, _ = built
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    for week in ("2026-11-16", "2026-11-23"):
        shutil.copy(REPO / "snapshots" / f"{week}.parquet", snaps / f"{week}.parquet")
    before = FixedClock(datetime(2026, 11, 23, 12, 29, tzinfo=UTC))  # a minute before 07:30 NY
    result = build_archive(config, tmp_path / "out", snaps, clock=before)
    assert [e.week.isoformat() for e in result.entries] == ["2026-11-16"]
    assert result.feed is not None and b"2026-11-23" not in result.feed.read_bytes()
    sunday = config.model_copy(
        update={"schedule": config.schedule.model_copy(update={"day": "sun"})}
    )
    assert issue_time(sunday, date(2026, 11, 23)) == datetime(2026, 11, 29, 12, 30, tzinfo=UTC)
    on_monday = FixedClock(datetime(2026, 11, 24, 0, 0, tzinfo=UTC))
    result = build_archive(sunday, tmp_path / "out2", snaps, clock=on_monday)
    assert [e.week.isoformat() for e in result.entries] == ["2026-11-16"]


def test_published_weeks_stay_listed_and_a_lost_index_is_rebuilt(tmp_path: Path) -> None:
    """A week whose snapshot is gone kept its page but left the index and feed (the page
    readers got, unlinked); an unreadable entries.json made the next send's publication
    list its own week alone."""
    import json
    import shutil

    from newsletter.edition.archive import ENTRIES_FILE

    snaps = tmp_path / "snaps"
    shutil.copytree(REPO / "snapshots", snaps)
    config = parse_config(
        {"newsletter": {"base_url": "https://news.example.com"},
         "data": {"snapshots_dir": str(snaps), "state_dir": str(tmp_path)},
         "schedule": {"timezone": "America/New_York", "time": "07:30:00"}}
    )  # fmt: skip
    out = default_archive_dir(config)
    build_archive(config, clock=SENT)
    (snaps / f"{WEEKS[0].isoformat()}.parquet").unlink()
    again = build_archive(config, clock=SENT)
    assert [e.week for e in again.entries] == list(reversed(WEEKS))  # the first one included
    (out / ENTRIES_FILE).write_text('{"bad": ', encoding="utf-8")
    one = build_archive(config, clock=SENT, weeks=(WEEKS[-1],))
    assert len(one.entries) == len(WEEKS) - 1  # every week with a snapshot, rebuilt
    listed = json.loads((out / ENTRIES_FILE).read_text(encoding="utf-8"))
    assert len(listed) == len(WEEKS) - 1


def test_feed_text_never_holds_what_xml_refuses_or_a_reader_should_not_get(
    email_config: Config,
) -> None:
    """The config's words and an issue's text reach the feed as the issue prints them: a
    control character (a TOML ``\\u000b``, a noncharacter) stopped the whole archive (lxml
    takes none: "All strings must be XML compatible"), and a bidi override reversed what
    follows it in every feed reader."""
    n = email_config.newsletter.model_copy(
        update={"title": "AI\x0bJobs\ufffe Weekly", "tagline": "Every\x01 Monday \u202eevil"}
    )
    config = email_config.model_copy(update={"newsletter": n})
    item = FeedItem(WEEKS[-1], "Week\x1f of\x00 Nov 23", "Open roles\x0c rose \u2066 12%\u2069.",
                    "https://news.example.com/archive/x.html")  # fmt: skip
    data = atom_feed(config, [item])
    etree.fromstring(data)  # well-formed XML
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0
    assert parsed.feed.title == "AI Jobs Weekly" and parsed.feed.subtitle == "Every Monday evil"
    assert parsed.entries[0].title == "Week of Nov 23"
    assert parsed.entries[0].summary == "Open roles rose  12%."


def test_a_week_that_cannot_be_rendered_leaves_the_archive_as_it_was(
    built: tuple[Config, ArchiveResult], tmp_path: Path
) -> None:
    """A broken snapshot of the latest week stopped `newsletter archive` after the earlier
    weeks' pages were written: a new folder held pages and no index, an existing archive
    had half its pages refreshed. Every week is rendered before a file is written, so the
    archive is as it was: none in a new folder, the same bytes in an existing one."""
    import shutil

    from newsletter.errors import NewsletterError

    config, _ = built
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    for week in ("2026-11-09", "2026-11-16", "2026-11-23"):
        shutil.copy(REPO / "snapshots" / f"{week}.parquet", snaps / f"{week}.parquet")
    out = tmp_path / "out"
    build_archive(config, out, snaps, clock=SENT)
    before = {p: p.read_bytes() for p in out.iterdir()}
    broken = snaps / "2026-11-23.parquet"
    broken.write_bytes(broken.read_bytes()[:1000])
    shutil.copy(REPO / "snapshots" / "2026-11-02.parquet", snaps / "2026-11-02.parquet")
    for folder in (out, tmp_path / "new"):
        with pytest.raises((NewsletterError, OSError)):
            build_archive(config, folder, snaps, clock=SENT)
    assert {p: p.read_bytes() for p in out.iterdir()} == before
    assert not (tmp_path / "new").exists() or not list((tmp_path / "new").iterdir())
