"""A failed board is not a market move: what to carry, and what to warn about (pure).

For each board of this week's collection, given its postings in the previous snapshot:

* **kept** (it failed on a re-run of the week, but answered in the week's earlier
  collection): the earlier answer's files and postings are this week's, with a
  ``source_kept`` warning saying when they were fetched. The week's own answer is preferred
  over any carry from an earlier week.
* **answered**: its postings are this week's. When it answered with zero jobs after having
  at least ``empty_min`` the week before, a ``source_empty`` warning (a hiring freeze is
  real news, but so is a board moved elsewhere). When its pages could not be followed to
  the end, or stopped at ``[collect] max_pages`` (``incomplete``), a ``source_incomplete``
  warning says how many were read, and its postings of the previous snapshot that were not
  read are carried as a failed board's are (neither new nor removed), when that snapshot,
  at most ``carry_weeks`` old, read the board whole.
* **failed** (HTTP error, timeout, unparsable body, 404): its postings of the previous
  snapshot are carried into this one, unchanged and marked stale (``stale_sources`` of the
  report, ``source_stale`` warning), while its last good collection is at most
  ``carry_weeks`` weeks old. After that they are no longer carried (``source_expired``: they
  count as removed, and the warning says why). A failed board with nothing to carry gets a
  ``source_failed`` warning.

The warnings' messages are read by readers (the email's data-health note, the public
signals): they name a board's problem only in :func:`reader_reason`'s words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from newsletter.data.collect.manifest import BoardRecord
from newsletter.data.ingest.report import SourceWarning, StaleSource
from newsletter.util.weeks import weeks_between

#: The words a reader may see for a board's problem (the email's data-health note, the
#: public signals): a short fixed list, never a server's text or a file's path (those stay in
#: the record's ``reason``, for the operator's console and the report).
READER_REASONS: dict[str, str] = {
    "not_found": "not found",
    "timeout": "timed out",
    "connection": "could not connect",
    "redirects": "redirected in a loop",
    "too_large": "answered with too much data",
    "unreadable": "answered with unreadable data",
    "paging": "its pages could not be followed",
    "page_limit": "the collection's page limit was reached",
    "time_limit": "its pages took longer than the collection's time limit",
    "other": "failed",
}


def reader_reason(b: BoardRecord) -> str:
    """Why board ``b`` failed, in reader-facing words (:data:`READER_REASONS`; an HTTP error
    as ``HTTP 503``). A record of an older manifest without a ``problem`` is read from its
    HTTP status, else told as ``failed``."""
    status = b.http_status if b.http_status is not None and 100 <= b.http_status <= 599 else None
    problem = b.problem or ("http" if status else "other")
    if problem == "not_found" and status:
        return f"not found (HTTP {status})"
    if problem == "http":
        return f"HTTP {status}" if status else "HTTP error"
    return READER_REASONS.get(problem, READER_REASONS["other"])


def _cut_short(b: BoardRecord) -> str:
    """Why an incomplete board's pages stop, in readers' words (a record of an older
    manifest, without a ``problem``: its paging)."""
    cut = b.problem if b.problem in ("page_limit", "time_limit") else "paging"
    return READER_REASONS[cut]


def _read_whole(last: BoardRecord | None, gap: int | None, carry_weeks: int) -> bool:
    """Whether an incomplete board is filled in with its postings of the previous snapshot
    (``gap`` weeks ago; None: none) that its pages did not reach, as a failed board's are
    carried: when that snapshot read it whole (``last``, its record; None: ingested by hand)
    at most ``carry_weeks`` weeks ago. Not a board incomplete the week before too: its gap
    would be carried on week after week."""
    if gap is None or gap > carry_weeks:
        return False
    return last is None or (last.ok and not last.incomplete)


@dataclass(frozen=True)
class CarryPlan:
    #: board keys whose previous postings are carried (of an incomplete board: those not
    #: read this week, as this week's rows come first and the carried ones are deduplicated)
    carry: tuple[str, ...]
    boards: tuple[BoardRecord, ...]  # the records with ``last_good`` settled
    stale: tuple[StaleSource, ...]
    warnings: tuple[SourceWarning, ...]


def plan_carry(
    boards: tuple[BoardRecord, ...],
    *,
    week: date,
    previous_week: date | None,
    previous_counts: dict[str, int],
    previous_boards: dict[str, BoardRecord],
    carry_weeks: int,
    empty_min: int,
) -> CarryPlan:
    """Decide, board by board, what this week's snapshot holds for it."""
    carry: list[str] = []
    settled: list[BoardRecord] = []
    stale: list[StaleSource] = []
    warnings: list[SourceWarning] = []
    for b in boards:
        before = previous_counts.get(b.key, 0)
        name = f"{b.key} ({b.company})" if b.company else b.key
        if b.ok and b.kept_from is not None:
            settled.append(b.model_copy(update={"last_good": week}))
            at = b.kept_from.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            warnings.append(
                SourceWarning(
                    kind="source_kept",
                    name=b.key,
                    before=before,
                    after=b.jobs,
                    message=(
                        f"Source {name} could not be fetched again this week "
                        f"({reader_reason(b)}): its {b.jobs:,} postings are kept from this "
                        f"week's earlier collection at {at}."
                    ),
                )
            )
            continue
        if b.ok:
            settled.append(b.model_copy(update={"last_good": week}))
            if b.incomplete:
                gap = weeks_between(week, previous_week) if previous_week else None
                fill = bool(before) and _read_whole(previous_boards.get(b.key), gap, carry_weeks)
                if fill:
                    carry.append(b.key)
                warnings.append(
                    SourceWarning(
                        kind="source_incomplete",
                        name=b.key,
                        before=before,
                        after=b.jobs,
                        message=(
                            f"Source {name} answered only in part this week: {b.jobs:,} "
                            f"postings read before {_cut_short(b)}"
                            + (
                                f"; its other postings of the week of {previous_week} are "
                                "carried forward, marked stale, and are neither new nor removed."
                                if fill
                                else "."
                            )
                        ),
                    )
                )
            if b.jobs == 0 and before >= empty_min:
                warnings.append(
                    SourceWarning(
                        kind="source_empty",
                        name=b.key,
                        before=before,
                        after=0,
                        message=(
                            f"Source {name} answered with no open postings this week, after "
                            f"{before:,} last week: a hiring freeze, or a board that moved."
                        ),
                    )
                )
            continue
        last = previous_boards[b.key].last_good if b.key in previous_boards else None
        if last is None and before and previous_week is not None:
            last = previous_week  # collected before manifests, or ingested by hand
        settled.append(b.model_copy(update={"last_good": last}))
        why = reader_reason(b)
        if last is not None and before and weeks_between(week, last) <= carry_weeks:
            carry.append(b.key)
            weeks = weeks_between(week, last)
            stale.append(
                StaleSource(
                    source=b.key,
                    company=b.company,
                    postings=before,
                    last_good=last,
                    weeks=weeks,
                    reason=b.reason or why,
                )
            )
            warnings.append(
                SourceWarning(
                    kind="source_stale",
                    name=b.key,
                    before=before,
                    after=before,
                    message=(
                        f"Source {name} could not be fetched this week ({why}): its {before:,} "
                        f"postings of the week of {last.isoformat()} are carried forward, "
                        "marked stale, and are neither new nor removed."
                    ),
                )
            )
        elif before:
            since = f" since the week of {last.isoformat()}" if last else ""
            warnings.append(
                SourceWarning(
                    kind="source_expired",
                    name=b.key,
                    before=before,
                    after=0,
                    message=(
                        f"Source {name} has not been fetched{since} ({why}): its {before:,} "
                        "postings are no longer carried and count as removed; that is a data "
                        "gap, not a market move."
                    ),
                )
            )
        else:
            warnings.append(
                SourceWarning(
                    kind="source_failed",
                    name=b.key,
                    before=0,
                    after=0,
                    message=f"Source {name} could not be fetched this week ({why}).",
                )
            )
    return CarryPlan(tuple(carry), tuple(settled), tuple(stale), tuple(warnings))
