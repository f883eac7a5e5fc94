"""`newsletter archive`: the static web archive of every issue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newsletter.cli._app import check_output, clock_of, config_of, console, output_folder
from newsletter.util.text import shown_path


def archive_cmd(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="<path>",
            parser=output_folder,
            help="Folder to write (default: <state_dir>/archive).",
        ),
    ] = None,
    snapshots: Annotated[
        Path | None,
        typer.Option(
            "--snapshots", help="Folder of weekly snapshots (default: \\[data] snapshots_dir)."
        ),
    ] = None,
) -> None:
    """Write the web archive: a page per issue out, an index, the feed and the methodology.

    One page per week whose issue is out, with its plain text and signals JSON beside it (a
    later week's snapshot waits for its \\[schedule] day and time), the index, the Atom feed
    and the methodology page.

    These pages are the "view in browser" links of the emails; serve the folder at
    <base_url>/archive/.

    Example: [bold]newsletter archive --out state/archive[/]
    """
    from newsletter.edition.archive import build_archive

    check_output(out, folder=True)
    config = config_of(ctx)
    result = build_archive(config, out, snapshots, clock=clock_of(ctx))
    console.print(f"{len(result.pages)} issue page(s) written", highlight=False)
    typer.echo(shown_path(result.index))  # the last line, for scripts: never a raw escape
