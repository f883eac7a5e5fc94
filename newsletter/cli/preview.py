"""`newsletter preview` and `newsletter signals`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from newsletter.cli._app import config_of, console, week_option
from newsletter.cli.signals_table import signals_tables
from newsletter.pipeline import build_signals, preview

WeekOpt = Annotated[
    str | None,
    typer.Option("--week", help="Any day of the week to report on (default: latest snapshot)."),
]
SnapshotsOpt = Annotated[
    Path | None,
    typer.Option(
        "--snapshots", help="Folder of weekly snapshots (default: \\[data] snapshots_dir)."
    ),
]


def preview_cmd(
    ctx: typer.Context,
    week: WeekOpt = None,
    snapshots: SnapshotsOpt = None,
    out: Annotated[
        Path, typer.Option("--out", help="HTML file to write; a .txt twin is written beside it.")
    ] = Path("preview/issue.html"),
) -> None:
    """Render this week's issue to an HTML file and a plain-text twin, and print the path.

    Example: [bold]newsletter preview --week 2026-11-23 --out preview/issue.html[/]
    """
    config = config_of(ctx)
    html_path, text_path, signals = preview(config, out, week_option(week), snapshots)
    console.print(
        f"Issue for week of {signals.week.isoformat()} "
        f"(vs {signals.previous_week.isoformat() if signals.previous_week else 'no earlier week'})"
    )
    console.print(f"text: {text_path}", highlight=False)
    typer.echo(str(html_path))


class OutputFormat(StrEnum):
    json = "json"
    table = "table"


def signals_cmd(
    ctx: typer.Context,
    week: WeekOpt = None,
    snapshots: SnapshotsOpt = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="json for machines, table for people.")
    ] = OutputFormat.table,
) -> None:
    """Compute the week's market signals and print them.

    Example: [bold]newsletter signals --format json > signals.json[/]
    """
    config = config_of(ctx)
    s = build_signals(config, week_option(week), snapshots)
    if fmt is OutputFormat.json:
        typer.echo(s.model_dump_json(indent=2))
    else:
        console.print(signals_tables(s, config.newsletter.locale))
