"""A week's collection, start to finish: fetch every board, keep the raw answers, build
the snapshot through the ingest pipeline, carry what failed, replace atomically.

1. Every board is fetched concurrently (:mod:`~newsletter.data.collect.fetch`) into a
   staging folder ``DIR/raw/.YYYY-MM-DD.partial-*``: each page gzip-compressed, then read
   once by its ingest adapter, so a body that is not the API's answer fails that board only.
   One bad board never stops the others.
2. A board that failed but answered an earlier collection of the same week keeps that answer
   (its raw files are linked into the staging folder: the week's own answer beats last
   week's); then :func:`~newsletter.data.collect.carry.plan_carry` settles each board
   against the previous snapshot: answered, kept, carried (stale), expired, empty.
3. The answered boards' pages go through :func:`newsletter.data.ingest.ingest_into` (same
   rules, rejects and report as ``newsletter ingest``, and its bounded memory: batches
   spooled to disk, deduplicated and written by polars' streaming engine), each page with
   its board's key as the source and the display name as the company; the carried boards'
   postings of the previous snapshot are added unchanged; the report says what was carried
   and what to warn about. A week where every board answered with no jobs is written too.
4. The rejects, the snapshot and the report are written under temporary names; then the
   staging folder (with ``manifest.json``) replaces ``DIR/raw/YYYY-MM-DD/`` and the three
   files are renamed into place. A write that fails leaves the previous raw folder and
   files together (the raw folder is put back); a killed collection leaves the previous
   files (or none), never half a snapshot, and only a kill between the last renames (a few
   system calls) could pair new raw answers with the old snapshot.

When no board answers at all (the network is down), nothing is written: CollectError.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import httpx
import polars as pl

from newsletter.config import Config
from newsletter.data.collect.ats import BOARD_APIS, BoardApi, PagingUnclear, Request
from newsletter.data.collect.carry import CarryPlan, plan_carry, reader_reason
from newsletter.data.collect.fetch import Fetcher, FetchFailed, Sleep, user_agent
from newsletter.data.collect.manifest import (
    BoardRecord,
    Manifest,
    Problem,
    read_manifest,
    write_manifest,
)
from newsletter.data.collect.sources import Source, distinct_sources, load_sources, none_listed
from newsletter.data.ingest import (
    Format,
    IngestReport,
    Input,
    Written,
    ingest_into,
    load_rules,
)
from newsletter.data.ingest.formats import read as read_file
from newsletter.data.ingest.tabular import json_value, read_bytes
from newsletter.data.snapshots import list_weeks, raw_path, read_snapshot, writing_week
from newsletter.errors import CollectError, IngestError, first_line
from newsletter.util.clock import Clock

OnBoard = Callable[[BoardRecord], None]
_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")


@dataclass(frozen=True)
class BoardRow:
    """One board in the collection's table: what happened and the change in postings."""

    key: str
    company: str | None
    status: str  # ok | empty | incomplete | kept | carried | expired | failed | not found
    reason: str | None
    postings: int  # in this week's snapshot
    before: int | None  # in the previous snapshot (None: no previous snapshot)


@dataclass(frozen=True)
class Collected:
    week: date
    manifest: Manifest
    report: IngestReport
    written: Written
    boards: tuple[BoardRow, ...]


# ---------------------------------------------------------------------------------------
# Fetching


def _file_name(source: Source, page: int) -> str:
    if source.ats == "url":
        fmt = source.format.value if source.format and source.format is not Format.auto else None
        suffix = next((s for s in _SUFFIXES if (source.url or "").lower().endswith(s)), None)
        ext = fmt or (suffix.lstrip(".") if suffix else "data")
        return f"url/{source.board}.{ext}.gz"
    return f"{source.ats}/{source.board}.p{page:03d}.json.gz"


def _input(source: Source, api: BoardApi, path: Path, kept_at: Path | None = None) -> Input:
    """A board's page read at ``path`` (and, when it is moved after, named ``kept_at``)."""
    fmt = (source.format or Format.auto) if source.ats == "url" else api.ingest_format
    return Input(
        path,
        fmt,
        source=source.key,
        source_only=True,  # a row of an export naming another board is still this board's
        company=source.company,
        board=source.board,
        known=api.json_pages,  # a board's page, its envelope checked by _rows
        kept_at=kept_at,
    )


