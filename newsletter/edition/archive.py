"""The static web archive: one page per past week plus an index ("view in browser" target),
the Atom feed, each week's signals and the methodology.

Pages are the public version of each issue (no personal links, default rows, the best-paid
new roles), written to ``<out>/<YYYY-MM-DD>.html`` with a ``.txt`` twin and the week's
signals JSON beside it (``<YYYY-MM-DD>.json``, the contract of docs/signals.md);
``<out>/index.html`` lists every issue, newest first; ``<out>/feed.xml`` is their Atom feed
(:mod:`newsletter.edition.feed`); ``<out>/methodology.html`` is docs/signals.md rendered
(:mod:`newsletter.edition.methodology`), with ``signals.schema.json`` beside it, and every
issue's footer links to it. The URLs are ``{base_url}/archive/<file>`` (see
:func:`newsletter.edition.view.archive_url`); serve the folder there (``newsletter serve``
does).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from markupsafe import Markup

from newsletter.config import Config
from newsletter.data.snapshots import list_weeks
from newsletter.edition.feed import FEED_FILE, FeedItem, atom_feed, feed_url, published
from newsletter.edition.formatting import Formatter
from newsletter.edition.issue import compile_week
from newsletter.edition.methodology import (
    METHODOLOGY_FILE,
    SCHEMA,
    methodology_source,
    render_methodology,
    schema_source,
)
from newsletter.edition.palette import web_css
from newsletter.edition.render import render_template
from newsletter.edition.view import archive_url, methodology_url
from newsletter.errors import SnapshotNotFoundError
from newsletter.util.clock import SYSTEM_CLOCK, Clock
from newsletter.util.files import atomic_write_bytes, atomic_write_text, replacing_all


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    week: date
    week_label: str
    subject: str
    summary: str
    file: str
    url: str
    quiet: bool
    signals_file: str = ""


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    index: Path
    pages: tuple[Path, ...]
    entries: tuple[ArchiveEntry, ...]
    feed: Path | None = None
    methodology: Path | None = None


def default_archive_dir(config: Config) -> Path:
    return config.data.state_dir / "archive"


#: The index's entries, kept beside the pages so one week can be published on its own.
ENTRIES_FILE = "entries.json"


def _entry_json(e: ArchiveEntry) -> dict[str, object]:
    return {**{k: getattr(e, k) for k in ArchiveEntry.__slots__}, "week": e.week.isoformat()}


def _kept_entries(out: Path) -> dict[date, ArchiveEntry] | None:
    """The entries of earlier builds whose page is still there; None when there is no
    readable index of them (none yet, or not ours)."""
    try:
        raw = json.loads((out / ENTRIES_FILE).read_text(encoding="utf-8"))
        kept = [ArchiveEntry(**{**r, "week": date.fromisoformat(r["week"])}) for r in raw]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return {e.week: e for e in kept if (out / e.file).is_file()}


def build_archive(
    config: Config,
    out_dir: Path | None = None,
    snapshots_dir: Path | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    weeks: Collection[date] | None = None,
) -> ArchiveResult:
    """Render every snapshot week whose issue time has come (``feed.issue_time`` at or
    before ``clock.now()``) into ``out_dir`` and write the index and the feed; a later
    week's snapshot is not published yet. With ``weeks``, only those are rendered (the send
    publishes the issue it sends: its "view in browser" link), unless the folder has no
    readable index of earlier builds (:data:`ENTRIES_FILE`): then every week is. The index
    keeps every week published before whose page is there, its snapshot gone or not."""
    out = out_dir or default_archive_dir(config)
    directory = snapshots_dir or config.data.snapshots_dir
    f = Formatter(config.newsletter.locale)
    pages: list[Path] = []
    now = clock.now()
    every = list_weeks(directory)
    shown = [w for w in every if published(config, w, now)]
    kept = _kept_entries(out)
    if not every and not kept:  # the wrong folder, most likely: an empty archive is no answer
        raise SnapshotNotFoundError(
            f"no snapshots (YYYY-MM-DD.parquet) in {directory}: no issue to publish"
        )
    if kept is None:  # no index of earlier builds to keep: every published week, once
        kept, weeks = {}, None
    # a week published before stays listed with its page (what its readers got), even once
    # its snapshot is gone; a week not due yet never is
    by_week = {w: e for w, e in kept.items() if published(config, w, now)}
    # every week is rendered before a file is written: a snapshot that cannot be read or
    # rendered stops the build with the archive as it was, not half of it refreshed (or,
    # in a new folder, pages without an index)
    files: list[tuple[Path, str, str, str]] = []
    for week in [w for w in shown if weeks is None or w in weeks]:
        issue = compile_week(config, week, directory)
        body = issue.public()
        name = f"{week.isoformat()}.html"
        page = out / name
        files.append((page, body.html, body.text, issue.signals.model_dump_json(indent=2)))
        pages.append(page)
        by_week[week] = ArchiveEntry(
            week=week,
            week_label=f.day(week, "EEEE MMM d, y"),
            subject=issue.subject,
            summary=" ".join(issue.view.summary_text[:2]),
            file=name,
            url=archive_url(config.newsletter.base_url, week),
            quiet=issue.view.quiet,
            signals_file=f"{week.isoformat()}.json",
        )
    for page, html_text, plain, signals_json in files:
        with replacing_all(page, page.with_suffix(".txt"), page.with_suffix(".json")) as tmp:
            for path, text in zip(tmp, (html_text, plain, signals_json), strict=True):
                path.write_bytes(text.encode("utf-8"))
    entries = [by_week[w] for w in sorted(by_week)]
    atomic_write_text(out / ENTRIES_FILE, json.dumps([_entry_json(e) for e in entries], indent=1))
    entries.reverse()
    nl = config.newsletter
    common = {"title": nl.title, "tagline": nl.tagline, "subscribe_url": f"{nl.base_url}/subscribe",
              "postal_address": nl.postal_address, "feed_url": feed_url(config),
              "methodology_url": methodology_url(nl.base_url),
              "palette": Markup(web_css())}  # fmt: skip
    index = out / "index.html"
    html = render_template(
        "archive/index.html.j2", {**common, "entries": entries}, config.email.templates_dir
    )
    atomic_write_text(index, html)
    feed = out / FEED_FILE
    items = [FeedItem(e.week, e.subject, e.summary, e.url) for e in entries]
    atomic_write_bytes(feed, atom_feed(config, items))
    methodology = out / METHODOLOGY_FILE
    method = render_methodology(methodology_source())
    page_html = render_template(
        "archive/methodology.html.j2", {**common, "body": method}, config.email.templates_dir
    )
    atomic_write_text(methodology, page_html)
    atomic_write_text(out / SCHEMA, schema_source())
    return ArchiveResult(
        index=index,
        pages=tuple(pages),
        entries=tuple(entries),
        feed=feed,
        methodology=methodology,
    )
