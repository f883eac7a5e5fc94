"""`newsletter sources check|add` and `newsletter collect`: the job boards the newsletter
reads, and the week's collection from them. Heavy modules are imported inside commands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from newsletter.cli._app import (
    cell,
    check_output,
    clock_of,
    config_of,
    console,
    err_console,
    new_app,
    output_folder,
    secrets_of,
    warn,
    week_option,
)

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails
    from rich.progress import Progress, TaskID

    from newsletter.data.collect import BoardRecord, BoardRow, Collected

app = new_app(
    "The job boards `newsletter collect` reads (the \\[collect] sources file).\n\n"
    "Example: [bold]newsletter sources add greenhouse:anthropic --company Anthropic[/]"
)

_CHECK_WORDS = {"ok": "found", "not_found": "not found", "failed": "failing"}
_STATUS_STYLE = {
    "ok": "green",
    "found": "green",
    "empty": "yellow",
    "kept": "yellow",
    "incomplete": "yellow",
    "carried": "yellow",
    "expired": "red",
    "failed": "red",
    "failing": "red",
    "not found": "red",
}


def _progress(total: int, what: str) -> tuple[Progress, TaskID]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        # drawn on a terminal only: on a log it shows nothing but an empty line when stopped
        disable=not err_console.is_interactive,
    )
    return progress, progress.add_task(what, total=total)


@app.command("check")
def check_cmd(
    ctx: typer.Context,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Only the boards with this tag.")
    ] = None,
) -> None:
    """Fetch each board once and say whether it was found, with its number of jobs.

    Writes nothing; exits 1 when a board is not found, failing or read only in part.

    Example: [bold]newsletter sources check --tag frontier-lab[/]
    """
    from newsletter.data.collect import check_sources, load_sources, none_listed
    from newsletter.errors import CollectError

    config = config_of(ctx)
    listed = load_sources(config.collect.sources)
    sources = [s for s in listed if set(tag) & set(s.tags)] if tag else listed
    if not sources:
        tags = ", ".join(sorted({t for s in listed for t in s.tags})) or "none"
        raise CollectError(
            f"no source in {config.collect.sources} has the tag {' or '.join(tag)} "
            f"(its tags: {tags})"
            if tag and listed
            else f"no sources to check: {none_listed(config.collect.sources)}"
        )
    progress, task = _progress(len(sources), "checking boards")
    with progress:
        records = check_sources(
            config,
            sources,
            clock=clock_of(ctx),
            on_board=lambda _r: progress.advance(task),
        )
    _print(_check_table(records))
    if any(not r.ok or r.incomplete for r in records):
        raise typer.Exit(1)


def _check_table(records: Sequence[BoardRecord]) -> Table:
    t = Table(title="Job boards")
    _columns(t, [r.key for r in records], ("company", "left"), ("result", "left"),
             ("jobs", "right"), ("pages", "right"), ("why", "left"))  # fmt: skip
    for r in records:
        word = "incomplete" if r.ok and r.incomplete else _CHECK_WORDS[r.status]
        style = _STATUS_STYLE[word]
        if r.status == "not_found" and r.http_status:
            word = f"not found ({r.http_status})"
        t.add_row(
            cell(r.key),
            cell(r.company),
            cell(word, style),
            cell(f"{r.jobs:,}" if r.ok else ""),
            cell(r.pages if r.ok else ""),
            cell(r.incomplete or r.reason),
        )
    return t


#: The option of `sources add` that gives each field of a source.
_ADD_OPTIONS = {"company": "--company", "tags": "--tag", "url": "--url", "format": "--format"}


def _option_problem(error: ErrorDetails) -> str:
    """A source's problem as `sources add` words it: headed by the option that gave the
    value (``--company: must be 1 to 120 printable characters``; the bare message did not
    say which value was wrong)."""
    message = str(error["msg"]).removeprefix("Value error, ")
    option = _ADD_OPTIONS.get(str(error["loc"][0])) if error["loc"] else None
    return f"{option}: {message}" if option else message


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    *,
    spec: Annotated[str, typer.Argument(help="ATS:BOARD, e.g. greenhouse:anthropic.")],
    company: Annotated[
        str | None, typer.Option("--company", help="Display name (required but for url).")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="For url:NAME, where the export lives.")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="For url:NAME, the export's format.")
    ] = None,
) -> None:
    """Add a board to the sources file (created when missing; comments are kept).

    Check it afterwards with `newsletter sources check`.

    Example: [bold]newsletter sources add lever:mistral --company "Mistral AI" --tag europe[/]
    """
    from pydantic import ValidationError

    from newsletter.data.collect import Source, add_source, parse_spec
    from newsletter.errors import CollectError
    from newsletter.util.text import shown_value

    config = config_of(ctx)
    ats, board = parse_spec(spec)
    try:
        source = Source.model_validate(
            {
                "ats": ats,
                "board": board,
                "company": company,
                "tags": tuple(tag or ()),
                "url": url,
                "format": fmt,
            }
        )
    except ValidationError as exc:
        problems = "; ".join(map(_option_problem, exc.errors()))
        raise CollectError(f"{shown_value(spec)}: {problems}") from None
    add_source(config.collect.sources, source)
    console.print(
        Text(
            f"added {source.label} to {config.collect.sources}; "
            "check it with `newsletter sources check`"
        )
    )


def collect_cmd(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(
            "--week",
            help="Any day of the week to collect (default: the week of the next issue); "
            "a week that has ended only with --replay, none more than a week ahead.",
        ),
    ] = None,
    replay: Annotated[
        bool,
        typer.Option(
            "--replay", help="Rebuild the week from its saved raw responses (no network)."
        ),
    ] = False,
    snapshots: Annotated[
        Path | None,
        typer.Option(
            "--snapshots",
            metavar="<path>",
            parser=output_folder,
            help="Snapshot folder (default: \\[data] snapshots_dir).",
        ),
    ] = None,
) -> None:
    """Fetch every board of the sources file and write the week's snapshot.

    Raw answers are kept gzip-compressed in DIR/raw/YYYY-MM-DD/ (with manifest.json); the
    snapshot, rejects and report are built by the ingest pipeline and replace the week's
    files atomically. A board that fails keeps this week's earlier answer when the week was
    collected before, else is carried forward from its last good week (at most
    \\[collect] carry_forward_weeks), and is named in the data-health note; the command then
    exits 1. A week that has ended is only rebuilt with --replay.

    Example: [bold]newsletter collect --week 2026-11-23[/]
    """
    from newsletter.data.collect import load_sources
    from newsletter.data.snapshots import snapshot_path
    from newsletter.send.operations import collect_week
    from newsletter.send.schedule import collect_week as week_to_collect

    check_output(snapshots, folder=True)
    config = config_of(ctx)
    if snapshots is not None:
        config = config.model_copy(
            update={"data": config.data.model_copy(update={"snapshots_dir": snapshots})}
        )
    clock, secrets = clock_of(ctx), secrets_of(ctx)
    the_week = week_option(week) or week_to_collect(
        clock.now(),
        config.schedule,
        lambda w: snapshot_path(config.data.snapshots_dir, w).exists(),
    )
    if replay:
        done = collect_week(config, secrets, the_week, clock=clock, warn=warn, replay=True)
    else:
        sources = load_sources(config.collect.sources)
        progress, task = _progress(max(len(sources), 1), f"collecting {the_week.isoformat()}")
        with progress:
            done = collect_week(
                config,
                secrets,
                the_week,
                clock=clock,
                warn=warn,
                sources=sources,
                on_board=lambda _r: progress.advance(task),
            )
    _print(_collect_table(done))
    _exit_if_failed(done.boards)


def _exit_if_failed(rows: Sequence[BoardRow]) -> None:
    """Exit 1, after one line naming them, when boards failed (the snapshot is written
    with what answered: a cron job must still learn that some did not)."""
    from newsletter.send.monitor import FAILED_BOARDS

    failed = [r for r in rows if r.status in FAILED_BOARDS or r.status == "incomplete"]
    if not failed:
        return
    named = ", ".join(f"{r.key} {r.status}" for r in failed[:5])
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    warn(f"{len(failed)} of {len(rows)} boards failed ({named}{more}); see the table")
    raise typer.Exit(1)


def _collect_table(done: Collected) -> Table:
    t = Table(title=f"Collection, week of {done.week.isoformat()}")
    _columns(t, [row.key for row in done.boards], ("company", "left"), ("status", "left"),
             ("postings", "right"), ("change", "right"), ("why", "left"))  # fmt: skip
    for row in done.boards:
        t.add_row(
            cell(row.key),
            cell(row.company),
            cell(row.status, _STATUS_STYLE.get(row.status, "")),
            cell(f"{row.postings:,}"),
            cell(_change(row)),
            cell(row.reason if row.status != "ok" else ""),
        )
    r = done.report
    t.caption = cell(
        f"{r.kept:,} postings kept, {r.carried:,} carried, {r.rejected:,} rejected, "
        f"{r.duplicates:,} duplicates · snapshot {done.written.snapshot}"
    )
    return t


#: The widest a table is printed when the output is not a terminal (a cron log).
_LOG_WIDTH = 400


def _print(table: Table) -> None:
    """A table on a terminal, folded to its width; in a log (not a terminal), as wide as
    its longest row needs, so no row is wrapped or cut (a board's key is what the operator
    greps for)."""
    if console.is_terminal:
        console.print(table)
        return
    from rich.console import Console

    wide = console.measure(table, options=console.options.update(width=_LOG_WIDTH))
    log = Console(file=console.file, width=max(wide.maximum, console.width), emoji=False)
    log.print(table)


#: The width the ``source`` column keeps before the others give way (most keys fit whole).
_KEY_WIDTH = 24


def _columns(t: Table, keys: Sequence[str], *others: tuple[str, str]) -> None:
    """Columns that never cut a value, whatever the width (a cron log is 80 columns wide):
    the ``source`` keeps up to :data:`_KEY_WIDTH` characters and folds a longer key onto
    the next line whole; status words and counts stay on one line; names and reasons
    wrap."""
    widest = max((len(k) for k in keys), default=6)
    t.add_column("source", justify="left", overflow="fold", min_width=min(widest, _KEY_WIDTH))
    for name, justify in others:
        short = justify == "right" or name in ("status", "result")
        t.add_column(
            name,
            justify=justify,  # type: ignore[arg-type]
            overflow="fold",
            no_wrap=short,
            min_width=len(name) if short else None,
        )


def _change(row: BoardRow) -> str:
    if row.before is None:
        return ""
    diff = row.postings - row.before
    return f"{diff:+,}" if diff else "0"
