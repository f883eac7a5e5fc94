"""`newsletter subscribers ...` and `newsletter serve`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
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
    database_file,
    err_console,
    new_app,
    output_file,
    secrets_of,
    utf8_text,
)
from newsletter.errors import SubscriberError, UsageError
from newsletter.models import SUBSCRIBER_STATUSES as STATUSES
from newsletter.models import SubscriberStatus as Status
from newsletter.util.files import atomic_write_text
from newsletter.util.text import shown_json, shown_path, shown_text, shown_value

if TYPE_CHECKING:
    from newsletter.audience.choices import PreferenceOptions
    from newsletter.audience.subscribers import SubscriberStore

app = new_app(
    "Manage the subscriber list: add, remove (GDPR erasure), unsubscribe, resubscribe, show "
    "(GDPR export), list, count, import, export.\n\nExample: [bold]newsletter subscribers add "
    "jane@example.com --name Jane --metro Seattle[/]"
)


def _status(value: str | None) -> Status | None:
    """A --status value, or one clear error naming the valid ones."""
    if value is None:
        return None
    v = value.strip().lower()
    if v not in STATUSES:
        raise UsageError(f"unknown status {value!r}; choose from {', '.join(STATUSES)}")
    return v


StatusOpt = Annotated[
    str | None,
    typer.Option("--status", help=f"Only this status: {', '.join(STATUSES)}.", show_default=False),
]


class ListFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


def _options(ctx: typer.Context) -> PreferenceOptions:
    """The values a reader can pick, from the rules the ingest classifies with."""
    from newsletter.audience.choices import PreferenceOptions
    from newsletter.data.ingest.rules import load_rules

    return PreferenceOptions.from_rules(load_rules(config_of(ctx).data.rules_dir))


@contextmanager
def _store(ctx: typer.Context, *, existing: bool = False) -> Iterator[SubscriberStore]:
    """The subscriber store; ``existing`` for a command that only reads (no new database)."""
    from newsletter.audience.subscribers import SubscriberStore
    from newsletter.store import open_store

    with open_store(config_of(ctx), existing=existing) as db:
        yield SubscriberStore(db, clock=clock_of(ctx))


def _print_json(data: object) -> None:
    typer.echo(shown_json(json.dumps(data, indent=2, ensure_ascii=False)))


def _print_export(text: str, *, as_json: bool) -> None:
    """An export on standard output. JSON with its own escapes for what a terminal would act
    on (:func:`shown_json`: the same values). A CSV as it is to a file or a pipe (the import
    reads it back to the same values), with its control characters shown as escapes on a
    terminal (:func:`shown_text`): CSV has no escapes of its own."""
    if as_json:
        typer.echo(shown_json(text), nl=False)
    else:
        typer.echo(shown_text(text) if sys.stdout.isatty() else text, nl=False)


EmailArg = Annotated[str, typer.Argument(help="The person's email address (any case).")]


@app.command("add")
def add_cmd(  # noqa: PLR0917
    ctx: typer.Context,
    email: EmailArg,
    name: Annotated[
        str | None, typer.Option("--name", parser=utf8_text, help="Display name.")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Role category (repeatable).")
    ] = None,
    metro: Annotated[list[str] | None, typer.Option("--metro", help="Metro (repeatable).")] = None,
    seniority: Annotated[
        list[str] | None, typer.Option("--seniority", help="Seniority level (repeatable).")
    ] = None,
    consent: Annotated[
        str | None,
        typer.Option(
            "--consent",
            parser=utf8_text,
            help="How the person agreed (kept as the consent record).",
        ),
    ] = None,
) -> None:
    """Add an active subscriber (consent recorded as given to you, via the CLI).

    Example: [bold]newsletter subscribers add jane@example.com --name Jane --metro Seattle[/]
    """
    from newsletter.audience.subscribers import parse_preferences

    picked = parse_preferences(category or [], metro or [], seniority or [])
    prefs = _options(ctx).checked(picked) if not picked.is_default else picked
    with _store(ctx) as store:
        kwargs = {"consent_text": consent} if consent else {}
        sub = store.add(email, name=name, preferences=prefs, **kwargs)
    console.print(cell(f"added {sub.email} (id {sub.id}, {sub.status})"), soft_wrap=True)


@app.command("remove")
def remove_cmd(
    ctx: typer.Context,
    email: EmailArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase everything held about a person (GDPR erasure).

    Only a digest of the address stays on the suppression list, so a later import cannot
    mail them again.

    Example: [bold]newsletter subscribers remove jane@example.com --yes[/]
    """
    if not yes:
        try:
            sure = typer.confirm(f"Erase all data held about {shown_value(email, 320)}?")
        except typer.Abort:  # no answer: standard input ended (a script without --yes)
            raise SubscriberError(
                "nothing erased: no answer came to the question; pass --yes to erase without asking"
            ) from None
        if not sure:  # "n", or Enter (the default): said in one line, not a silent exit 1
            raise SubscriberError("nothing erased: the erasure was not confirmed")
    with _store(ctx) as store:
        held = store.remove(email)
    sub = held["subscriber"]
    what = f"subscriber {sub['email']}" if sub else "no subscriber row"
    console.print(
        cell(f"erased {what}; the address stays suppressed (digest only)"), soft_wrap=True
    )


