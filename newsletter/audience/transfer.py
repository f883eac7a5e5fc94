"""CSV import and CSV/JSON export of the subscriber list.

Import columns (header names, any case): ``email`` (required), ``name``, ``categories``,
``metros``, ``seniority`` (several values separated by ``;``) and ``consented_at`` (ISO date or
datetime; a date alone is that day's midnight in ``[schedule] timezone``, a datetime without
an offset is UTC; default: the time of the import). The columns of an export are read back too:
``status`` (default ``active``), ``status_reason``, ``paused`` (yes/no), ``consent_source``,
``consent_ip``, ``consent_text``, ``created_at``, ``confirmed_at``, ``status_changed_at``; so
an export imported into another database keeps every status, preference and consent record.
A new row with status unsubscribed, bounced or complained is added with its suppression.
Other columns are reported and ignored. Names, values and notes pass the audience sanitiser.

The import is idempotent: a row equal to what is stored changes nothing. It never changes
the status of an address already on the list, and never adds an active or pending row for a
suppressed address; each such row is skipped with a reason. Invalid rows are kept with
their line number and reason in a rejects file (a row whose quote is never closed, which the
csv module reads to the end of the file, is one of them, with every line it swallowed). The
whole write happens in one transaction: all of it or nothing.

A file is read as UTF-8 (a byte-order mark is dropped). A file that is UTF-8 except on some
lines (a Latin-1 or Windows-1252 name pasted into it) is read all the same: each row holding
bytes that are not UTF-8 is an invalid row, its line and reason in the rejects file with
those bytes shown as ``\\xNN``, the others imported. Only when the header itself is not
UTF-8, or the file is UTF-16 (by its byte-order mark, or without one by the NUL bytes of its
header), is the whole file refused: its columns cannot be known. No encoding is guessed, so
no name is ever imported garbled. A file without a single row (empty, or a header alone) is
refused too: it holds nobody to import.

CSV files written here (exports, rejects) are meant to be opened in spreadsheets, so every
cell is quoted and a cell that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab, a carriage return or a line feed, or their full-width forms, also
after leading spaces: a rejected row's cells are the file's own) gets a leading ``'``, as
OWASP's CSV injection guidance says (:func:`neutralise`). The import removes that
quote again (:func:`restore`), so a file reads back to exactly the values it was made from.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from newsletter.audience.choices import PreferenceOptions
from newsletter.audience.sanitize import (
    IP_MAX,
    LIST_SEP,
    EmailNormalizer,
    clean_name,
    clean_note,
    clean_values,
)
from newsletter.audience.subscribers import (
    STOPPED,
    Consent,
    Status,
    Subscriber,
    SubscriberStore,
    email_hash,
    email_key,
    new_row,
    preference_columns,
)
from newsletter.errors import SubscriberError
from newsletter.models import CONSENT_SOURCES, SUBSCRIBER_STATUSES, ConsentSource, Preferences
from newsletter.store import subscribers, suppressions
from newsletter.util.csvtext import csv_dialect
from newsletter.util.files import NOT_REGULAR, atomic_write_text, special_file
from newsletter.util.text import clean_line, shown_path, shown_value

EXPORT_COLUMNS = (
    "email",
    "name",
    "status",
    "status_reason",
    "categories",
    "metros",
    "seniority",
    "paused",
    "consented_at",
    "consent_source",
    "consent_ip",
    "consent_text",
    "created_at",
    "confirmed_at",
    "status_changed_at",
)
KNOWN_COLUMNS = EXPORT_COLUMNS
_DATES = ("consented_at", "created_at", "confirmed_at", "status_changed_at")
#: The columns :func:`_record` reads (status, pause, dates, consent).
_RECORD_COLUMNS = frozenset(EXPORT_COLUMNS) - {"email", "name", "categories", "metros", "seniority"}
_YES, _NO = frozenset({"yes", "true", "1", "y"}), frozenset({"no", "false", "0", "n", ""})

#: First characters that make a spreadsheet evaluate a cell (OWASP CSV injection: a line
#: feed too), with their full-width forms, which some spreadsheets treat alike.
FORMULA_STARTS = (
    "=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20",
)  # fmt: skip


def formula_like(cell: str) -> bool:
    """Whether a spreadsheet may run ``cell`` as a formula: it starts with one of
    :data:`FORMULA_STARTS`, also after leading whitespace (``" =HYPERLINK(...)"``, a no-break
    space before ``@``: spreadsheets that trim a cell's spaces on import read the formula)."""
    return cell.startswith(FORMULA_STARTS) or cell.lstrip().startswith(FORMULA_STARTS)


def neutralise(cell: str) -> str:
    """``cell`` made inert for spreadsheets: a leading ``'`` when it is :func:`formula_like`
    (or starts with a ``'`` that :func:`restore` would otherwise take away)."""
    if formula_like(cell) or cell != restore(cell):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """The value :func:`neutralise` was given (cells from elsewhere pass unchanged unless
    they are a ``'`` followed by a :func:`formula_like` text or another ``'``)."""
    if len(cell) > 1 and cell[0] == "'" and (cell[1] == "'" or formula_like(cell[1:])):
        return cell[1:]
    return cell


def _csv_writer(buf: io.StringIO) -> Any:
    return csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)


