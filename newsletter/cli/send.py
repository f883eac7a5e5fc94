"""`newsletter send`, `newsletter run-week` and `newsletter schedule`."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from newsletter.cli._app import (
    cell,
    cell_text,
    clock_of,
    config_of,
    console,
    err_console,
    secrets_of,
    warn,
    week_option,
)
from newsletter.errors import UsageError

if TYPE_CHECKING:
    from newsletter.send.service import DryRunReport, SendReport

#: Exit code of a run that left messages to send (retryable, unknown or stopped).
INCOMPLETE_EXIT = 3


_warn = warn


@contextlib.contextmanager
def _graceful_sigterm() -> Iterator[threading.Event]:
    """SIGTERM and Ctrl-C (SIGINT) set the returned event: the send finishes the calls in
    flight and stops; a second Ctrl-C stops at once. (A KeyboardInterrupt alone may never
    reach the main thread while it waits for the sending threads.)"""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, _frame: object) -> None:
        if signum == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def _progress(
    on: Console | None = None, get_time: Callable[[], float] | None = None
) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A Rich progress bar (rate and ETA) on stderr (or ``on``), fed by the send callbacks.

    Its time, its rate and its ETA count from the start of sending (``planned``), never from
    before the issue was rendered and the list frozen: a render of a minute read as a
    minute of sending. ``get_time``: Rich's monotonic clock unless given (tests)."""
    from rich.progress import (  # loaded by the commands that show a bar, as in collect.py
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=on or err_console,
        transient=False,
        get_time=get_time,
    )
    # not started: the elapsed time counts from start_task, when the first message is due
    task = bar.add_task("send", total=None, rate="", start=False)
    done = [0]
    started = [0.0]
    shown = [False]
    lock = threading.Lock()

    def planned(n: int) -> None:
        shown[0] = True
        bar.start()
        bar.start_task(task)
        bar.update(task, total=n)
        started[0] = bar.get_time()

    def advance(n: int) -> None:
        with lock:
            done[0] += n
            elapsed = max(bar.get_time() - started[0], 1e-6)
            bar.update(task, advance=n, rate=f"{done[0] / elapsed:,.0f} msg/s")

    try:
        yield advance, planned
    finally:
        if shown[0]:  # a bar never started prints an empty line on a log when stopped
            bar.stop()


def _summary(report: SendReport) -> Table:
    # the subject is the operator's template filled, the reasons a provider's words: text
    t = Table(title=cell(f"{report.issue_key} via {report.provider}: {report.subject}"))
    t.add_column("outcome")
    t.add_column("this run", justify="right")
    t.add_column("issue total", justify="right")
    led = report.ledger
    t.add_row("sent", f"{report.sent:,}", f"{led.sent:,}")
    failed = sum(report.failed.values())
    t.add_row("failed", f"{failed:,}", f"{led.failed + led.retryable:,}")
    for reason, n in report.failed.most_common(8):
        t.add_row(Text("  ") + cell(reason), f"{n:,}", "")
    t.add_row(
        "unknown (resent next run, same Message-ID)", f"{report.unknown:,}", f"{led.unknown:,}"
    )
    t.add_row("skipped (unsubscribed meanwhile)", f"{report.skipped:,}", f"{led.skipped:,}")
    t.add_row("left to send", "", f"{led.remaining:,}")
    t.add_row("duration", f"{report.duration:.1f} s ({report.rate:,.0f} msg/s)", "")
    return t


