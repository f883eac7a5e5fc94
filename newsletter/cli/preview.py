"""`newsletter preview` and `newsletter signals`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from newsletter.cli._app import (
    cell,
    check_output,
    clock_of,
    config_of,
    console,
    output_file_in,
    secrets_of,
    utf8_text,
    warn,
    week_option,
)
from newsletter.util.text import shown_path

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.models import Preferences

#: Where ``preview`` writes by default; its name is the file a folder given as --out gets.
PREVIEW = Path("preview/issue.html")

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


def _picked(
    config: Config, category: list[str] | None, metro: list[str] | None, seniority: list[str] | None
) -> Preferences:
    """The reader's picks, refused (with the closest known value) if the issue never uses one."""
    from newsletter.audience.choices import PreferenceOptions
    from newsletter.data.ingest.rules import load_rules
    from newsletter.models import Preferences

    picked = Preferences(tuple(category or ()), tuple(metro or ()), tuple(seniority or ()))
    if picked.is_default:
        return picked
    return PreferenceOptions.from_rules(load_rules(config.data.rules_dir)).checked(picked)


def preview_cmd(
    ctx: typer.Context,
    *,
    week: WeekOpt = None,
    snapshots: SnapshotsOpt = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="<path>",
            parser=output_file_in(PREVIEW.name),
            help="HTML file to write, a .txt twin beside it; a folder (an existing one, or "
            "one ending in /) gets issue.html in it.",
        ),
    ] = PREVIEW,
    subscriber: Annotated[
        str | None,
        typer.Option(
            "--subscriber",
            help="Render as this subscriber sees it (greeting, filtered rows, signed links).",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", parser=utf8_text, help="Subscriber's name for the greeting."),
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Preferred role category (repeat).")
    ] = None,
    metro: Annotated[
        list[str] | None, typer.Option("--metro", help="Preferred metro (repeat).")
    ] = None,
    seniority: Annotated[
        list[str] | None, typer.Option("--seniority", help="Preferred seniority (repeat).")
    ] = None,
    screenshot: Annotated[
        bool,
        typer.Option(
            "--screenshot",
            help="Also save PNGs at 375 and 600 px (headless Chromium; skipped if none).",
        ),
    ] = False,
) -> None:
    """Render this week's issue to an HTML file and a plain-text twin, and print the path.

    With --subscriber the issue is personalized as that reader gets it: greeting, rows
    filtered by --category/--metro/--seniority, and links with signed tokens.

    Example: [bold]newsletter preview --week 2026-11-23 --subscriber dana@example.com
    --name Dana --metro "New York" --screenshot --out preview/issue.html[/]
    """
    from newsletter.edition.preview import preview, preview_paths
    from newsletter.errors import UsageError
    from newsletter.send.service import preview_reader

    given = [
        f"--{flag}"
        for flag, value in (
            ("name", name),
            ("category", category),
            ("metro", metro),
            ("seniority", seniority),
        )
        if value
    ]
    if subscriber is None and given:  # never ignored: the default issue is no reader's copy
        raise UsageError(
            f"{', '.join(given)} {'shapes' if len(given) == 1 else 'shape'} one reader's copy: "
            "give --subscriber EMAIL too"
        )
    check_output(out, folder=None)
    for path in preview_paths(out):  # the HTML and its twin: neither may be a folder
        check_output(path, folder=False)
    config = config_of(ctx)
    recipient = (
        preview_reader(
            config,
            secrets_of(ctx),
            subscriber,
            name=name,
            preferences=_picked(config, category, metro, seniority),
            clock=clock_of(ctx),
        )
        if subscriber is not None
        else None
    )
    html_path, text_path, signals = preview(config, out, week_option(week), snapshots, recipient)
    # the address and the paths are the user's text: printed as it is, never as markup
    before = signals.previous_week.isoformat() if signals.previous_week else "no earlier week"
    reader = f", as {subscriber}" if subscriber is not None else ""
    console.print(
        cell(f"Issue for week of {signals.week.isoformat()} (vs {before}){reader}"),
        soft_wrap=True,
    )
    console.print(cell(f"text: {shown_path(text_path)}"), soft_wrap=True)
    if screenshot:
        from newsletter.edition.screenshot import BrowserUnavailableError, screenshots

        try:
            for png in screenshots(html_path):
                console.print(cell(f"screenshot: {shown_path(png)}"), soft_wrap=True)
        except BrowserUnavailableError as exc:
            warn(f"screenshots skipped: {exc}")  # the browser's words: escaped, one line
    typer.echo(shown_path(html_path))  # the last line, for scripts: never a raw escape


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
    from newsletter.data.pipeline import build_signals

    config = config_of(ctx)
    s = build_signals(config, week_option(week), snapshots)
    if fmt is OutputFormat.json:
        typer.echo(s.model_dump_json(indent=2))
    else:
        from newsletter.cli.signals_table import signals_tables  # the tables load Babel

        console.print(signals_tables(s, config.newsletter.locale))