def _unreadable(exc: Exception, folder: Path) -> FetchFailed:
    """An unreadable page, its file named relative to the week's raw folder (not the staging
    folder it was read from)."""
    detail = first_line(exc).replace(f"{folder}{os.sep}", "")
    return FetchFailed(f"unreadable: {detail[:200]}", problem="unreadable")


def _rows(
    source: Source,
    api: BoardApi,
    path: Path,
    body: bytes,
    *,
    mapping: Mapping[str, str],
    folder: Path,
) -> tuple[object, int]:
    """Parse a page (at ``path`` in ``folder``) and read it with its ingest adapter: (parsed
    JSON or None, rows).

    Raises FetchFailed when the body is not this API's answer."""
    data: object = None
    if api.json_pages:
        try:
            data = json_value(body)
        except (ValueError, RecursionError) as exc:
            raise FetchFailed(
                f"unparsable body ({first_line(exc)[:100]})", problem="unreadable"
            ) from None
        if api.jobs(data) is None:
            raise FetchFailed(f"the body is not a {api.kind} job list", problem="unreadable")
    one = _input(source, api, path)
    try:
        frame, _ = read_file(path, one.format, mapping, board=one.board, data=data, known=one.known)
    except IngestError as exc:
        raise _unreadable(exc, folder) from None
    return data, frame.height