@app.command("unsubscribe")
def unsubscribe_cmd(ctx: typer.Context, email: EmailArg) -> None:
    """Unsubscribe a person (idempotent) and add them to the suppression list.

    Example: [bold]newsletter subscribers unsubscribe jane@example.com[/]
    """
    with _store(ctx) as store:
        sub = store.unsubscribe(email, "unsubscribed by the list owner")
    console.print(cell(f"{sub.email}: {sub.status}"), soft_wrap=True)


@app.command("resubscribe")
def resubscribe_cmd(
    ctx: typer.Context,
    email: EmailArg,
    consent: Annotated[
        str,
        typer.Option(
            "--consent",
            parser=utf8_text,
            help="The new consent: when and how the person asked to come back.",
        ),
    ],
) -> None:
    """Re-activate an unsubscribed, bounced, complained or erased address. Needs a new consent.

    Example: [bold]newsletter subscribers resubscribe jane@example.com --consent "asked by email"[/]
    """
    with _store(ctx) as store:
        sub = store.resubscribe(email, consent)
    console.print(cell(f"{sub.email}: {sub.status} (new consent recorded)"), soft_wrap=True)


@app.command("show")
def show_cmd(ctx: typer.Context, email: EmailArg) -> None:
    """Print everything held about a person as JSON (GDPR export).

    Example: [bold]newsletter subscribers show jane@example.com > jane.json[/]
    """
    with _store(ctx, existing=True) as store:
        _print_json(store.show(email))


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: StatusOpt = None,
    fmt: Annotated[ListFormat, typer.Option("--format", help="table, csv or json.")] = (
        ListFormat.table
    ),
) -> None:
    """List subscribers.

    Example: [bold]newsletter subscribers list --status active --format json[/]
    """
    from newsletter.audience.transfer import export_csv, export_json

    wanted = _status(status)
    with _store(ctx, existing=True) as store:
        subs = store.list_all(wanted)
    if fmt is ListFormat.json:
        _print_export(export_json(subs), as_json=True)
    elif fmt is ListFormat.csv:
        _print_export(export_csv(subs), as_json=False)
    else:
        t = Table(title=f"{len(subs)} subscriber(s)")
        for col in ("id", "email", "name", "status", "preferences", "since"):
            t.add_column(col)
        for s in subs:
            p = s.preferences
            prefs = "; ".join(x for x in (*p.categories, *p.metros, *p.seniority)) or "all"
            if s.paused:
                prefs += " (paused)"
            t.add_row(
                str(s.id), cell(s.email), cell(s.name), s.status, cell(prefs),
                s.created_at.date().isoformat(),
            )  # fmt: skip
        console.print(t)


