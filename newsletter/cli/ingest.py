"""`newsletter ingest`: raw exports -> this week's canonical snapshot, rejects and report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from newsletter.cli._app import (
    cell,
    check_output,
    clock_of,
    config_of,
    console,
    err_console,
    output_folder,
    secrets_of,
    warn,
)
from newsletter.config import SOURCE_MAX
from newsletter.models import Format
from newsletter.util.weeks import parse_week

if TYPE_CHECKING:
    from newsletter.data.ingest import IngestReport, Written


class SourceKindOption(StrEnum):
    """``--kind``: newsletter.models.SourceKind as a command-line choice."""

    stock = "stock"
    new = "new"


#: Where a pay currency came from when no field or text named it (``currency_source``), in
#: the table's words.
_CURRENCY_FROM = {
    "place_dollar": "a bare $ read as the local dollar",
    "place": "not named: the posting's country's",
    "site": "not named: the job board's country site's",
    # a pay field's amounts without a currency field stay US dollars wherever the posting is
    # (an aggregator's salary_year_avg): "country unknown" was said of 32,666 postings whose
    # country was known
    "assumed_usd": "not named, none from the place: US dollars",
}
#: Where an employment type was read (``employment_source``), in the table's words.
_EMPLOYMENT_FROM = {"explicit": "an employment field", "title": "the title", "pay": "the pay text"}


def report_table(report: IngestReport, written: Written | None, locale: str) -> Table:
    """The ingest report for people: every row accounted for, then coverage."""
    from newsletter.edition.formatting import Formatter

    f = Formatter(locale)
    t = Table(title=f"Ingest, week of {report.week.isoformat()}")
    t.add_column("")
    t.add_column("rows", justify="right")
    t.add_column("share", justify="right")

    def row(label: str, n: int, total: int | None = None) -> None:
        t.add_row(cell(label), f.count(n), f.pct(n / total) if total else "")

    row("rows read", report.rows_read)
    row("kept", report.kept, report.rows_read)
    row("rejected", report.rejected, report.rows_read)
    for reason, n in report.rejected_by_reason.items():
        row(f"  {reason}", n, report.rows_read)
    row("duplicates collapsed", report.duplicates, report.rows_read)
    t.add_section()
    row("with pay", report.with_pay, report.kept)
    row("  pay text not understood", report.salary_unparsed, report.kept)
    row("  pay implausible, dropped", report.salary_out_of_range, report.kept)
    if report.salary_several_roles:
        row("  pay for several roles, none taken", report.salary_several_roles, report.kept)
    if report.salary_estimated:
        row("  pay estimated by the site, not taken", report.salary_estimated, report.kept)
    for source, words in _CURRENCY_FROM.items():
        if report.currency_source.get(source):
            row(f"  pay currency {words}", report.currency_source[source], report.kept)
    for status, label in (("unparsed", "not understood"), ("implausible", "implausible")):
        if report.posted_dates.get(status):
            row(f"posting date {label}, dropped", report.posted_dates[status], report.kept)
    if report.text_replaced:
        row("text with bytes not valid in its encoding", report.text_replaced, report.kept)
    row("with a metro", report.with_metro, report.kept)
    row("with a category (not Other)", report.with_category, report.kept)
    row("with at least one skill", report.with_skills, report.kept)
    for mode, n in report.work_mode.items():
        row(f"work mode: {mode}", n, report.kept)
    for kind, n in report.employment.items():
        row(f"employment: {'not stated' if kind == '(none)' else kind}", n, report.kept)
    for source, words in _EMPLOYMENT_FROM.items():
        if report.employment_source.get(source):
            row(f"  employment read from {words}", report.employment_source[source], report.kept)
    t.add_section()
    for fs in report.files:
        t.add_row(cell(f"{fs.path} ({fs.format}, source {fs.source})"), f.count(fs.rows), "")
    if written is not None:
        t.caption = cell(
            f"snapshot {written.snapshot} · rejects {written.rejects} · report {written.report}"
        )
    return t


def profile_table(report: IngestReport) -> Table:
    """Seconds per stage (summed over the worker threads) and the run's wall time."""
    t = Table(title="Ingest stages (seconds; batches run on two threads at once)")
    t.add_column("stage")
    t.add_column("seconds", justify="right")
    t.add_column("share", justify="right")
    stages = {k: v for k, v in report.timings.items() if k != "total"}
    busy = sum(stages.values()) or 1.0
    for name, seconds in stages.items():
        t.add_row(name, f"{seconds:.2f}", f"{seconds / busy:.0%}")
    t.add_section()
    t.add_row("wall time", f"{report.timings.get('total', 0.0):.2f}", "")
    return t


def ingest_cmd(
    ctx: typer.Context,
    *,
    files: Annotated[
        list[Path], typer.Argument(help="Raw exports (CSV, TSV, JSONL, JSON, Parquet; .gz ok).")
    ],
    week: Annotated[
        str, typer.Option("--week", help="Any day of the week the snapshot is for (YYYY-MM-DD).")
    ],
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            metavar="<format>",
            help="auto (from the name and content), csv, tsv, jsonl, json, parquet, or a board's "
            "export: simplify, greenhouse, lever, ashby, smartrecruiters, workable, recruitee.",
        ),
    ] = Format.auto,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Source name for posting ids when the file has no source column "
            f"(default: the format name): one line of visible text, at most {SOURCE_MAX} "
            "characters.",
        ),
    ] = None,
    snapshots: Annotated[
        Path | None,
        typer.Option(
            "--snapshots",
            metavar="<path>",
            parser=output_folder,
            help="Snapshot folder (default: \\[data] snapshots_dir).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON instead of a table.")
    ] = False,
    kind: Annotated[
        SourceKindOption | None,
        typer.Option(
            "--kind",
            help="stock: the files hold the source's whole open stock. new: only the postings "
            "first seen this week (a feed), kept open \\[data] open_window_days. Default: the "
            "source's entry in \\[data.source_kinds], else stock.",
        ),
    ] = None,
    profile: Annotated[
        bool,
        typer.Option(
            "--profile",
            help="Also print the seconds each stage took (read, split, text, employment, "
            "places, pay, skills, titles, identity, dedup, report, write); the report JSON always "
            "has them.",
        ),
    ] = False,
) -> None:
    """Read raw job-posting exports and write the week's canonical snapshot.

    Writes DIR/YYYY-MM-DD.parquet (replacing it atomically), DIR/rejects/YYYY-MM-DD.parquet
    (every row not kept, with its reason) and DIR/reports/YYYY-MM-DD.json. Unknown columns
    are mapped with \\[ingest.columns] in config.toml.

    Example: [bold]newsletter ingest postings.csv.gz listings.json --week 2026-11-23[/]

    Example, a feed of new postings: [bold]newsletter ingest week.csv --week 2023-03-06
    --kind new[/]
    """
    check_output(snapshots, folder=True)
    config = config_of(ctx)
    the_week = parse_week(week)
    from newsletter.send.steps import ingest_week

    report, written = ingest_week(
        config,
        secrets_of(ctx),
        files,
        the_week,
        fmt=fmt,
        source=source,
        kind=kind.value if kind else None,
        snapshots_dir=snapshots,
        clock=clock_of(ctx),
        warn=warn,
    )
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        console.print(report_table(report, written, config.newsletter.locale))
    if profile:
        (err_console if as_json else console).print(profile_table(report))
