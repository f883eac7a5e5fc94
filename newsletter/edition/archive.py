"""The static web archive: one page per past week plus an index ("view in browser" target).

Pages are the public version of each issue (no personal links, default rows), written to
``<out>/<YYYY-MM-DD>.html`` with a ``.txt`` twin; ``<out>/index.html`` lists every issue,
newest first. The URLs are ``{base_url}/archive/<YYYY-MM-DD>.html`` and ``{base_url}/archive/``
(see :func:`newsletter.edition.view.archive_url`); serve the folder there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from markupsafe import Markup

from newsletter.config import Config
from newsletter.data.pipeline import build_signals
from newsletter.data.snapshots import list_weeks
from newsletter.edition.formatting import Formatter
from newsletter.edition.issue import compile_issue
from newsletter.edition.palette import web_css
from newsletter.edition.render import render_template
from newsletter.edition.view import archive_url
from newsletter.util.files import atomic_write_text


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    week: date
    week_label: str
    subject: str
    summary: str
    file: str
    url: str
    quiet: bool


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    index: Path
    pages: tuple[Path, ...]
    entries: tuple[ArchiveEntry, ...]


def default_archive_dir(config: Config) -> Path:
    return config.data.state_dir / "archive"


def build_archive(
    config: Config, out_dir: Path | None = None, snapshots_dir: Path | None = None
) -> ArchiveResult:
    """Render every snapshot week into ``out_dir`` and write the index."""
    out = out_dir or default_archive_dir(config)
    directory = snapshots_dir or config.data.snapshots_dir
    f = Formatter(config.newsletter.locale)
    entries: list[ArchiveEntry] = []
    pages: list[Path] = []
    for week in list_weeks(directory):
        signals = build_signals(config, week, directory)
        issue = compile_issue(signals, config)
        body = issue.public()
        name = f"{week.isoformat()}.html"
        page = out / name
        atomic_write_text(page, body.html)
        atomic_write_text(page.with_suffix(".txt"), body.text)
        pages.append(page)
        entries.append(
            ArchiveEntry(
                week=week,
                week_label=f.day(week, "EEEE MMM d, y"),
                subject=issue.subject,
                summary=" ".join(issue.view.summary_text[:2]),
                file=name,
                url=archive_url(config.newsletter.base_url, week),
                quiet=issue.view.quiet,
            )
        )
    entries.reverse()
    index = out / "index.html"
    html = render_template(
        "archive/index.html.j2",
        {"title": config.newsletter.title, "tagline": config.newsletter.tagline,
         "entries": entries, "subscribe_url": f"{config.newsletter.base_url}/subscribe",
         "postal_address": config.newsletter.postal_address, "palette": Markup(web_css())},
        config.email.templates_dir,
    )  # fmt: skip
    atomic_write_text(index, html)
    return ArchiveResult(index=index, pages=tuple(pages), entries=tuple(entries))
