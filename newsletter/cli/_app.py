"""Shared CLI plumbing: the root Typer app, config loading, one-line errors, consoles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from typer.core import TyperGroup

from newsletter.errors import NewsletterError
from newsletter.util.clock import SYSTEM_CLOCK, Clock
from newsletter.util.text import clean_line
from newsletter.util.weeks import parse_week

if TYPE_CHECKING:
    from newsletter.config import Config, Secrets

console = Console()
err_console = Console(stderr=True)


class ErrorHandlingGroup(TyperGroup):
    """Turns any NewsletterError raised by a command into one line and a non-zero exit, and
    an OSError too (a path that is a file or a folder, missing, not writable)."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NewsletterError as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:  # a path that is a file, a folder, missing or not writable
            where = f": {exc.filename}" if exc.filename else ""
            why = exc.strerror or str(exc)
            err_console.print(
                f"[bold red]error:[/] {escape(why + where)}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(1) from None


#: Longest text one table cell prints.
CELL_MAX = 1000


def cell(value: object, style: str = "") -> Text:
    """Untrusted text (names from postings, files, boards; server reasons) as a plain table
    cell or caption: one line without control characters (an escape sequence in a skill
    name would clear or recolour the terminal), never read as Rich markup (``[/]`` in a
    company name would stop the command, ``[bold]`` restyle it)."""
    return Text("" if value is None else clean_line(str(value), CELL_MAX), style=style)


def warn(text: str) -> None:
    """One warning line on stderr (library notes passed as ``warn=``)."""
    err_console.print(f"[yellow]warning:[/] {escape(text)}", highlight=False, soft_wrap=True)


@dataclass
class CliState:
    """What every command shares: the config and the secrets (each read once, on first use)
    and the clock.

    The clock is the command line's one source of "now"; tests invoke the app with
    ``obj=CliState(clock=FixedClock(...))``.
    """

    config_path: Path | None = None
    clock: Clock = SYSTEM_CLOCK
    _config: Config | None = field(default=None, repr=False)
    _secrets: Secrets | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            from newsletter.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    @property
    def secrets(self) -> Secrets:
        """The secrets from the environment, read once: the command line is an edge."""
        if self._secrets is None:
            from newsletter.config import Secrets

            self._secrets = Secrets.from_env()
        return self._secrets


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj


def config_of(ctx: typer.Context) -> Config:
    return state(ctx).config


def clock_of(ctx: typer.Context) -> Clock:
    return state(ctx).clock


def secrets_of(ctx: typer.Context) -> Secrets:
    return state(ctx).secrets


def week_option(value: str | None) -> date | None:
    """Parse an optional ``--week YYYY-MM-DD`` value (any day maps to its Monday); an empty
    one is refused, not taken for no ``--week``."""
    return None if value is None else parse_week(value)


def new_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        cls=ErrorHandlingGroup,
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        add_completion=False,
    )
