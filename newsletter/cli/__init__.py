"""The `newsletter` command line: thin commands that parse, call the library, print."""

from __future__ import annotations

import gc

from newsletter.config import tune_allocator

tune_allocator()  # before anything loads polars

from pathlib import Path
from typing import Annotated

import typer

from newsletter.cli import archive, collect, ingest, ops, preview, send, subscribers
from newsletter.cli._app import end_by_sigterm, new_app, state
from newsletter.errors import UsageError
from newsletter.util.clock import ShiftedClock
from newsletter.util.weeks import parse_instant

app = new_app(
    "Weekly career-intelligence newsletter: job-posting snapshots -> market signals -> "
    "email -> subscribers.\n\nExample: [bold]newsletter preview --out preview/issue.html[/]"
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="NEWSLETTER_CONFIG",
            help="config.toml to use (default: ./config.toml, else built-in defaults).",
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            metavar="INSTANT",
            help="Run as if it were this instant (ISO 8601 with its offset, e.g. "
            "2026-11-23T07:30:00Z), time then passing as usual: to replay a missed Monday or "
            "reproduce a run. Not for `schedule`, which follows the real clock.",
        ),
    ] = None,
) -> None:
    cli = state(ctx)
    cli.config_path = config
    if now is not None:
        if ctx.invoked_subcommand == "schedule":
            raise UsageError("--now does not apply to `schedule`: it follows the real clock")
        cli.clock = ShiftedClock.starting_at(parse_instant(now))


app.command("ingest")(ingest.ingest_cmd)
app.add_typer(collect.app, name="sources")
app.command("collect")(collect.collect_cmd)
app.command("preview")(preview.preview_cmd)
app.command("signals")(preview.signals_cmd)
app.add_typer(subscribers.app, name="subscribers")
app.command("serve")(subscribers.serve_cmd)
app.command("archive")(archive.archive_cmd)
app.command("send")(send.send_cmd)
app.command("send-worker")(send.send_worker_cmd)
app.command("run-week")(send.run_week_cmd)
app.command("schedule")(send.schedule_cmd)
app.command("status")(ops.status_cmd)
app.command("approve")(ops.approve_cmd)
app.add_typer(ops.alerts_app, name="alerts")
app.add_typer(ops.admin_app, name="admin")


#: The garbage collector's first threshold for a command (Python's default: 700). The imports
#: of a data command leave some 100,000 objects that live to the end; at 700 the collector
#: runs ~300 times while they are made and walks all of them twice over, 0.1-0.2 s of a small
#: ingest (a third of that at this threshold). Garbage in reference cycles is freed a little
#: later instead: after at most this many new objects.
GC_THRESHOLD = 50_000


def main() -> None:
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    try:
        app()
    except SystemExit:
        end_by_sigterm()  # a command stopped by SIGTERM ends by it, once it cleaned up
        raise
    finally:
        # On the way out the interpreter's last garbage collections walk every object of the
        # ~800 modules a data command imports (0.2-0.3 s a run, more than `signals` spends
        # reading a week). Everything the command wrote is closed by now: what is still alive
        # is left to the module teardown and the OS, unwalked. Exit handlers still run.
        gc.freeze()


__all__ = ["app", "main"]