def _finish(report: SendReport) -> None:
    if report.already_sent:
        console.print(
            f"issue {report.issue_key} was already sent ({report.ledger.sent:,} sent): "
            "nothing to do",
            highlight=False,
        )
        return
    if report.waiting is not None:
        w = report.waiting
        sent = (
            f"[PREVIEW] copy sent to {w.previews_sent} of {w.editors} editor(s)"
            if w.previews_sent
            else "the [PREVIEW] copy is being sent by another run (one that was stopped is "
            "taken up again after 10 minutes)"
            if w.preview_pending
            else "the [PREVIEW] copy went out on an earlier run"
        )
        console.print(
            f"issue {report.issue_key} waits for an editor's approval until "
            f"{w.deadline.isoformat()}: {sent}; nothing was sent to subscribers. Approve with "
            "the link in the preview or `newsletter approve WEEK`; the next `run-week` (or "
            "the scheduler's check) then sends it",
            highlight=False,
            soft_wrap=True,
        )
        return
    console.print(_summary(report))
    if report.stopped or not report.complete:
        why = report.stopped or f"{report.ledger.remaining:,} message(s) left to send"
        err_console.print(
            f"[bold yellow]incomplete:[/] {escape(cell_text(why))}; run the same command "
            "again to finish (messages already sent are never sent again)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(INCOMPLETE_EXIT)
    console.print(f"issue {report.issue_key} is complete", highlight=False)


def send_cmd(
    ctx: typer.Context,
    *,
    week: Annotated[
        str | None,
        typer.Option("--week", help="Week to send (YYYY-MM-DD). Default: this week's issue."),
    ] = None,
    dry: Annotated[
        bool, typer.Option("--dry-run", help="Build and check every message; send nothing.")
    ] = False,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Send one [TEST] copy to this address (ledger untouched)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Send at most N messages this run.")
    ] = None,
    catch_up: Annotated[
        bool,
        typer.Option("--catch-up", help="Same as `newsletter run-week` (for cron backstops)."),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Sending processes on this host, this one included (PostgreSQL only). "
            "Default: \\[delivery] workers.",
        ),
    ] = None,
) -> None:
    """Send an issue to every active subscriber, through the send ledger.

    Without --week, sends this week's issue and refuses a missing or stale snapshot; an
    explicit earlier --week is sent with a warning. A re-run sends only what is not sent
    yet (after a crash, a kill, or retryable failures). SIGTERM stops after the messages in
    flight are recorded.

    Example: [bold]newsletter send --week 2026-11-23 --dry-run[/]
    """
    if catch_up:
        if week is not None or dry or to is not None or limit or workers:
            raise UsageError("--catch-up runs this week's whole job; it takes no other option")
        run_week_cmd(ctx)
        return
    from newsletter.send import service

    config, secrets, clock = config_of(ctx), secrets_of(ctx), clock_of(ctx)
    chosen = week_option(week)
    if to is not None:  # an empty --to (an unset variable) is refused, never a full send
        if dry or limit or workers:
            raise UsageError(
                "--to sends one test copy; it takes no --dry-run, --limit or --workers"
            )
        copy = service.copy_week(config, secrets, to, week=chosen, clock=clock, warn=_warn)
        result = copy.result
        console.print(
            cell(
                f"test copy of {copy.issue_key} to {result.email}: {result.status.value}"
                + (f" ({result.reason})" if result.reason else "")
            ),
            soft_wrap=True,
        )
        if result.status.value != "sent":
            raise typer.Exit(1)
        return
    if dry:
        _print_dry_run(service.dry_run_week(config, secrets, week=chosen, clock=clock, warn=_warn))
        return
    _send(ctx, chosen, limit, workers=workers)


def _print_dry_run(d: DryRunReport) -> None:
    status = d.issue_status or "not started"
    console.print(
        cell(
            f"dry run of {d.issue_key} ({status}): {d.would_send:,} message(s) would be sent, "
            f"{d.variants} variant(s), {d.total_bytes / 1e6:,.1f} MB; subject: {d.subject}"
        ),
        soft_wrap=True,
    )
    console.print("nothing was sent or recorded", highlight=False)
    if d.unbuilt:
        _warn(
            f"{sum(d.unbuilt.values()):,} message(s) could not be built (a real run records "
            "them as failed and sends the rest): "
            + "; ".join(f"{reason} ({n:,})" for reason, n in d.unbuilt.most_common(5))
        )


def run_week_cmd(ctx: typer.Context) -> None:
    """Do this week's whole job once: collect, guards, signals, render, compliance, send.

    It collects only when the week's snapshot is missing and sources are configured.
    Idempotent, for cron, systemd timers or Kubernetes CronJobs: exits at once when this
    week's issue is already sent, resumes a half-done send, refuses a missing or stale
    snapshot. Exit code 3 means messages are left to retry (run it again later).

    Example: [bold]newsletter --config /etc/newsletter/config.toml run-week[/]
    """
    _send(ctx, None, None, weekly_job=True)


