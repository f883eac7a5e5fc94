"""The publisher's list of job boards: ``sources.toml`` (path in ``[collect] sources``).

One ``[[source]]`` table per board::

    [[source]]
    ats = "greenhouse"          # greenhouse, lever, ashby, smartrecruiters, workable,
                                # recruitee or url
    board = "anthropic"         # the board's name in its public URL
    company = "Anthropic"       # display name used in the issue
    tags = ["frontier-lab"]     # optional

    [[source]]                  # a generic export read through the ingest formats
    ats = "url"
    board = "my-feed"           # a short name (the source of its postings)
    url = "https://example.com/jobs.csv"
    format = "csv"              # optional: auto | csv | tsv | jsonl | json | parquet | ...

A board's key (``greenhouse:anthropic``) is the ``source`` of its postings and the prefix of
their ids, so keep it stable. Board names are not case-sensitive (the job boards' APIs read
``Anthropic`` as ``anthropic``): two entries differing only by case are one board listed
twice, refused (in the file, by ``sources add``, and among the boards a program gives
``collect()``: :func:`distinct_sources`); a board is kept as written (its postings' ids do not
change). The file is edited by hand or with ``newsletter sources add``, which keeps its
comments (tomlkit).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import tomlkit
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from tomlkit.items import AoT

from newsletter.config import ATS_KINDS, BOARD_MAX
from newsletter.data.ingest import Format
from newsletter.errors import CollectError
from newsletter.util.files import NOT_REGULAR, atomic_write_text, special_file
from newsletter.util.text import shown_value
from newsletter.util.urls import web_url

AtsKind = Literal["greenhouse", "lever", "ashby", "smartrecruiters", "workable", "recruitee", "url"]
_BOARD_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{BOARD_MAX - 1}}}")  # whole: fullmatch
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

HEADER = """\
# Job boards `newsletter collect` reads every week (see `newsletter sources --help`).
# One [[source]] per board: ats, board (its name in the board's public URL), company
# (the display name), optional tags. Check them with `newsletter sources check`.
"""


class Source(BaseModel):
    """One job board."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ats: AtsKind
    board: str
    company: str | None = None
    tags: tuple[str, ...] = ()
    #: Only for ``ats = "url"``: where the export lives, and its format.
    url: str | None = None
    format: Format | None = None

    @field_validator("board")
    @classmethod
    def _board(cls, v: str) -> str:
        if not _BOARD_RE.fullmatch(v):
            raise ValueError(
                f"{v!r} is not a board name (letters, digits, '.', '_' and '-', "
                f"at most {BOARD_MAX})"
            )
        return v

    @field_validator("company")
    @classmethod
    def _company(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = " ".join(v.split())
        if not v or len(v) > 120 or _CONTROL_RE.search(v):
            raise ValueError("must be 1 to 120 printable characters")
        return v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in v if not _BOARD_RE.fullmatch(t)]
        if bad:
            raise ValueError(f"tags are single words: {', '.join(map(repr, bad))}")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and web_url(v) != v:  # the one test of a URL (util/urls)
            raise ValueError(
                f"{v!r} must be an http:// or https:// address without spaces, invisible "
                "characters or a user name before its host"
            )
        return v

    @model_validator(mode="after")
    def _kind(self) -> Source:
        if self.ats == "url" and not self.url:
            raise ValueError('ats = "url" needs url = "https://..."')
        if self.ats != "url" and (self.url or self.format):
            raise ValueError('url and format are only for ats = "url"')
        if self.ats != "url" and not self.company:
            raise ValueError("company (the display name) is required")
        return self

    @property
    def key(self) -> str:
        """``ats:board``: the source of this board's postings."""
        return f"{self.ats}:{self.board}"

    @property
    def identity(self) -> str:
        """The key as the boards read it: two sources of the same identity are one board."""
        return self.key.casefold()

    @property
    def label(self) -> str:
        return f"{self.key} ({self.company})" if self.company else self.key


def parse_spec(spec: str) -> tuple[str, str]:
    """``greenhouse:anthropic`` -> (``greenhouse``, ``anthropic``); CollectError otherwise."""
    ats, sep, board = spec.strip().partition(":")
    if not sep or ats not in ATS_KINDS or not _BOARD_RE.fullmatch(board):
        raise CollectError(
            f"{spec!r} is not ATS:BOARD (ATS one of {', '.join(ATS_KINDS)}; "
            "BOARD letters, digits, '.', '_' and '-')"
        )
    return ats, board


def _problems(index: int, raw: object, exc: ValidationError | ValueError) -> list[str]:
    name = raw.get("board") if isinstance(raw, dict) else None
    where = f"source {index}" + (f" ({shown_value(name, 128)})" if isinstance(name, str) else "")
    if isinstance(exc, ValidationError):
        out = []
        for e in exc.errors():
            loc = ".".join(str(p) for p in e["loc"])
            msg = str(e["msg"]).removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = "unknown setting (check the spelling)"
            out.append(f"{where}: {loc + ': ' if loc else ''}{msg}")
        return out
    return [f"{where}: {exc}"]


