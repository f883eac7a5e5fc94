"""Shared CLI plumbing: the root Typer app, config loading, one-line errors, consoles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from newsletter.config import Config, load_config
from newsletter.errors import NewsletterError
from newsletter.util.clock import SYSTEM_CLOCK, Clock
from newsletter.util.weeks import parse_week

console = Console()
err_console = Console(stderr=True)


class ErrorHandlingGroup(TyperGroup):
    """Turns any NewsletterError raised by a command into one line and a non-zero exit."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NewsletterError as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(exc.exit_code) from None


@dataclass
class CliState:
    """What every command shares: the config (loaded once, on first use) and the clock.

    The clock is the command line's one source of "now"; tests invoke the app with
    ``obj=CliState(clock=FixedClock(...))``.
    """

    config_path: Path | None = None
    clock: Clock = SYSTEM_CLOCK
    _config: Config | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


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


def week_option(value: str | None) -> date | None:
    """Parse an optional ``--week YYYY-MM-DD`` value (any day maps to its Monday)."""
    return parse_week(value) if value else None


def new_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        cls=ErrorHandlingGroup,
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        add_completion=False,
    )
