"""The weekly pipeline, reading like a table of contents: snapshots -> signals -> issue."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from newsletter.config import Config
from newsletter.issue import RenderedIssue, render_issue
from newsletter.models import Recipient
from newsletter.signals import Signals, compute_signals
from newsletter.snapshots import atomic_write_text, read_snapshot, resolve_weeks


def build_signals(
    config: Config, week: date | None = None, snapshots_dir: Path | None = None
) -> Signals:
    """Signals for ``week`` (default: the latest snapshot) against the latest earlier one."""
    directory = snapshots_dir or config.data.snapshots_dir
    pair = resolve_weeks(directory, week)
    current = read_snapshot(directory, pair.week)
    previous = read_snapshot(directory, pair.previous) if pair.previous else None
    return compute_signals(
        current,
        previous,
        week=pair.week,
        previous_week=pair.previous,
        top_n=config.email.top_n,
    )


def write_preview(issue: RenderedIssue, out: Path) -> tuple[Path, Path]:
    """Write the HTML and its plain-text twin (same name, ``.txt``) atomically."""
    html_path = out if out.suffix.lower() in {".html", ".htm"} else out.with_suffix(".html")
    text_path = html_path.with_suffix(".txt")
    atomic_write_text(html_path, issue.html)
    atomic_write_text(text_path, issue.text)
    return html_path, text_path


def preview(
    config: Config,
    out: Path,
    week: date | None = None,
    snapshots_dir: Path | None = None,
    recipient: Recipient | None = None,
) -> tuple[Path, Path, Signals]:
    """Render the week's issue (for ``recipient``, else a preview stand-in) to HTML + text."""
    signals = build_signals(config, week, snapshots_dir)
    issue = render_issue(signals, config, recipient)
    html_path, text_path = write_preview(issue, out)
    return html_path, text_path, signals