_CHUNK = 5_000

#: progress(phase, done, total)
Progress = Callable[[str, int, int], None]


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    row: dict[str, str]
    reason: str
    kind: str = ""

    @property
    def group(self) -> str:
        return self.kind or self.reason


@dataclass
class ImportReport:
    total: int = 0
    added: int = 0
    updated: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    invalid: list[Rejected] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    rejects_path: Path | None = None
    dry_run: bool = False
    #: The rejects file of an earlier import, removed (would be, in a dry run) because this
    #: run had no invalid row: left there, it would read as this run's.
    stale_rejects: Path | None = None

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def all_invalid(self) -> bool:
        """Whether every row read was invalid: nothing could be imported (an import that
        only skipped rows, a re-run, is no such case)."""
        return self.total > 0 and len(self.invalid) == self.total

    def lines(self) -> list[str]:
        verb = "would be " if self.dry_run else ""
        out = [
            f"rows read: {self.total}",
            f"{verb}added: {self.added}",
            f"{verb}updated: {self.updated}",
            f"skipped: {self.skipped_total}",
        ]
        out += [f"  {reason}: {n}" for reason, n in sorted(self.skipped.items())]
        out.append(f"invalid: {len(self.invalid)}")
        reasons = Counter(r.group for r in self.invalid)
        out += [f"  {reason}: {n}" for reason, n in sorted(reasons.items())]
        if self.ignored_columns:
            out.append(f"ignored columns: {', '.join(self.ignored_columns)}")
        if self.rejects_path is not None:
            out.append(f"invalid rows saved to {shown_path(self.rejects_path)}")
        if self.stale_rejects is not None:
            removed, had = ("would remove", "has") if self.dry_run else ("removed", "had")
            out.append(
                f"{removed} {shown_path(self.stale_rejects)}, an earlier import's rejects: this "
                f"one {had} no invalid rows"
            )
        return out


@dataclass(frozen=True, slots=True)
class _Valid:
    line: int
    email: str
    name: str | None
    preferences: dict[str, list[str]]
    consented_at: dt.datetime | None
    status: Status = "active"
    status_reason: str | None = None
    paused: bool | None = None
    consent_source: ConsentSource = "import"
    consent_ip: str | None = None
    consent_text: str | None = None
    created_at: dt.datetime | None = None
    confirmed_at: dt.datetime | None = None
    status_changed_at: dt.datetime | None = None
    #: Whether the file has a confirmed_at column (then even an empty one is kept).
    confirmed_given: bool = False