def _postings_digest(jobs: object) -> bytes:
    """A digest of a page's postings as parsed (the same postings, the same digest)."""
    text = json.dumps(jobs, sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


async def _fetch_board(
    source: Source,
    fetcher: Fetcher,
    folder: Path,
    config: Config,
) -> BoardRecord:
    api = BOARD_APIS[source.ats]
    configured = config.collect.base_url(source.ats)
    base = (source.url or "") if source.ats == "url" else api.base(configured)
    files: list[str] = []
    jobs = pages = size = 0
    request: Request | None = api.first(source.board, base)
    asked: set[str] = set()  # every page requested: a board whose paging cycles is refused
    seen: dict[bytes, int] = {}  # each page's postings (digest -> page): a page that repeats
    incomplete: str | None = None
    cut: Problem | None = None  # why the board is incomplete: paging, or the page limit
    limit = config.collect.max_pages
    seconds = config.collect.max_board_seconds
    started = 0.0  # when the first page was read: the board's time limit counts from there
    try:
        while request is not None:
            if pages >= limit:  # keep what was read, and say it is partial
                incomplete = f"page limit reached ([collect] max_pages = {limit}): {_stop(pages)}"
                cut = "page_limit"
                break
            if pages and fetcher.clock.monotonic() - started > seconds:  # the same
                incomplete = (
                    f"time limit reached ([collect] max_board_seconds = {seconds:g}): "
                    f"{_stop(pages)}"
                )
                cut = "time_limit"
                break
            key = repr((request.method, request.url, sorted(request.params.items()),
                        sorted((request.json or {}).items())))  # fmt: skip
            if key in asked:
                raise FetchFailed(
                    f"its pages repeat (page {pages + 1} asks for one already read)",
                    problem="paging",
                )
            asked.add(key)
            name = _file_name(source, pages)
            body = await fetcher.download(request, folder / name)
            files.append(name)
            data, n = await asyncio.to_thread(
                _rows,
                source,
                api,
                folder / name,
                body,
                mapping=config.ingest.columns,
                folder=folder,
            )
            if n:  # a server that ignores skip/offset answers the same postings again
                digest = await asyncio.to_thread(_postings_digest, api.jobs(data))
                if digest in seen:
                    raise FetchFailed(
                        f"its pages repeat (page {pages + 1} holds the postings of page "
                        f"{seen[digest]})",
                        problem="paging",
                    )
                seen[digest] = pages + 1
            if not pages:
                started = fetcher.clock.monotonic()
            pages, jobs, size = pages + 1, jobs + n, size + len(body)
            try:
                request = api.next(source.board, base, request, data, n) if api.json_pages else None
            except PagingUnclear as unclear:  # keep what was read, and say it is partial
                incomplete, request, cut = f"{unclear.reason}: {_stop(pages)}", None, "paging"
            del body, data  # nothing of a page is held while the next one waits its turn
    except Exception as exc:  # one bad board never stops the others
        for name in files:
            (folder / name).unlink(missing_ok=True)
        failed = exc if isinstance(exc, FetchFailed) else None
        reason = failed.reason if failed else f"unexpected {type(exc).__name__}: {first_line(exc)}"
        return BoardRecord.of(
            source,
            status="not_found" if failed and failed.problem == "not_found" else "failed",
            reason=reason[:300],
            problem=failed.problem if failed else "other",
            http_status=failed.status if failed else None,
        )
    return BoardRecord.of(
        source,
        status="ok",
        jobs=jobs,
        pages=pages,
        bytes=size,
        files=tuple(files),
        incomplete=incomplete,
        problem=cut,
    )


def _stop(pages: int) -> str:
    return f"stopped after {pages} page{'' if pages == 1 else 's'}"


async def fetch_boards(
    sources: Sequence[Source],
    folder: Path,
    config: Config,
    *,
    clock: Clock,
    sleep: Sleep = asyncio.sleep,
    transport: httpx.AsyncBaseTransport | None = None,
    on_board: OnBoard | None = None,
) -> tuple[BoardRecord, ...]:
    """Fetch every board into ``folder``; one record per board, in the sources' order."""
    agent = user_agent(config.collect.user_agent, config.crawler_contact)
    async with Fetcher(
        config.collect, agent, clock=clock, sleep=sleep, transport=transport
    ) as fetcher:

        async def one(source: Source) -> BoardRecord:
            record = await _fetch_board(source, fetcher, folder, config)
            if on_board:
                on_board(record)
            return record

        return tuple(await asyncio.gather(*(one(s) for s in sources)))


def check_sources(
    config: Config,
    sources: Sequence[Source],
    *,
    clock: Clock,
    sleep: Sleep = asyncio.sleep,
    transport: httpx.AsyncBaseTransport | None = None,
    on_board: OnBoard | None = None,
) -> tuple[BoardRecord, ...]:
    """Fetch each board once (into a temporary folder, removed after) and say how it went."""
    with tempfile.TemporaryDirectory(prefix="newsletter-check-") as tmp:
        return asyncio.run(
            fetch_boards(
                sources,
                Path(tmp),
                config,
                clock=clock,
                sleep=sleep,
                transport=transport,
                on_board=on_board,
            )
        )


# ---------------------------------------------------------------------------------------
# Building the snapshot


def _previous_week(directory: Path, week: date) -> date | None:
    weeks = [w for w in list_weeks(directory) if w < week] if directory.is_dir() else []
    return weeks[-1] if weeks else None


#: Boards named in the one line of a collection where none answered.
_NAMED_FAILURES = 5


def _failures(boards: Sequence[BoardRecord]) -> str:
    """Each failed board and why, in short words: ``greenhouse:acme HTTP 503; ...``."""
    named = [f"{b.key} {reader_reason(b)}" for b in boards[:_NAMED_FAILURES]]
    more = len(boards) - len(named)
    tail = f"; and {more} more (see `newsletter sources check`)" if more > 0 else ""
    return "; ".join(named) + tail


def _counts(frame: pl.LazyFrame | None) -> dict[str, int]:
    if frame is None:
        return {}
    counts = frame.group_by("source").len().collect()
    return {str(k): int(v) for k, v in counts.iter_rows()}


@dataclass(frozen=True)
class _Built:
    """What the week's snapshot is built from: the answered boards' pages and the carried
    postings of the previous snapshot (``carried``: None when none are)."""

    inputs: list[Input]
    carried: pl.DataFrame | None
    plan: CarryPlan
    before: dict[str, int]  # postings per source in the previous snapshot
    previous_week: date | None
    now: datetime  # the report's generated_at


def _build(
    config: Config,
    week: date,
    boards: tuple[BoardRecord, ...],
    folder: Path,
    *,
    sources: Mapping[str, Source],
    clock: Clock,
    publish_to: Path | None = None,
) -> _Built:
    """The week's plan: the answered boards' pages to ingest plus the carried postings; the
    pages are read in ``folder`` and named (report, rejects) where they are kept: in
    ``publish_to`` when the folder is renamed to it."""
    directory = config.data.snapshots_dir
    prev_week = _previous_week(directory, week)
    previous = read_snapshot(directory, prev_week) if prev_week else None
    prev_manifest = read_manifest(directory, prev_week) if prev_week else None
    before = _counts(previous.lazy() if previous is not None else None)
    plan = plan_carry(
        boards,
        week=week,
        previous_week=prev_week,
        previous_counts=before,
        previous_boards={b.key: b for b in prev_manifest.boards} if prev_manifest else {},
        carry_weeks=config.collect.carry_forward_weeks,
        empty_min=config.collect.empty_warning_min,
    )
    answered = [b for b in plan.boards if b.ok]
    if not answered:
        raise CollectError(
            f"no board answered ({len(boards)} tried: {_failures(boards)}): nothing to build "
            f"the snapshot of {week.isoformat()} from; the previous files are left as they were"
        )
    inputs = [
        _input(sources[b.key], BOARD_APIS[b.ats], folder / f, publish_to and publish_to / f)
        for b in answered
        for f in b.files
    ]
    carried = None
    if plan.carry and previous is not None:
        carried = previous.filter(pl.col("source").is_in(list(plan.carry)))
    return _Built(inputs, carried, plan, before, prev_week, clock.now())


def _table(built: _Built, written: Written) -> tuple[BoardRow, ...]:
    plan, before = built.plan, built.before
    now = _counts(pl.scan_parquet(written.snapshot, glob=False))
    carried = set(plan.carry)
    rows = []
    for b in plan.boards:
        if b.ok and b.kept_from is not None:
            status = "kept"
        elif b.ok and b.incomplete:
            status = "incomplete"
        elif b.ok:
            status = "empty" if b.jobs == 0 else "ok"
        elif b.key in carried:
            status = "carried"
        elif before.get(b.key):
            status = "expired"
        else:
            status = "not found" if b.status == "not_found" else "failed"
        rows.append(
            BoardRow(
                key=b.key,
                company=b.company,
                status=status,
                reason=b.incomplete if status == "incomplete" else b.reason,
                postings=now.get(b.key, 0),
                before=before.get(b.key, 0) if built.previous_week else None,
            )
        )
    return tuple(rows)


def _earlier(directory: Path, week: date) -> Manifest | None:
    """The manifest of the week's earlier collection, if any (an unreadable one is none: its
    files cannot be trusted)."""
    try:
        return read_manifest(directory, week)
    except CollectError:
        return None


def _same_source(a: BoardRecord, b: BoardRecord) -> bool:
    return (a.ats, a.board, a.url, a.format) == (b.ats, b.board, b.url, b.format)


def _keep_earlier(
    boards: tuple[BoardRecord, ...], earlier: Manifest | None, final: Path, staging: Path
) -> tuple[BoardRecord, ...]:
    """A board that failed now but answered in the week's earlier collection keeps that
    answer: its raw files are linked (or copied) into the staging folder and its record is
    the earlier one, with ``kept_from`` (when the files were fetched) and this run's reason.
    The week's own answer beats any carry from an earlier week."""
    if earlier is None:
        return boards
    before = {b.key: b for b in earlier.boards}
    out = []
    for b in boards:
        e = before.get(b.key)
        if b.ok or e is None or not e.ok or not _same_source(b, e):
            out.append(b)
            continue
        try:
            for name in e.files:
                dest = staging / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(final / name, dest)
        except OSError:  # a file of the earlier answer is gone: nothing to keep
            for name in e.files:
                (staging / name).unlink(missing_ok=True)
            out.append(b)
            continue
        out.append(
            e.model_copy(
                update={
                    "company": b.company,
                    "reason": b.reason,
                    "problem": b.problem,
                    "http_status": b.http_status,
                    "kept_from": e.kept_from or earlier.collected_at,
                }
            )
        )
    return tuple(out)


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        if not src.is_file():
            raise
        shutil.copy2(src, dest)


class _RawSwap:
    """The staging folder put in place of the week's raw folder, undoably: ``publish`` moves
    the old folder aside and the staging folder in (two renames); ``undo`` puts them back
    (the snapshot could not be written); ``done`` removes the old one."""

    def __init__(self, staging: Path, final: Path) -> None:
        self.staging, self.final = staging, final
        self.old: Path | None = None
        self.published = False

    def publish(self) -> None:
        try:
            if self.final.exists():
                old = self.final.with_name(f".{self.final.name}.old-{secrets.token_hex(4)}")
                self.final.rename(old)
                self.old = old
            self.staging.rename(self.final)
            self.published = True
        except OSError as exc:
            self.undo()
            raise CollectError(f"cannot write the raw responses: {exc.strerror or exc}") from None

    def undo(self) -> None:
        if self.published:
            self.final.rename(self.staging)  # removed with the staging folder
            self.published = False
        if self.old is not None:
            self.old.rename(self.final)
            self.old = None

    def done(self) -> None:
        if self.old is not None:
            shutil.rmtree(self.old, ignore_errors=True)


def _clear_leftovers(final: Path) -> None:
    """Staging folders of killed collections of the same week."""
    if final.parent.is_dir():
        for p in final.parent.glob(f".{final.name}.*"):
            shutil.rmtree(p, ignore_errors=True)


def _finish(
    config: Config,
    week: date,
    boards: tuple[BoardRecord, ...],
    folder: Path,
    *,
    sources: Mapping[str, Source],
    clock: Clock,
    agent: str,
    publish_to: Path | None,
    fetched: Manifest | None = None,
) -> Collected:
    """The snapshot built and written with the manifest; ``fetched``: the manifest a replay
    reads (its time of collection is kept, and so is the record of a board whose files
    could not be read back this time)."""
    built = _build(
        config, week, boards, folder, sources=sources, clock=clock, publish_to=publish_to
    )
    records = built.plan.boards
    if fetched is not None:
        before = {b.key: b for b in fetched.boards}
        records = tuple(
            before[b.key] if before[b.key].ok and not b.ok else b for b in built.plan.boards
        )
    manifest = Manifest(
        week=week,
        collected_at=fetched.collected_at if fetched is not None else clock.now(),
        user_agent=agent,
        boards=records,
    )
    update = {
        "stale_sources": built.plan.stale,
        "source_warnings": built.plan.warnings,
    }

    def amend(report: IngestReport) -> IngestReport:
        return report.model_copy(update=update)

    # the manifest is written and the raw folder swapped in (a replay: it is where it was)
    # once the snapshot's files are written under temporary names, right before they are
    # renamed: both are new, or (a failed write) both are old
    swap = _RawSwap(folder, publish_to) if publish_to is not None else None

    def before_rename() -> None:
        try:
            write_manifest(manifest, folder)
        except OSError as exc:
            raise CollectError(f"cannot write the raw responses: {exc.strerror or exc}") from None
        if swap is not None:
            swap.publish()

    try:
        report, written = ingest_into(
            built.inputs,
            week,
            load_rules(config.data.rules_dir),
            config.data.snapshots_dir,
            mapping=config.ingest.columns,
            now=built.now,
            empty_ok=True,
            added=built.carried,
            amend=amend,
            before_rename=before_rename,
            week_held=True,
        )
    except BaseException:
        if swap is not None:
            swap.undo()
        raise
    if swap is not None:
        swap.done()
    return Collected(week, manifest, report, written, _table(built, written))


def collect(
    config: Config,
    week: date,
    *,
    clock: Clock,
    sources: Sequence[Source] | None = None,
    sleep: Sleep = asyncio.sleep,
    transport: httpx.AsyncBaseTransport | None = None,
    on_board: OnBoard | None = None,
) -> Collected:
    """Collect ``week`` from every source (default: the sources file) and write its snapshot.

    ``sources`` given in code are refused, like the file's, when a board is in them twice
    (:func:`~newsletter.data.collect.sources.distinct_sources`: names differing by case)."""
    boards_list = (
        distinct_sources(sources, origin="the sources given to collect")
        if sources is not None
        else load_sources(config.collect.sources)
    )
    if not boards_list:
        raise CollectError(f"no sources to collect: {none_listed(config.collect.sources)}")
    final = raw_path(config.data.snapshots_dir, week)
    with writing_week(config.data.snapshots_dir, week, CollectError):
        return _collect_held(
            config,
            week,
            boards_list,
            final,
            clock=clock,
            sleep=sleep,
            transport=transport,
            on_board=on_board,
        )


def _collect_held(
    config: Config,
    week: date,
    boards_list: list[Source],
    final: Path,
    *,
    clock: Clock,
    sleep: Sleep,
    transport: httpx.AsyncBaseTransport | None,
    on_board: OnBoard | None,
) -> Collected:
    """:func:`collect`, the week's collection held."""
    _clear_leftovers(final)
    earlier = _earlier(config.data.snapshots_dir, week)
    staging = final.with_name(f".{final.name}.partial-{secrets.token_hex(4)}")
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise CollectError(f"cannot create {staging}: {exc.strerror or exc}") from None
    try:
        boards = asyncio.run(
            fetch_boards(
                boards_list,
                staging,
                config,
                clock=clock,
                sleep=sleep,
                transport=transport,
                on_board=on_board,
            )
        )
        boards = _keep_earlier(boards, earlier, final, staging)
        agent = user_agent(config.collect.user_agent, config.crawler_contact)
        by_key = {s.key: s for s in boards_list}
        return _finish(
            config,
            week,
            boards,
            staging,
            sources=by_key,
            clock=clock,
            agent=agent,
            publish_to=final,
        )
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _replayable(b: BoardRecord, source: Source, folder: Path, config: Config) -> BoardRecord:
    """``b`` when every raw file of its answer reads back as it did; else ``b`` failed,
    saying which file and why (a missing file, broken gzip, a body that is not the answer):
    one bad file fails its board only, never the replay."""
    if not b.ok:
        return b
    api = BOARD_APIS[b.ats]
    try:
        for name in b.files:
            path = folder / name
            body = read_bytes(path) if api.json_pages else b""
            _rows(source, api, path, body, mapping=config.ingest.columns, folder=folder)
    except FetchFailed as exc:
        why = exc.reason
    except IngestError as exc:
        why = _unreadable(exc, folder).reason
    else:
        return b
    return b.model_copy(
        update={"status": "failed", "problem": "unreadable", "reason": f"replay: {why}"[:300]}
    )


def replay(config: Config, week: date, *, clock: Clock) -> Collected:
    """Rebuild ``week``'s snapshot from its saved raw responses (no network). A board whose
    files cannot be read back fails alone (its record in the manifest is left as fetched,
    so a replay after the file is restored reads it again)."""
    directory = config.data.snapshots_dir
    final = raw_path(directory, week)
    # held while the manifest is read too; a week never collected leaves no lock file
    with writing_week(directory, week, CollectError) if final.is_dir() else nullcontext():
        manifest = read_manifest(directory, week)
        if manifest is None:
            raise CollectError(f"week {week.isoformat()} was not collected (no {final})")
        return _replay_held(config, week, manifest, clock)


def _replay_held(config: Config, week: date, manifest: Manifest, clock: Clock) -> Collected:
    """:func:`replay`, the week's collection held."""
    directory = config.data.snapshots_dir
    sources: dict[str, Source] = {}
    for b in manifest.boards:
        try:
            sources[b.key] = b.source()
        except ValueError as exc:
            raise CollectError(f"manifest entry {b.key} is not a valid source: {exc}") from None
    folder = raw_path(directory, week)
    boards = tuple(_replayable(b, sources[b.key], folder, config) for b in manifest.boards)
    return _finish(
        config,
        week,
        boards,
        folder,
        sources=sources,
        clock=clock,
        agent=manifest.user_agent,
        publish_to=None,
        fetched=manifest,
    )


def sources_configured(config: Config) -> bool:
    """Whether the sources file lists at least one board (a bad file raises CollectError)."""
    return bool(load_sources(config.collect.sources))


__all__ = [
    "BoardRow",
    "Collected",
    "check_sources",
    "collect",
    "fetch_boards",
    "replay",
    "sources_configured",
]