@app.command("count")
def count_cmd(
    ctx: typer.Context,
    status: StatusOpt = None,
) -> None:
    """Count subscribers by status (or print one number with --status).

    Example: [bold]newsletter subscribers count --status active[/]
    """
    wanted = _status(status)
    with _store(ctx, existing=True) as store:
        counts = store.count_by_status()
    if wanted is not None:
        typer.echo(str(counts[wanted]))
        return
    for s, n in counts.items():
        typer.echo(f"{s}: {n}")
    typer.echo(f"total: {sum(counts.values())}")


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with an 'email' column.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            metavar="<path>",
            parser=output_file,
            help="Where to save invalid rows (default: list.csv -> list.rejects.csv beside it).",
        ),
    ] = None,
) -> None:
    """Import subscribers from a CSV file (idempotent, one transaction).

    Columns: email, name, categories, metros, seniority, consented_at; lists separated by ';'.
    Never resurrects unsubscribed, bounced, complained or suppressed addresses.

    Example: [bold]newsletter subscribers import list.csv --dry-run[/]
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from newsletter.audience.transfer import import_csv

    check_output(
        rejects,
        folder=False,
        reads={"the list being imported": file, "the subscriber database": database_file(ctx)},
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with (
        _store(ctx) as store,
        Progress(
            *columns, console=err_console, transient=True, disable=not err_console.is_terminal
        ) as bar,
    ):
        tasks: dict[str, object] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)  # type: ignore[arg-type]

        report = import_csv(
            store,
            file,
            dry_run=dry_run,
            rejects_path=rejects,
            progress=progress,
            options=_options(ctx),
            zone=config_of(ctx).schedule.zone,
        )
    if dry_run:
        console.print("[bold]dry run:[/] nothing was written")
    for line in report.lines():  # column names and paths: the file's and the user's text
        console.print(_indented(line), soft_wrap=True)
    if dry_run:
        for r in report.invalid[:10]:
            console.print(_indented(f"  line {r.line}: {r.reason}"), soft_wrap=True)
    if report.all_invalid:  # the counts are printed: a script still learns nothing came in
        where = report.rejects_path
        saved = f"; they are in {shown_path(where)}" if where is not None else ""
        raise SubscriberError(
            f"nothing {'would be ' if dry_run else ''}imported: all {report.total:,} row(s) "
            f"of {shown_path(file)} are invalid{saved}"
        )


def _indented(line: str) -> Text:
    """A report line as plain text (:func:`cell`: never markup, no control character), its
    indentation kept."""
    body = line.lstrip(" ")
    return Text(line[: len(line) - len(body)]) + cell(body)


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or json.")] = (
        ExportFormat.csv
    ),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="<path>",
            parser=output_file,
            help="File to write (default: standard output).",
        ),
    ] = None,
) -> None:
    """Export every subscriber with status, preferences and consent record.

    Example: [bold]newsletter subscribers export --format csv --out subscribers.csv[/]
    """
    from newsletter.audience.transfer import export_csv, export_json

    check_output(out, folder=False, reads={"the subscriber database": database_file(ctx)})
    with _store(ctx, existing=True) as store:
        subs = store.list_all()
    text = export_json(subs) if fmt is ExportFormat.json else export_csv(subs)
    if out is None:
        _print_export(text, as_json=fmt is ExportFormat.json)
        return
    try:
        atomic_write_text(out, text)
    except OSError as exc:
        raise SubscriberError(f"cannot write {shown_path(out)}: {exc.strerror or exc}") from None
    console.print(cell(f"exported {len(subs)} subscriber(s) to {out}"), soft_wrap=True)


def _check_listen(host: str, port: int) -> None:
    """Refuse, in one line, an address the server could not listen on (a port in use, a
    host that is no address here) before anything starts: the server would log its start-up,
    the system's error and its shutdown over six lines and exit 3. Binds the way uvicorn
    does (``SO_REUSEADDR``) and lets go at once."""
    import socket

    where = f"cannot listen on {host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:  # socket.gaierror too: a name that does not resolve
        raise OSError(exc.errno, f"{where}: {exc.strerror or exc}") from None


def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Default: \\[web] host.")] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=0, max=65535, help="Default: \\[web] port.")
    ] = None,
) -> None:
    """Serve the web pages: sign-up, preferences, the archive, approve links, webhooks.

    The sign-up, confirm, unsubscribe and preferences pages, the archive with its feed, the
    editors' approve links, the provider webhooks and /admin.

    Links are signed with NEWSLETTER_SECRET_KEY, which must be set; NEWSLETTER_WEBHOOK_SECRET
    turns on the provider webhooks; NEWSLETTER_ADMIN_PASSWORD_HASH (an Argon2 hash from
    `newsletter admin hash-password`) turns on /admin. Every secret (the provider's too) is
    read once, here, before the server listens. Put TLS and a reverse proxy in front (see
    the README).

    Example: [bold]NEWSLETTER_SECRET_KEY=... newsletter serve --host 127.0.0.1 --port 8000[/]
    """
    import uvicorn

    from newsletter.audience.subscribers import SubscriberStore
    from newsletter.delivery import get_sender
    from newsletter.send.confirmation import SignupMailer
    from newsletter.send.service import link_signer
    from newsletter.store import open_store
    from newsletter.web.app import SUBSCRIBE_ANSWER_SECONDS, create_app
    from newsletter.web.logs import uvicorn_log_config

    config, secrets, clock = config_of(ctx), secrets_of(ctx), clock_of(ctx)
    signer, _dev = link_signer(config, secrets, "serve", clock)
    # the provider's credentials are needed now: a missing one stops here, before listening
    sender = get_sender(config.delivery, secrets, clock=clock)
    host, port = host or config.web.host, port if port is not None else config.web.port
    _check_listen(host, port)
    with open_store(config) as db:
        mailer = SignupMailer(config, signer, sender, hold=SUBSCRIBE_ANSWER_SECONDS, clock=clock)
        try:
            web_app = create_app(
                config,
                SubscriberStore(db, clock=clock),
                signer,
                mailer,
                # NEWSLETTER_WEBHOOK_SECRET, when set, turns on /webhooks/{provider}
                webhook_secret=secrets.get("webhook_secret"),
                # NEWSLETTER_ADMIN_PASSWORD_HASH (Argon2), when set, turns on /admin
                admin_password_hash=secrets.get("admin_password_hash"),
                secrets=secrets,
            )
            uvicorn.run(
                web_app,
                host=host,
                port=port,
                log_level="info",
                log_config=uvicorn_log_config(),
            )
        finally:
            mailer.close()