#: Longest column name kept (a longer one is cut, and reported among the ignored ones).
COLUMN_NAME_MAX = 100
#: The largest subscriber list read (it is read whole: about five million addresses).
IMPORT_MAX_BYTES = 512 * 1024 * 1024


def read_csv(
    path: Path, limit: int = IMPORT_MAX_BYTES
) -> tuple[list[str], list[dict[str, str]], list[int]]:
    """The header (lower-cased) and rows of a CSV file of at most ``limit`` bytes, and the
    line of the file each row starts on (past a ``sep=;`` line and quoted line breaks); one
    clear error when unreadable or larger (checked before it is read)."""
    shown = shown_path(path)  # named in the errors as it is, escapes written out
    if special_file(path):
        raise SubscriberError(f"cannot read {shown}: it {NOT_REGULAR}")
    try:
        if path.is_file() and path.stat().st_size > limit:
            raise SubscriberError(
                f"{shown} is {path.stat().st_size:,} bytes, over the {limit:,} a list may have: "
                "split it and import the parts"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise SubscriberError(f"file {shown} does not exist") from None
    except IsADirectoryError:
        raise SubscriberError(f"{shown} is a folder, not a CSV file") from None
    except OSError as exc:
        raise SubscriberError(f"cannot read {shown}: {exc.strerror}") from None
    if data[:2] in _UTF16_BOMS:
        raise SubscriberError(f"{shown} is UTF-16 text, not UTF-8: {_SAVE_AS_UTF8}")
    text, mixed = _utf8(data)
    del data
    separator, skip = csv_dialect(text[:4096])  # Excel's semicolons, a "sep=;" line
    if skip:
        text = text.split("\n", 1)[1] if "\n" in text else ""
    if not text.strip():
        raise SubscriberError(
            f"{shown} is empty: a list is a header line with an 'email' column, then a row "
            "per subscriber"
        )
    # a cell may be as long as the file (it is in memory already): its row is judged like
    # any other (a name cut, an address refused), never the whole file refused for it
    field_limit = csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        # a name's invisible characters (a second byte-order mark, a zero-width space) go:
        # "\ufeffemail" is the email column, as it reads
        names = next(reader, [])
        if mixed and any(_NOT_UTF8.search(h) for h in names):
            raise SubscriberError(
                f"{shown}: its header (line {skip + 1}) is not UTF-8 text "
                f"({_unreadable(names)}): {_SAVE_AS_UTF8}"
            )
        if any("\x00" in h for h in names):  # "e\0m\0a\0i\0l\0": read as "email" cleaned
            raise SubscriberError(
                f"{shown}: its header (line {skip + 1}) holds NUL bytes, as UTF-16 text without "
                f"a byte-order mark does, not UTF-8: {_SAVE_AS_UTF8}"
            )
        header = [clean_line(h, COLUMN_NAME_MAX).lower() for h in names]
        if "email" not in header:
            named = ", ".join(shown_value(h, COLUMN_NAME_MAX) for h in names)
            raise SubscriberError(f"{shown} has no 'email' column (header: {named})")
        if len(set(header)) != len(header):
            raise SubscriberError(f"{shown} repeats a column name in its header")
        rows: list[dict[str, str]] = []
        lines: list[int] = []
        start = reader.line_num + 1
        for read in reader:
            lines.append(skip + start)
            start = reader.line_num + 1
            if not any(v.strip() for v in read):
                rows.append({})
                continue
            bad = _unreadable(read) if mixed else ""
            # a row with bytes that are not UTF-8 is kept to be shown, as \xNN escapes
            values = [_escaped(v) for v in read] if bad else read
            cells = (restore(v) if v[:1] == "'" else v for v in values)
            row = dict(zip(header, cells, strict=False))
            if len(values) > len(header):
                row["__extra__"] = LIST_SEP.join(values[len(header) :])
            if bad:
                row[NOT_UTF8] = bad
            rows.append(row)
        if not any(rows):  # a header alone (or with blank lines): an export of nothing
            raise SubscriberError(f"no subscribers in {shown}: it has a header and no rows")
        first = lines[-1] - skip if lines else 0
        if rows and rows[-1] and reader.line_num > first:  # the last row spans lines
            tail = "".join(itertools.islice(io.StringIO(text, newline=""), first - 1, None))
            if _ends_in_quotes(tail, separator):
                rows[-1][UNCLOSED] = str(skip + reader.line_num)
    except csv.Error as exc:
        raise SubscriberError(f"{shown} is not a readable CSV file: {exc}") from None
    finally:
        csv.field_size_limit(field_limit)
    return header, rows, lines


#: The key :func:`read_csv` marks a row with whose quote is never closed (its value: the
#: file's last line, where the row ends).
UNCLOSED = "__unclosed__"
#: The key :func:`read_csv` marks a row with that holds bytes that are not UTF-8 (its value:
#: where, its cells' bytes shown as ``\xNN``).
NOT_UTF8 = "__not_utf8__"

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SAVE_AS_UTF8 = "save it as UTF-8 (Excel: CSV UTF-8) and import it again"
#: What a byte that is not UTF-8 becomes when read with ``surrogateescape`` (valid UTF-8
#: never gives these: the decoder refuses an encoded surrogate, escaping its bytes too).
_NOT_UTF8 = re.compile("[\udc80-\udcff]+")


def _utf8(data: bytes) -> tuple[str, bool]:
    """The text of ``data`` (UTF-8, a byte-order mark dropped), and whether some of its bytes
    are not UTF-8: each of those is read as a lone surrogate (``surrogateescape``), so the
    rows they are in can be rejected one by one, the others read as they are."""
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", errors="surrogateescape"), True


def _escaped(text: str) -> str:
    """``text`` with each byte that is not UTF-8 shown as ``\\xNN`` (printable, writable)."""
    return _NOT_UTF8.sub(_byte_escapes, text)


def _byte_escapes(run: re.Match[str]) -> str:
    return run.group().encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")


def _unreadable(cells: Iterable[str]) -> str:
    """The cells of ``cells`` that hold bytes that are not UTF-8, escaped (:func:`_escaped`)
    and cut, to name in a reason."""
    bad = (clean_line(_escaped(c), 60) for c in cells if _NOT_UTF8.search(c))
    return "; ".join(itertools.islice(bad, 3))


def _ends_in_quotes(tail: str, separator: str) -> bool:
    """Whether ``tail``, the text of a file's last row, ends inside a quoted cell: a quote
    opened and never closed, which the csv module reads to the end of the file without a
    word, every line after it part of the cell. Then a line holding an empty quoted cell
    after it becomes no row of its own."""

    def count(t: str) -> int:
        return sum(1 for _ in csv.reader(io.StringIO(t, newline=""), delimiter=separator))

    ended = tail if tail.endswith(("\n", "\r")) else tail + "\n"
    return count(ended + '""\n') == count(ended)


def _split(value: str | None) -> list[str]:
    if not value or not value.strip():
        return []
    return list(clean_values(value.split(LIST_SEP)))


def _date(column: str, value: str, zone: dt.tzinfo) -> dt.datetime:
    """An ISO datetime (UTC when it has no offset), or a date alone: that day's midnight in
    ``zone`` (the publisher's), so that today's date is never in the future east of UTC."""
    try:
        try:
            t = dt.datetime.combine(dt.date.fromisoformat(value.strip()), dt.time(), zone)
        except ValueError:
            t = dt.datetime.fromisoformat(value.strip())
        return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # OverflowError: 9999-12-31 in a zone west of UTC
        raise SubscriberError(f"{column} '{shown_value(value, 40)}' is not an ISO date") from None


#: How far ahead of the importing clock a date may be (another host's clock a little ahead).
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def _record(
    row: dict[str, str], now: dt.datetime | None = None, zone: dt.tzinfo = dt.UTC
) -> dict[str, Any]:
    """The status, pause and consent columns of one row (SubscriberError when invalid; a
    date later than ``now`` is invalid: consent or sign-up cannot come from the future; a
    date without a time is that day in ``zone``)."""
    out: dict[str, Any] = {}
    for column in _DATES:
        if row.get(column, "").strip():
            out[column] = when = _date(column, row[column], zone)
            if now is not None and when > now + FUTURE_TOLERANCE:
                raise SubscriberError(f"{column} '{shown_value(row[column], 40)}' is in the future")
    status = (row.get("status") or "").strip().lower() or "active"
    if status not in SUBSCRIBER_STATUSES:
        raise SubscriberError(f"unknown status '{shown_value(status, 40)}'")
    out["status"] = status
    paused = (row.get("paused") or "").strip().lower()
    if paused not in _YES | _NO:
        raise SubscriberError(f"paused must be yes or no, not '{shown_value(paused, 40)}'")
    out["paused"] = paused in _YES if "paused" in row else None
    source = (row.get("consent_source") or "").strip().lower() or "import"
    if source not in CONSENT_SOURCES:
        raise SubscriberError(f"unknown consent_source '{shown_value(source, 40)}'")
    out["consent_source"] = source
    out["consent_ip"] = clean_note(row.get("consent_ip"), IP_MAX)
    out["consent_text"] = clean_note(row.get("consent_text"))
    out["status_reason"] = clean_note(row.get("status_reason"))
    out["confirmed_given"] = "confirmed_at" in row
    return out


def validate_rows(
    header: Sequence[str],
    rows: Sequence[dict[str, str]],
    progress: Progress = _no_progress,
    options: PreferenceOptions | None = None,
    *,
    now: dt.datetime | None = None,
    zone: dt.tzinfo = dt.UTC,
    lines: Sequence[int] = (),
) -> tuple[list[_Valid], list[Rejected], Counter[str]]:
    """Validate every row: valid ones, invalid ones with reasons, and in-file duplicates.
    With ``options``, a picked value the issue never uses rejects its row (its reason names
    the closest known value); known ones are stored in the taxonomy's spelling. With
    ``now``, a date column later than it makes the row invalid; a date without a time is
    that day in ``zone``. ``lines``: each row's line in the file (else the row's number + 1,
    as in a file with one header line and no line break in a cell)."""
    valid: list[_Valid] = []
    invalid: list[Rejected] = []
    duplicates: Counter[str] = Counter()
    seen: set[str] = set()
    normalize = EmailNormalizer()
    has = {c: c in header for c in ("name", "categories", "metros", "seniority")}
    # a plain list (no status, pause, date or consent column) gets the defaults unparsed
    plain = None if _RECORD_COLUMNS & set(header) else _record({})
    total = len(rows)
    for i, row in enumerate(rows):
        line = lines[i] if lines else i + 2
        if i % 2_000 == 0:
            progress("validating", i, total)
        if not row:
            invalid.append(Rejected(line, row, "empty row"))
            continue
        if "__extra__" in row:
            invalid.append(Rejected(line, row, "more values than header columns"))
            continue
        if UNCLOSED in row:
            why = (
                f"a quote opened in this row is never closed: lines {line} to "
                f"{row[UNCLOSED]} (the end of the file) were read as this one row"
            )
            invalid.append(Rejected(line, row, why, "a quote never closed"))
            continue
        if NOT_UTF8 in row:
            why = (
                f"not UTF-8 text: {row[NOT_UTF8]} (each byte that is not UTF-8 shown as \\xNN; "
                "save the file as UTF-8 and import it again)"
            )
            invalid.append(Rejected(line, row, why, "not UTF-8 text"))
            continue
        try:
            email = normalize(row.get("email") or "")
        except SubscriberError as exc:
            invalid.append(Rejected(line, row, str(exc), "invalid email address"))
            continue
        try:
            record = dict(plain) if plain is not None else _record(row, now, zone)
        except SubscriberError as exc:
            column = str(exc).partition(" ")[0]
            group = f"invalid {column}" if column in _DATES else "invalid status, pause or source"
            invalid.append(Rejected(line, row, str(exc), group))
            continue
        key = email_key(email)
        if key in seen:
            duplicates["duplicate of an earlier row in the file"] += 1
            continue
        seen.add(key)
        prefs = {c: _split(row.get(c)) for c in ("categories", "metros", "seniority") if has[c]}
        if options is not None and any(prefs.values()):
            try:
                known = options.checked(Preferences(**{k: tuple(v) for k, v in prefs.items()}))
            except SubscriberError as exc:
                invalid.append(Rejected(line, row, str(exc), "unknown preference value"))
                continue
            prefs = {c: list(getattr(known, c)) for c in prefs}
        name = clean_name(row.get("name"))
        consented = record.pop("consented_at", None)
        valid.append(_Valid(line, email, name if has["name"] else None, prefs, consented, **record))
    progress("validating", total, total)
    return valid, invalid, duplicates


def import_csv(
    store: SubscriberStore,
    path: Path,
    *,
    dry_run: bool = False,
    rejects_path: Path | None = None,
    progress: Progress = _no_progress,
    options: PreferenceOptions | None = None,
    zone: dt.tzinfo = dt.UTC,
) -> ImportReport:
    """Import a CSV file (see the module docstring); returns the counted report. With
    ``options``, rows picking a value the issue never uses are rejected (:func:`validate_rows`);
    a date without a time is that day in ``zone`` (``[schedule] timezone``)."""
    header, rows, lines = read_csv(path)
    valid, invalid, duplicates = validate_rows(
        header, rows, progress, options, now=store.clock.now(), zone=zone, lines=lines
    )
    report = ImportReport(
        total=len(rows),
        invalid=invalid,
        skipped=duplicates,
        ignored_columns=tuple(h for h in header if h not in KNOWN_COLUMNS),
        dry_run=dry_run,
    )
    now = store.clock.now()
    consent_text = f"imported by the list owner from {path.name}"
    with store.db.write() as conn:
        blocked = {
            h: r
            for h, r in conn.execute(sa.select(suppressions.c.email_hash, suppressions.c.reason))
        }
        existing = {
            r.email_key: r
            for r in conn.execute(
                sa.select(
                    subscribers.c.id,
                    subscribers.c.email_key,
                    subscribers.c.status,
                    subscribers.c.name,
                    subscribers.c.categories,
                    subscribers.c.metros,
                    subscribers.c.seniority,
                    subscribers.c.paused,
                )
            )
        }
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        suppress: list[dict[str, Any]] = []
        for v in valid:
            digest = email_hash(v.email)
            reason = blocked.get(digest)
            if reason is not None and v.status not in STOPPED:
                report.skipped[f"on the suppression list ({reason})"] += 1
                continue
            old = existing.get(email_key(v.email))
            if old is None:
                inserts.append(_new(v, now, consent_text))
                if v.status in STOPPED and reason is None:
                    detail = v.status_reason or f"imported as {v.status}"
                    suppress.append({"email_hash": digest, "reason": v.status,
                                     "detail": detail, "created_at": now})  # fmt: skip
                continue
            if old.status != "active":
                report.skipped[f"status is {old.status}"] += 1
                continue
            if v.status != "active":
                report.skipped[f"already active; the file's status {v.status} is not applied"] += 1
                continue
            change: dict[str, Any] = {}
            if v.name is not None and v.name != old.name:
                change["name"] = v.name
            for col, values in v.preferences.items():
                if values != list(getattr(old, col)):
                    change[col] = values
            if v.paused is not None and v.paused != bool(old.paused):
                change["paused"] = v.paused
            if not change:
                report.skipped["already on the list, unchanged"] += 1
                continue
            current = {
                "name": old.name,
                "paused": bool(old.paused),
                **preference_columns(
                    Preferences(tuple(old.categories), tuple(old.metros), tuple(old.seniority))
                ),
            }
            updates.append({"b_id": old.id, **current, **change, "updated_at": now})
        report.added, report.updated = len(inserts), len(updates)
        target = rejects_path or default_rejects_path(path)
        if not invalid and is_rejects_file(target):  # an earlier run's: read as this one's
            report.stale_rejects = target
        if not dry_run:
            try:
                _write(conn, inserts, updates, progress)
                if suppress:
                    conn.execute(sa.insert(suppressions), suppress)
            except IntegrityError:
                raise SubscriberError(
                    "another process added some of these addresses during the import; "
                    "nothing was written, run the import again"
                ) from None
            # before the commit: rows are never imported without their rejects, nor beside
            # another run's
            if invalid:
                report.rejects_path = target
                write_rejects(report.rejects_path, header, invalid)
            elif report.stale_rejects is not None:
                remove_rejects(report.stale_rejects)
    return report


def default_rejects_path(path: Path) -> Path:
    """Where the invalid rows of the list ``path`` go without ``--rejects``: beside it,
    ``list.csv`` -> ``list.rejects.csv``."""
    return path.with_name(f"{path.stem}.rejects.csv")


#: The first cells of a rejects file's header (:func:`write_rejects`).
_REJECTS_HEADER = ("line", "reason")


def is_rejects_file(path: Path) -> bool:
    """Whether ``path`` is a regular file that an import wrote as its rejects: its header
    starts with the ``line`` and ``reason`` columns (:func:`write_rejects`). Any other file
    at that name (a list, a user's own file) is no import's rejects, and is left alone."""
    if not path.is_file():  # a folder, a pipe, a device, or nothing there
        return False
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            first = f.readline(4096)
    except OSError:
        return False
    cells = next(csv.reader([first]), [])
    return tuple(cells[:2]) == _REJECTS_HEADER


def remove_rejects(path: Path) -> None:
    """Remove an earlier import's rejects file (before the commit: an import whose rows
    came in never leaves another run's rejects beside the list)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise SubscriberError(
            f"cannot remove {shown_path(path)}, the rejects of an earlier import: "
            f"{exc.strerror or exc}; nothing was imported"
        ) from None


def _new(v: _Valid, now: dt.datetime, consent_text: str) -> dict[str, Any]:
    """The columns of a new row from a valid import row (its own record where it has one)."""
    consent = Consent(
        at=v.consented_at or now,
        source=v.consent_source,
        ip=v.consent_ip,
        text=v.consent_text or consent_text,
    )
    prefs = Preferences(**{k: tuple(x) for k, x in v.preferences.items()})
    row = new_row(
        v.email, name=v.name, status=v.status, preferences=prefs, consent=consent, now=now
    )
    row["paused"] = bool(v.paused)
    row["status_reason"] = v.status_reason
    row["created_at"] = v.created_at or now
    row["status_changed_at"] = v.status_changed_at or now
    if v.confirmed_given or v.status != "active":
        row["confirmed_at"] = v.confirmed_at
    return row


def _write(
    conn: sa.Connection,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    progress: Progress,
) -> None:
    total = len(inserts) + len(updates)
    done = 0
    insert = _BulkInsert(conn, subscribers, inserts[0]) if inserts else None
    for i in range(0, len(inserts), _CHUNK):
        chunk = inserts[i : i + _CHUNK]
        assert insert is not None
        insert.run(chunk)
        done += len(chunk)
        progress("writing", done, total)
    # executemany: the SET clause comes from the keys of the parameter dicts
    stmt = sa.update(subscribers).where(subscribers.c.id == sa.bindparam("b_id"))
    for i in range(0, len(updates), _CHUNK):
        chunk = updates[i : i + _CHUNK]
        conn.execute(stmt, chunk)
        done += len(chunk)
        progress("writing", done, total)
    progress("writing", total, total)


class _BulkInsert:
    """executemany of many similar rows, converting each distinct value only once.

    New rows share timestamps and mostly-empty preference lists; running SQLAlchemy's type
    processors (UTC datetimes, JSON) once per distinct value instead of once per row makes
    a 100,000-row import several times faster. The statement and the processors are the
    dialect's own, so SQLite and PostgreSQL get exactly what a normal insert would send.
    """

    def __init__(self, conn: sa.Connection, table: sa.Table, sample: dict[str, Any]) -> None:
        self.conn = conn
        self.keys = list(sample)
        compiled = sa.insert(table).compile(dialect=conn.dialect, column_keys=self.keys)
        self.sql = compiled.string
        self.order = list(compiled.positiontup or []) if compiled.positional else None
        self.procs = {k: table.c[k].type.bind_processor(conn.dialect) for k in self.keys}
        self.memo: dict[str, dict[Any, Any]] = {k: {} for k in self.keys}

    def _convert(self, key: str, value: Any) -> Any:
        proc = self.procs[key]
        if proc is None or value is None:
            return value
        memo_key = json.dumps(value) if isinstance(value, list) else value
        memo = self.memo[key]
        if memo_key not in memo:
            memo[memo_key] = proc(value)
        return memo[memo_key]

    def run(self, rows: Sequence[dict[str, Any]]) -> None:
        converted = [{k: self._convert(k, r[k]) for k in self.keys} for r in rows]
        if self.order is not None:
            params: Any = [tuple(r[k] for k in self.order) for r in converted]
        else:
            params = converted
        self.conn.exec_driver_sql(self.sql, params)


def write_rejects(path: Path, header: Sequence[str], rejected: Iterable[Rejected]) -> None:
    """The invalid rows with their line number and reason (atomic write)."""
    buf = io.StringIO()
    w = _csv_writer(buf)
    w.writerow([neutralise(h) for h in ("line", "reason", *header)])
    for r in rejected:
        cells = (str(r.line), r.reason, *(r.row.get(h, "") for h in header))
        w.writerow([neutralise(c) for c in cells])
    try:
        atomic_write_text(path, buf.getvalue())
    except OSError as exc:
        raise SubscriberError(
            f"cannot write the rejected rows to {shown_path(path)}: {exc.strerror or exc}; "
            "nothing was imported"
        ) from None


def _iso(t: dt.datetime | None) -> str:
    return t.isoformat() if t else ""


def export_csv(subs: Iterable[Subscriber]) -> str:
    """A CSV the import reads back (lists joined with ``;``), safe to open in a spreadsheet
    (every cell quoted, formulas neutralised: see :func:`neutralise`)."""
    buf = io.StringIO()
    w = _csv_writer(buf)
    w.writerow(EXPORT_COLUMNS)
    for s in subs:
        cells = (
            s.email,
            s.name or "",
            s.status,
            s.status_reason or "",
            LIST_SEP.join(s.preferences.categories),
            LIST_SEP.join(s.preferences.metros),
            LIST_SEP.join(s.preferences.seniority),
            "yes" if s.paused else "no",
            _iso(s.consent.at),
            s.consent.source,
            s.consent.ip or "",
            s.consent.text or "",
            _iso(s.created_at),
            _iso(s.confirmed_at),
            _iso(s.status_changed_at),
        )
        w.writerow([neutralise(c) for c in cells])
    return buf.getvalue()


def export_json(subs: Iterable[Subscriber]) -> str:
    return json.dumps([s.to_json() for s in subs], indent=2, ensure_ascii=False) + "\n"
