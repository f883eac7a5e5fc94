"""The preview: one week's issue for one reader, written to an HTML file and a text twin."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from newsletter.config import Config
from newsletter.data.signals.models import Signals
from newsletter.edition.issue import check_size, compile_week, preview_recipient
from newsletter.models import IssueContent, Recipient
from newsletter.util.files import replacing_all


def preview_paths(out: Path) -> tuple[Path, Path]:
    """Where a preview asked for at ``out`` is written: the HTML and its plain-text twin
    (same name, ``.txt``); ``out`` an existing folder gets ``issue.html`` and ``issue.txt``
    inside it."""
    if out.is_dir():
        out = out / "issue.html"
    html_path = out if out.suffix.lower() in {".html", ".htm"} else out.with_suffix(".html")
    return html_path, html_path.with_suffix(".txt")


def write_preview(issue: IssueContent, out: Path) -> tuple[Path, Path]:
    """Write the HTML and its plain-text twin (:func:`preview_paths`) together: both or
    neither (a twin that cannot be written, a folder of that name, stops the HTML too)."""
    html_path, text_path = preview_paths(out)
    with replacing_all(html_path, text_path) as (html_tmp, text_tmp):
        html_tmp.write_bytes(issue.html.encode("utf-8"))
        text_tmp.write_bytes(issue.text.encode("utf-8"))
    return html_path, text_path


def preview(
    config: Config,
    out: Path,
    week: date | None = None,
    snapshots_dir: Path | None = None,
    recipient: Recipient | None = None,
) -> tuple[Path, Path, Signals]:
    """Render the week's issue (for ``recipient``, else a preview stand-in) to HTML + text:
    every section, the reader's new roles and the editor's note included."""
    compiled = compile_week(config, week, snapshots_dir)
    issue = compiled.personalize(recipient or preview_recipient(config))
    check_size(issue.html, config.email.max_html_bytes)
    html_path, text_path = write_preview(issue, out)
    return html_path, text_path, compiled.signals