def _send(
    ctx: typer.Context,
    week: date | None,
    limit: int | None,
    *,
    weekly_job: bool = False,
    workers: int | None = None,
) -> None:
    """The send facade with a progress bar and graceful SIGTERM; then the summary."""
    from newsletter.send.service import send_week

    with _graceful_sigterm() as stop, _progress() as (advance, planned):
        report = send_week(
            config_of(ctx),
            secrets_of(ctx),
            week=week,
            limit=limit,
            clock=clock_of(ctx),
            warn=_warn,
            stop=stop,
            progress=advance,
            on_planned=planned,
            collect_first=weekly_job,
            trigger="run-week" if weekly_job else "cli",
            workers=workers,
        )
    _finish(report)


def send_worker_cmd(
    ctx: typer.Context,
    *,
    week: Annotated[
        str | None,
        typer.Option("--week", help="Week to help with (YYYY-MM-DD). Default: the one sending."),
    ] = None,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, max=86400, help="Seconds to wait for a send to start."),
    ] = 0.0,
    run_id: Annotated[str | None, typer.Option("--run-id", hidden=True)] = None,
) -> None:
    """Help a running send from this host (PostgreSQL) until no recipient is left.

    It claims batches of the send's recipients and sends them.

    Start it on any machine with the same config.toml, snapshots, templates, version and
    NEWSLETTER_* secrets as the `newsletter send` that coordinates the send; it refuses to
    send when its rendering or its link key differ. Exit 0 when done (or nothing to do),
    3 when stopped by SIGTERM with messages left. A killed worker's recipients go back to
    the others at once; those of a host that vanished, after \\[delivery] lease_seconds.

    Example: [bold]newsletter --config /etc/newsletter/config.toml send-worker --wait 600[/]
    """
    from newsletter.send.service import work_issue

    with _graceful_sigterm() as stop:
        report = work_issue(
            config_of(ctx),
            secrets_of(ctx),
            week=week_option(week),
            wait=wait,
            run_id=run_id,
            clock=clock_of(ctx),
            stop=stop,
        )
    if report.idle:
        console.print(f"nothing to do: {report.idle}", highlight=False)
        return
    t = report.tally
    console.print(
        f"worker {report.token} on {report.issue_key}: {t.sent:,} sent, "
        f"{sum(t.failed.values()):,} failed, {t.unknown:,} unknown, {t.skipped:,} skipped "
        f"in {report.duration:.1f} s",
        highlight=False,
    )
    if stop.is_set() and report.left:
        err_console.print(
            f"[bold yellow]stopped:[/] {report.left:,} message(s) left in this run; the other "
            "workers or the next `newsletter send` send them",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(INCOMPLETE_EXIT)


def schedule_cmd(ctx: typer.Context) -> None:
    """Run the weekly schedule in the foreground (APScheduler, persistent job store).

    Fires `run-week` at \\[schedule] day/time in \\[schedule] timezone, catches up at start
    when this week's issue was due within the grace window, stops cleanly on SIGTERM. With
    \\[alerts] channels or \\[schedule] approval = "required" it also checks the alert
    conditions (and sends an issue approved meanwhile) every \\[alerts] check_minutes.
    Run exactly one scheduler per database.

    Example: [bold]newsletter --config config.toml schedule[/]
    """
    import logging

    from newsletter.send.schedule import run_forever

    config = config_of(ctx)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from newsletter.send.schedule import watching

    s = config.schedule
    secrets = secrets_of(ctx)
    every = f"; alert checks every {config.alerts.check_minutes} min"
    checks = every if watching(config, secrets) else ""

    def started() -> None:  # once this is the database's one scheduler
        console.print(
            f"scheduling the weekly issue every {s.day} at {s.time} ({s.timezone}){checks}; "
            "Ctrl-C to stop",
            highlight=False,
        )

    run_forever(
        config,
        kwargs={"config_path": str(config.path) if config.path else None},
        secrets=secrets,
        started=started,
    )
