"""`newsletter status`, `newsletter approve`, `newsletter alerts check|test` and
`newsletter admin hash-password`: operating the weekly job."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from newsletter.cli._app import (
    cell,
    cell_text,
    clock_of,
    config_of,
    console,
    err_console,
    new_app,
    secrets_of,
)
from newsletter.util.text import shown_json
from newsletter.util.weeks import parse_week

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.send.alerts import Delivery

alerts_app = new_app(
    "Alerts to the editors (\\[alerts] email, webhook_url).\n\n"
    "Example: [bold]newsletter alerts test[/]"
)
admin_app = new_app(
    "The /admin page of `newsletter serve`.\n\n"
    'Example: [bold]export NEWSLETTER_ADMIN_PASSWORD_HASH="$(newsletter admin hash-password)"[/]'
)


class StatusFormat(StrEnum):
    table = "table"
    json = "json"


def status_cmd(
    ctx: typer.Context,
    fmt: Annotated[
        StatusFormat,
        typer.Option("--format", help="table for people, json for machines (docs/status.md)."),
    ] = StatusFormat.table,
    runs: Annotated[int, typer.Option("--runs", min=1, max=500, help="Runs to list.")] = 20,
    issues: Annotated[
        int, typer.Option("--issues", min=1, max=100, help="Recent issues to list.")
    ] = 8,
) -> None:
    """Show what happened and what will happen: runs, schedule, issues, the list, alerts.

    The last runs, the next scheduled ones, this week's issue, bounces and complaints per
    issue next to the mailbox providers' limits, the list and its change, recent alerts.

    Example: [bold]newsletter status --format json[/]
    """
    from newsletter.send.operations import status

    config = config_of(ctx)
    doc = status(config, secrets=secrets_of(ctx), clock=clock_of(ctx), runs=runs, issues=issues)
    if fmt is StatusFormat.json:
        typer.echo(shown_json(json.dumps(doc, indent=2, ensure_ascii=False)))
        return
    _print_status(doc, config)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f} %"


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "running"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def _print_status(doc: dict[str, Any], config: Config) -> None:
    sched, week = doc["schedule"], doc["this_week"]
    console.print(
        f"[bold]{escape(cell_text(doc['newsletter']))}[/] · {doc['generated_at']} · "
        f"next send {sched['send']['next_run']}"
        + (
            f" · next collection {sched['collect']['next_run']}"
            if sched["collect"]["next_run"]
            else ""
        )
        + f" ({sched['timezone']})",
        highlight=False,
        soft_wrap=True,
    )
    snap = week["snapshot"]
    issue = week["issue"]
    lines = [
        f"this week: {week['issue_key']} (due {week['due_at']})",
        "snapshot: "
        + ("fresh" if snap["fresh"] else escape(cell_text(snap["problem"] or "missing")))
        + (f", written {snap['written_at']}" if snap["written_at"] else ""),
        f"rendered: {'yes' if week['rendered'] else 'no'}",
        "issue: "
        + (
            f"{issue['status']}, sent {issue['sent']:,} of {issue['recipients']:,}, "
            f"{issue['left_to_retry']:,} left to retry" + _left_reasons(issue["left_reasons"])
            if issue
            else "not started"
        ),
    ]
    if week["approval"]:
        a = week["approval"]
        lines.append(f"approval: {a['state']} (deadline {a['deadline']})")
    console.print("\n".join(lines), highlight=False, soft_wrap=True)
    console.print(_runs_table(doc["runs"], config))
    console.print(_issues_table(doc))
    subs = doc["subscribers"]
    t = Table(title="Subscribers")
    t.add_column("status")
    t.add_column("now", justify="right")
    t.add_column("7 days ago", justify="right")
    t.add_column("change", justify="right")
    for status, n in subs["counts"].items():
        t.add_row(
            status, f"{n:,}", f"{subs['week_ago'][status]:,}", f"{subs['change_7d'][status]:+,}"
        )
    t.caption = f"joined in 7 days: {subs['joined_7d']:,} · erased: {subs['erased_7d']:,}"
    console.print(t)
    recent = doc["alerts"]["recent"]
    if recent:
        a = Table(title="Recent alerts")
        for name in ("when", "condition", "channel", "status"):
            a.add_column(name)
        for r in recent[:10]:
            a.add_row(r["updated_at"], cell(r["key"]), cell(r["channel"]), r["status"])
        console.print(a)


def _left_reasons(reasons: list[dict[str, Any]]) -> str:
    """`` (why: n, ...)`` for the rows left to send, escaped (a reason may quote a server:
    its control characters shown as escapes, :func:`cell_text`; markup as text)."""
    if not reasons:
        return ""
    return (
        " (" + "; ".join(f"{escape(cell_text(r['reason']))}: {r['count']:,}" for r in reasons) + ")"
    )


def _runs_table(runs: list[dict[str, Any]], config: Config) -> Table:
    import datetime as dt

    t = Table(title=f"Last runs ({config.schedule.timezone})")
    for name, justify in (("started", "left"), ("week", "left"), ("step", "left"),
                          ("by", "left"), ("took", "right"), ("outcome", "left"),
                          ("counts / error", "left")):  # fmt: skip
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in runs:
        started = dt.datetime.fromisoformat(r["started_at"]).astimezone(config.schedule.zone)
        counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items() if k != "subject")
        style = {"failed": "red", "incomplete": "yellow", "waiting": "yellow"}.get(r["outcome"], "")
        t.add_row(
            started.strftime("%a %m-%d %H:%M"),
            r["issue_key"],
            r["kind"],
            r["trigger"],
            _dur(r["duration_seconds"]),
            f"[{style}]{r['outcome']}[/]" if style else r["outcome"],
            cell(r["error"] or counts),
        )
    return t


def _issues_table(doc: dict[str, Any]) -> Table:
    th = doc["thresholds"]
    t = Table(title="Recent issues: reactions within 7 days")
    for name in ("issue", "status", "delivered", "bounced", "complaints", "unsubscribed"):
        t.add_column(name, justify="left" if name in ("issue", "status") else "right")
    for i in doc["issues"]:
        complaint = _pct(i["complaint_rate"])
        if i["checks"]["complaint_rate"] in ("above_target", "above_max"):
            complaint = f"[red]{complaint}[/]"
        bounce = _pct(i["bounce_rate"])
        if i["checks"]["bounce_rate"] == "above_max":
            bounce = f"[red]{bounce}[/]"
        t.add_row(
            i["issue_key"] + ("" if i["window_complete"] else " *"),
            i["status"],
            f"{i['delivered']:,}",
            f"{i['bounced']:,} ({bounce})",
            f"{i['complained']:,} ({complaint})",
            f"{i['unsubscribed']:,} ({_pct(i['unsubscribe_rate'])})",
        )
    t.caption = (
        f"limits: bounces under {th['bounce_rate_max'] * 100:g} %; complaints under "
        f"{th['complaint_rate_target'] * 100:g} %, never {th['complaint_rate_max'] * 100:g} % "
        "(Gmail, Yahoo). * its 7-day window is still open"
    )
    return t


def approve_cmd(
    ctx: typer.Context,
    week: Annotated[str, typer.Argument(help="Any day of the issue's week (YYYY-MM-DD).")],
) -> None:
    """Approve the previewed issue of WEEK (\\[schedule] approval = "required").

    The next `run-week` (or the scheduler's check, every \\[alerts] check_minutes) sends it.
    Works after the approve link's deadline too: an operator at the command line decides.

    Example: [bold]newsletter approve 2026-11-23[/]
    """
    from newsletter.errors import GuardError
    from newsletter.send.operations import approve_week

    config = config_of(ctx)
    done = approve_week(config, parse_week(week), clock=clock_of(ctx))
    if done.outcome == "missing" and config.schedule.approval != "required":
        raise GuardError(
            f'nothing to approve: approvals are off ([schedule] approval = "'
            f'{config.schedule.approval}"), so each issue is sent at its time without one'
        )
    if done.outcome == "missing":
        raise GuardError(
            f"no [PREVIEW] of {done.issue_key} has been sent yet, so there is nothing to "
            "approve: `newsletter run-week` prepares the issue and sends the preview"
        )
    if done.outcome == "sent":
        console.print(f"issue {done.issue_key} is already sent: nothing to approve")
        return
    if done.outcome == "already" and done.record is not None:
        console.print(
            f"issue {done.issue_key} was already approved ({done.record.approved_via}, "
            f"{done.record.approved_at})",
            highlight=False,
        )
        return
    console.print(
        f"issue {done.issue_key} is approved; the next `newsletter run-week` (or the "
        "scheduler's check) sends it",
        highlight=False,
    )


def _print_deliveries(found: list[Delivery]) -> None:
    shown = [d for d in found if d.status != "skipped"]
    if not shown:
        console.print("no alert to send", highlight=False)
        return
    for d in shown:
        line = f"{d.key} -> {d.channel}: {d.status}" + (f" ({d.reason})" if d.reason else "")
        (console if d.status == "sent" else err_console).print(cell(line), highlight=False)


@alerts_app.command("check")
def alerts_check_cmd(ctx: typer.Context) -> None:
    """Evaluate the alert conditions now and send those not sent yet this week.

    For cron, when `newsletter schedule` is not running: e.g. every 15 minutes.

    Example: [bold]newsletter alerts check[/]
    """
    from newsletter.config import alerts_configured
    from newsletter.send.operations import check_alerts

    config, secrets = config_of(ctx), secrets_of(ctx)
    if not alerts_configured(config, secrets):
        console.print(
            "no alert channel is configured (\\[alerts] email, webhook_url, "
            "NEWSLETTER_ALERT_WEBHOOK_URL)"
        )
        return
    found = check_alerts(config, secrets, clock=clock_of(ctx))
    _print_deliveries(found)
    if any(d.status == "failed" for d in found):
        raise typer.Exit(1)


@alerts_app.command("test")
def alerts_test_cmd(ctx: typer.Context) -> None:
    """Send one test alert to every configured channel.

    Example: [bold]newsletter alerts test[/]
    """
    from newsletter.config import alerts_configured
    from newsletter.errors import ConfigError
    from newsletter.send.operations import test_alert

    config = config_of(ctx)
    secrets = secrets_of(ctx)
    if not alerts_configured(config, secrets):
        raise ConfigError("no alert channel is configured: set [alerts] email or webhook_url")
    found = test_alert(config, secrets, clock=clock_of(ctx))
    _print_deliveries(found)
    if any(d.status == "failed" for d in found):
        raise typer.Exit(1)


@admin_app.command("hash-password")
def hash_password_cmd() -> None:
    """Print a password's Argon2 hash for NEWSLETTER_ADMIN_PASSWORD_HASH (turns /admin on).

    The password is asked twice, not echoed; piped, it is the first line of standard input.

    Example: [bold]export NEWSLETTER_ADMIN_PASSWORD_HASH="$(newsletter admin hash-password)"[/]
    """
    import sys

    from argon2 import PasswordHasher

    from newsletter.errors import UsageError

    if sys.stdin is not None and not sys.stdin.isatty():
        # piped (a script, a secrets manager): getpass would warn that it cannot hide
        # what it reads and ask for the line twice; the first line is the password
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True, err=True)
    if not password:  # piped: an empty standard input, or an empty first line
        raise UsageError("no password: the first line of standard input is empty")
    if len(password) < 12:
        raise UsageError(f"the password has {len(password)} characters: use at least 12")
    typer.echo(PasswordHasher().hash(password))
