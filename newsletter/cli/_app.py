"""Shared CLI plumbing: the root Typer app, config loading, one-line errors, consoles."""

from __future__ import annotations

import inspect
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from typer.core import TyperGroup

from newsletter.errors import NewsletterError, OutputPathError
from newsletter.util.clock import SYSTEM_CLOCK, Clock
from newsletter.util.files import output_problem
from newsletter.util.text import message_line, shown_path, shown_value, unshowable, well_formed
from newsletter.util.weeks import parse_week

if TYPE_CHECKING:
    from newsletter.config import Config, Secrets

# emoji=False: Rich would turn ``:x:`` in a message (the board ``greenhouse:x``) into an emoji
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)


#: Click's ClickException, the base of its usage errors, from whichever Click Typer uses (its
#: own copy in newer versions, the click package in older ones).
_CLICK_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


def _error_line(message: str) -> None:
    err_console.print(
        f"[bold red]error:[/] {escape(message_line(message, CELL_MAX))}",
        highlight=False,
        soft_wrap=True,
    )


class Terminated(BaseException):
    """SIGTERM, raised in the main thread by :func:`_on_sigterm`: a :class:`BaseException`
    (as :class:`KeyboardInterrupt` is), so no ``except Exception`` of the library takes it,
    while every ``finally`` and context manager on the way out runs (an atomic write's
    temporary file removed, a week's lock dropped)."""


#: Exit codes of a command stopped by a signal: the shell's 128 + the signal's number (a
#: process stopped by SIGTERM then ends by it, :func:`end_by_sigterm`; the code is what an
#: in-process caller, a test's runner, gets).
INTERRUPTED_EXIT = 128 + signal.SIGINT
TERMINATED_EXIT = 128 + signal.SIGTERM


#: Whether the command run last was stopped by SIGTERM (:func:`end_by_sigterm`).
_terminated = threading.Event()


def _on_sigterm(_signum: int, _frame: object) -> None:
    # a second SIGTERM (while the first one's cleanup runs) ends the process at once
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _terminated.set()
    raise Terminated


