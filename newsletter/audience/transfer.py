"""CSV import and CSV/JSON export of the subscriber list.

Import columns (header names, any case): ``email`` (required), ``name``, ``categories``,
``metros``, ``seniority`` (several values separated by ``;``) and ``consented_at`` (ISO date or
datetime; default: the time of the import). Other columns are reported and ignored.

The import is idempotent: a row equal to what is stored changes nothing. It never touches
unsubscribed, bounced, complained, pending or suppressed addresses; each such row is skipped
with a reason. Invalid rows are kept with their line number and reason in a rejects file.
The whole write happens in one transaction: all of it or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from newsletter.audience.subscribers import (
    Consent,
    EmailNormalizer,
    Subscriber,
    SubscriberStore,
    clean_values,
    email_hash,
    email_key,
    new_row,
    preference_columns,
)
from newsletter.errors import SubscriberError
from newsletter.models import Preferences
from newsletter.store import subscribers, suppressions
from newsletter.util.files import atomic_write_text

KNOWN_COLUMNS = ("email", "name", "categories", "metros", "seniority", "consented_at")
LIST_SEP = ";"
EXPORT_COLUMNS = (
    "email",
    "name",
    "status",
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
)
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

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

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
            out.append(f"invalid rows saved to {self.rejects_path}")
        return out


@dataclass(frozen=True, slots=True)
class _Valid:
    line: int
    email: str
    name: str | None
    preferences: dict[str, list[str]]
    consented_at: dt.datetime | None


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header (lower-cased) and rows of a CSV file; one clear error when unreadable."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SubscriberError(f"file {path} does not exist") from None
    except IsADirectoryError:
        raise SubscriberError(f"{path} is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise SubscriberError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise SubscriberError(f"cannot read {path}: {exc.strerror}") from None
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in next(reader, [])]
        if "email" not in header:
            raise SubscriberError(f"{path} has no 'email' column (header: {', '.join(header)})")
        if len(set(header)) != len(header):
            raise SubscriberError(f"{path} repeats a column name in its header")
        rows: list[dict[str, str]] = []
        for values in reader:
            if not any(v.strip() for v in values):
                rows.append({})
                continue
            row = dict(zip(header, values, strict=False))
            if len(values) > len(header):
                row["__extra__"] = LIST_SEP.join(values[len(header) :])
            rows.append(row)
    except csv.Error as exc:
        raise SubscriberError(f"{path} is not a readable CSV file: {exc}") from None
    return header, rows


def _split(value: str | None) -> list[str]:
    if not value or not value.strip():
        return []
    return list(clean_values(value.split(LIST_SEP)))


def _consented_at(value: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise SubscriberError(f"consented_at {value!r} is not an ISO date") from None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def validate_rows(
    header: Sequence[str], rows: Sequence[dict[str, str]], progress: Progress = _no_progress
) -> tuple[list[_Valid], list[Rejected], Counter[str]]:
    """Validate every row: valid ones, invalid ones with reasons, and in-file duplicates."""
    valid: list[_Valid] = []
    invalid: list[Rejected] = []
    duplicates: Counter[str] = Counter()
    seen: set[str] = set()
    normalize = EmailNormalizer()
    has = {c: c in header for c in ("name", "categories", "metros", "seniority")}
    total = len(rows)
    for i, row in enumerate(rows):
        line = i + 2
        if i % 2_000 == 0:
            progress("validating", i, total)
        if not row:
            invalid.append(Rejected(line, row, "empty row"))
            continue
        if "__extra__" in row:
            invalid.append(Rejected(line, row, "more values than header columns"))
            continue
        try:
            email = normalize(row.get("email") or "")
        except SubscriberError as exc:
            invalid.append(Rejected(line, row, str(exc), "invalid email address"))
            continue
        try:
            consented = _consented_at(row["consented_at"]) if row.get("consented_at") else None
        except SubscriberError as exc:
            invalid.append(Rejected(line, row, str(exc), "invalid consented_at"))
            continue
        key = email_key(email)
        if key in seen:
            duplicates["duplicate of an earlier row in the file"] += 1
            continue
        seen.add(key)
        prefs = {c: _split(row.get(c)) for c in ("categories", "metros", "seniority") if has[c]}
        name = " ".join((row.get("name") or "").split()) or None
        valid.append(_Valid(line, email, name if has["name"] else None, prefs, consented))
    progress("validating", total, total)
    return valid, invalid, duplicates


def import_csv(
    store: SubscriberStore,
    path: Path,
    *,
    dry_run: bool = False,
    rejects_path: Path | None = None,
    progress: Progress = _no_progress,
) -> ImportReport:
    """Import a CSV file (see the module docstring); returns the counted report."""
    header, rows = read_csv(path)
    valid, invalid, duplicates = validate_rows(header, rows, progress)
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
                )
            )
        }
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for v in valid:
            reason = blocked.get(email_hash(v.email))
            if reason is not None:
                report.skipped[f"on the suppression list ({reason})"] += 1
                continue
            old = existing.get(email_key(v.email))
            if old is None:
                consent = Consent(at=v.consented_at or now, source="import", text=consent_text)
                prefs = Preferences(**{k: tuple(x) for k, x in v.preferences.items()})
                inserts.append(
                    new_row(
                        v.email,
                        name=v.name,
                        status="active",
                        preferences=prefs,
                        consent=consent,
                        now=now,
                    )
                )
                continue
            if old.status != "active":
                report.skipped[f"status is {old.status}"] += 1
                continue
            change: dict[str, Any] = {}
            if v.name is not None and v.name != old.name:
                change["name"] = v.name
            for col, values in v.preferences.items():
                if values != list(getattr(old, col)):
                    change[col] = values
            if not change:
                report.skipped["already on the list, unchanged"] += 1
                continue
            current = {
                "name": old.name,
                **preference_columns(
                    Preferences(tuple(old.categories), tuple(old.metros), tuple(old.seniority))
                ),
            }
            updates.append({"b_id": old.id, **current, **change, "updated_at": now})
        report.added, report.updated = len(inserts), len(updates)
        if not dry_run:
            try:
                _write(conn, inserts, updates, progress)
            except IntegrityError:
                raise SubscriberError(
                    "another process added some of these addresses during the import; "
                    "nothing was written, run the import again"
                ) from None
    if invalid and not dry_run:
        report.rejects_path = rejects_path or path.with_name(f"{path.stem}.rejects.csv")
        write_rejects(report.rejects_path, header, invalid)
    return report


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
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["line", "reason", *header])
    for r in rejected:
        w.writerow([r.line, r.reason, *(r.row.get(h, "") for h in header)])
    atomic_write_text(path, buf.getvalue())


def _iso(t: dt.datetime | None) -> str:
    return t.isoformat() if t else ""


def export_csv(subs: Iterable[Subscriber]) -> str:
    """A CSV the import reads back (lists joined with ``;``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(EXPORT_COLUMNS)
    for s in subs:
        w.writerow(
            [
                s.email,
                s.name or "",
                s.status,
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
            ]
        )
    return buf.getvalue()


def export_json(subs: Iterable[Subscriber]) -> str:
    return json.dumps([s.to_json() for s in subs], indent=2, ensure_ascii=False) + "\n"