def parse_sources(text: str, *, origin: str = "sources.toml") -> list[Source]:
    """Validate a sources file's text; one CollectError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CollectError(f"{origin} is not valid TOML: {exc}") from None
    unknown = [k for k in data if k != "source"]
    entries = data.get("source", [])
    problems = [(0, f"unknown table or key {k!r} (use [[source]] tables)") for k in unknown]
    if not isinstance(entries, list):
        problems.append((0, "'source' must be an array of tables ([[source]])"))
        entries = []
    numbered: list[tuple[int, Source]] = []
    for i, raw in enumerate(entries, start=1):
        try:
            numbered.append((i, Source.model_validate(raw)))
        except (ValidationError, ValueError) as exc:
            problems += [(i, problem) for problem in _problems(i, raw, exc)]
    repeated = _listed_twice(numbered)
    _refuse(origin, sorted(problems + list(repeated.items()), key=lambda p: p[0]))
    return [src for _i, src in numbered]


def distinct_sources(sources: Iterable[Source], *, origin: str) -> list[Source]:
    """``sources`` (given in code, not read from a file) when each board is in them once;
    else one CollectError naming each repeat, as :func:`parse_sources` does for a file."""
    numbered = list(enumerate(sources, start=1))
    _refuse(origin, sorted(_listed_twice(numbered).items()))
    return [src for _i, src in numbered]


def _listed_twice(numbered: Iterable[tuple[int, Source]]) -> dict[int, str]:
    """The problem of each source whose board an earlier one already is (the same
    :attr:`Source.identity`: board names are not case-sensitive), by its number."""
    seen: dict[str, tuple[int, Source]] = {}
    repeated: dict[int, str] = {}
    for i, src in numbered:
        if src.identity in seen:
            j, other = seen[src.identity]
            also = f"also source {j}{_as(other, src)}"
            repeated[i] = f"source {i}: {src.key} is listed twice ({also})"
        else:
            seen[src.identity] = (i, src)
    return repeated


def _refuse(origin: str, problems: Sequence[tuple[int, str]]) -> None:
    """One CollectError line listing every problem, if any."""
    if problems:
        n = len(problems)
        head = f"{origin}: " if n == 1 else f"{origin}: {n} problems: "
        raise CollectError(head + "; ".join(problem for _i, problem in problems))


def _as(listed: Source, new: Source) -> str:
    """How ``listed`` is written, when only its case differs from ``new``."""
    if listed.key == new.key:
        return ""
    return f", as {listed.key}: board names are not case-sensitive"


def _read(path: Path, missing: str) -> str:
    """The sources file's text (``missing`` when there is none), or one CollectError line
    saying why it cannot be read: a folder, a pipe or device (which would block or never
    end), a file that is not UTF-8 text."""
    why = f"cannot read the sources file {path}"
    if special_file(path):
        raise CollectError(f"{why}: it {NOT_REGULAR}")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return missing
    except UnicodeDecodeError:
        raise CollectError(f"{why}: it is not UTF-8 text") from None
    except OSError as exc:
        raise CollectError(f"{why}: {exc.strerror or exc}") from None


def load_sources(path: Path) -> list[Source]:
    """The boards listed in ``path``; an empty list when the file does not exist."""
    return parse_sources(_read(path, ""), origin=str(path))


def none_listed(path: Path) -> str:
    """Why the sources file ``path`` gives no board: it does not exist (the example not
    copied yet, another folder's config) or lists none; and how to add one."""
    why = "does not exist" if not path.exists() else "lists none"
    return f"{path} {why} (add one with `newsletter sources add greenhouse:BOARD --company NAME`)"


def add_source(path: Path, source: Source) -> None:
    """Append ``source`` to the file (created with a header when missing), keeping its
    comments and layout; CollectError when the board is already listed."""
    text = _read(path, HEADER)
    existing = parse_sources(text, origin=str(path))
    listed = next((s for s in existing if s.identity == source.identity), None)
    if listed is not None:
        raise CollectError(f"{source.key} is already in {path}{_as(listed, source)}")
    doc = tomlkit.parse(text)
    table = tomlkit.table()
    for key, value in source.model_dump(mode="json", exclude_defaults=True).items():
        table[key] = list(value) if isinstance(value, tuple) else value
    boards = doc.get("source")
    if isinstance(boards, AoT):
        boards.append(table)
    else:
        aot = tomlkit.aot()
        aot.append(table)
        doc["source"] = aot
    out = tomlkit.dumps(doc)
    parse_sources(out, origin=str(path))  # what we write reads back
    try:
        atomic_write_text(path, out)
    except OSError as exc:
        raise CollectError(f"cannot write {path}: {exc.strerror or exc}") from None


__all__ = [
    "HEADER",
    "AtsKind",
    "Source",
    "add_source",
    "distinct_sources",
    "load_sources",
    "none_listed",
    "parse_sources",
    "parse_spec",
]