def end_by_sigterm() -> None:
    """At the process's edge (``newsletter.cli.main``), once a command stopped by SIGTERM
    has cleaned up and said so: end the process by SIGTERM itself, its default action, so
    that its parent learns what happened as from any program SIGTERM ends (a shell's 143; a
    service manager counts it a clean stop, where it would count exit code 143 a failure).
    Does nothing when the command was not stopped by SIGTERM."""
    if not _terminated.is_set():
        return
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _stopped_line(what: str) -> None:
    """The one line of a command stopped by Ctrl-C or SIGTERM, on a line of its own (the
    terminal has echoed ``^C`` where the cursor was)."""
    start = "\n" if err_console.is_terminal else ""
    err_console.print(f"{start}newsletter: {what}", markup=False, highlight=False)


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """For the block, SIGTERM raises :class:`Terminated` in the main thread where it would
    end the process on the spot (leaving the temporary file of a write in progress behind);
    the handler before it is put back after. A command with a stop of its own (``send``,
    ``schedule``, ``serve``) installs its handler over this one for its run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _terminated.clear()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class ErrorHandlingGroup(TyperGroup):
    """Turns any NewsletterError raised by a command into one line and a non-zero exit, and
    an OSError too (a path that is a file or a folder, missing, not writable); as the root
    command, a usage error (an unknown option or command, a value of the wrong type) too,
    with the command's ``--help`` named, where Click would print the usage and a box.

    Its help and its commands' helps are :func:`reflowed` for the terminal."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.help = reflowed(self.help)
        for command in self.commands.values():
            command.help = reflowed(command.help)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        run = partial(
            super().main, args, prog_name, complete_var, windows_expand_args=windows_expand_args
        )
        if not standalone_mode:
            return run(standalone_mode=False, **extra)
        try:
            # standalone_mode=False: Click raises its errors instead of printing them, and
            # returns the code of an Exit instead of exiting
            with _sigterm_raises():
                done = run(standalone_mode=False, **extra)
        except Terminated:  # outside a command's run (a command's own is caught in invoke)
            _stopped_line("terminated")
            sys.exit(TERMINATED_EXIT)
        except _CLICK_ERROR as exc:  # a usage error: an unknown option, a bad value...
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help is printed: no "error:"
                sys.exit(getattr(exc, "exit_code", 2))
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            _error_line(f"{getattr(exc, 'format_message', exc.__str__)()}{where}")
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort:
            err_console.print("Aborted!", highlight=False)
            sys.exit(1)
        # a command's own return value is no exit code (Click's standalone mode exits 0)
        sys.exit(done if type(done) is int else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NewsletterError as exc:
            _error_line(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:  # a path that is a file, a folder, missing or not writable
            where = f": {shown_path(exc.filename)}" if exc.filename else ""
            why = exc.strerror or str(exc)
            _error_line(why + where)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:  # Ctrl-C: Typer would exit 130 without a word
            _stopped_line("interrupted")
            raise typer.Exit(INTERRUPTED_EXIT) from None
        except Terminated:
            _stopped_line("terminated")
            raise typer.Exit(TERMINATED_EXIT) from None


def reflowed(text: str | None) -> str | None:
    """A help text with each paragraph on one line, for the terminal to wrap: Typer's "rich"
    mode keeps a docstring's line breaks inside a paragraph, which broke lines half-way at
    any width but the docstring's. A paragraph starting with ``\\b`` is kept as written
    (Click's mark for lines that must stay apart)."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )


#: Longest text one table cell prints.
CELL_MAX = 1000


def cell(value: object, style: str = "") -> Text:
    """Untrusted text (names from postings, files, boards; server reasons) as a plain table
    cell or caption: one line, each control or invisible character shown as its escape
    (:func:`cell_text`: ``\\x1b``, ``\\n``, ``\\u202e``), never raw (an escape sequence
    in a skill name would clear or recolour the terminal) nor dropped (a name stored as
    ``Ann\\x1b[31m`` showed as ``Ann[31m``, another value than the one stored), never read
    as Rich markup (``[/]`` in a company name would stop the command, ``[bold]`` restyle
    it)."""
    return Text(cell_text(value), style=style)


def cell_text(value: object) -> str:
    """:func:`cell`'s text as a plain string (None is empty): the rule of an error line's
    value (:func:`newsletter.util.text.shown_value`), cut at :data:`CELL_MAX` characters.
    Pass it through ``escape`` where it goes into a line with markup of its own."""
    return "" if value is None else shown_value(value, CELL_MAX)


def warn(text: str) -> None:
    """One warning line on stderr (library notes passed as ``warn=``): a control character
    in it shown as its escape (:func:`message_line`), as in an error line."""
    err_console.print(
        f"[yellow]warning:[/] {escape(message_line(text, CELL_MAX))}",
        highlight=False,
        soft_wrap=True,
    )


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


def check_output(
    path: Path | None, *, folder: bool | None, reads: Mapping[str, Path | None] | None = None
) -> None:
    """Refuse an output path given on the command line that cannot be written (a part of it
    a file where a folder must be) or that is a file the command reads (``reads``: what
    each is, and its path; the database of :func:`database_file` among them), with one line
    and exit 1, before any work is done; the one check of every command that writes where
    the user says (see ``output_problem``)."""
    problem = None if path is None else output_problem(path, folder=folder, reads=reads)
    if problem is not None:
        raise OutputPathError(problem)


def _typed(value: str | Path, kind: str) -> str:
    """An output path as the user typed it (Typer also passes the option's default, a
    :class:`Path`): an empty one (a script's unset variable) is refused, never read as ".";
    so is one holding a character it cannot be printed with (:func:`unshowable`: an escape
    sequence, a line break), since the command prints the path it wrote, before anything is
    written under that name."""
    text = str(value) if isinstance(value, Path) else value
    if not text.strip():
        raise typer.BadParameter(f"an empty path: give a {kind}")
    bad = unshowable(text)
    if bad is not None:
        raise typer.BadParameter(
            f"the path holds {bad}, which does not print as itself (a control or invisible "
            f"character, a line break, a tab, a space other than ' '): give a {kind} of "
            "visible characters"
        )
    return text


def output_file(value: str | Path) -> Path:
    """``parser=`` of an option naming a file to write: a path that ends in "/" names a
    folder, and is refused as a usage error rather than written as a file of that name
    (``--out exports/`` wrote a file called ``exports``)."""
    text = _typed(value, "file name")
    if text.endswith(("/", os.sep)):
        raise typer.BadParameter(f"{text} ends in '/', so it names a folder: give a file name")
    return Path(text)


def output_file_in(name: str) -> Callable[[str | Path], Path]:
    """``parser=`` of an option naming a file to write, where a folder may be given instead:
    a path that ends in "/" gets ``name`` inside it, the folder made when missing (an
    existing folder without the "/" is the writer's to take alike)."""

    def parse(value: str | Path) -> Path:
        text = _typed(value, "file or folder name")
        return Path(text) / name if text.endswith(("/", os.sep)) else Path(text)

    return parse


def utf8_text(value: str) -> str:
    """``parser=`` of an option of free text that is kept (a name, a consent's wording): one
    holding bytes that are not UTF-8 (typed in a terminal set to Latin-1, which Python hands
    over as lone surrogates) is a usage error naming them, where the sanitiser would drop
    them and store a garbled name ("Jos" for "José")."""
    if well_formed(value) == value:
        return value
    shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    raise typer.BadParameter(
        f"'{shown}' holds bytes that are not UTF-8 text: set the terminal to UTF-8 and type "
        "it again"
    )


def output_folder(value: str | Path) -> Path:
    """``parser=`` of an option naming a folder to write in (an empty path refused)."""
    return Path(_typed(value, "folder name"))


def database_file(ctx: typer.Context) -> Path | None:
    """The file of ``[database] url`` when it is a SQLite file (None for PostgreSQL or an
    in-memory database): a file no command may write its output over."""
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError

    from newsletter.store.engine import sqlite_file

    try:
        path = sqlite_file(sa.make_url(config_of(ctx).database.url))
    except (ArgumentError, ValueError):  # a bad URL: opening the store says so
        return None
    return None if path is None else Path(path)


def new_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        cls=ErrorHandlingGroup,
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        add_completion=False,
    )
