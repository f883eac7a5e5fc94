"""Raw frame -> canonical postings: pure LazyFrame -> LazyFrame steps composed with ``.pipe``.

:func:`split_rejects` separates rows that cannot be postings (no title, no company, closed at
the source); :func:`normalize` turns the rest into the snapshot schema plus eight
diagnostic columns the report counts (``pay_status``, ``currency_source``, ``skills_source``,
``seniority_source``, ``employment_source``, ``posted_status``, ``url_status``,
``text_status``);
:func:`dedupe` collapses duplicate ``posting_id`` rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

import polars as pl

from newsletter.data.ingest._records import REASON_NOT_AN_OBJECT
from newsletter.data.ingest.columns import RAW_COLUMNS, REASON_MORE_FIELDS, REASON_NOT_JSON
from newsletter.data.ingest.employment import add_employment
from newsletter.data.ingest.identity import add_identity
from newsletter.data.ingest.locations import Places, add_locations, compile_places
from newsletter.data.ingest.lookup import Memo, per_distinct
from newsletter.data.ingest.pay import parse_pay, place_currencies
from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.skills import Matcher, add_skills, compile_skills
from newsletter.data.ingest.text import (
    blank_to_null,
    only_where,
    plain_text,
    repaired,
    squeeze_spaces,
    unescaped,
    untagged,
    visible,
)
from newsletter.data.ingest.timing import UNTIMED, Stages
from newsletter.data.ingest.titles import classify_titles
from newsletter.data.snapshots import SNAPSHOT_SCHEMA
from newsletter.util.urls import MAX_URL, PLAIN_URL, PRIVATE_HOST, safe_url

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

DIAGNOSTIC_COLUMNS = (
    "pay_status", "currency_source", "skills_source", "seniority_source", "employment_source",
    "posted_status", "url_status", "text_status",
)  # fmt: skip
REASON_MISSING_TITLE = "missing title"
REASON_MISSING_COMPANY = "missing company"
#: The longest title and company name a posting may have (characters, invisible ones left
#: out). Real ones are far shorter (a title: under 200; a Who-is-hiring post's list of
#: fifteen titles: 330); a longer one is another field read into it (a description, a page
#: of markup), and such a row is rejected, never stored as a name that every table and
#: email would carry (and cut).
TITLE_MAX = 1000
COMPANY_MAX = 300
#: The longest location text (a list of a posting's offices is one: the longest real ones,
#: SimplifyJobs' lists of up to twenty cities, are under 250 characters).
LOCATION_MAX = 2000
REASON_TITLE_TOO_LONG = f"title over {TITLE_MAX} characters"
REASON_COMPANY_TOO_LONG = f"company over {COMPANY_MAX} characters"
REASON_LOCATION_TOO_LONG = f"location over {LOCATION_MAX} characters"
#: A board's own word for a listing that is not open (``source_open``: Workable's ``state``,
#: Recruitee's ``status``, Ashby's ``isListed``, SimplifyJobs' flags; lower case, spaces,
#: ``_`` and ``-`` alike) -> the reject reason. Any other word is :data:`REASON_OTHER_STATE`:
#: a board's text never becomes a reason (the reasons are keys of the report and of the
#: public signals).
SOURCE_STATES: dict[str, str] = {
    "closed": "closed", "hidden": "hidden", "archived": "archived", "draft": "draft",
    "internal": "internal", "unlisted": "unlisted", "private": "unlisted",
    "filled": "filled", "cancelled": "cancelled", "canceled": "cancelled",
    "paused": "paused", "on hold": "paused", "expired": "expired", "deleted": "archived",
}  # fmt: skip
REASON_OTHER_STATE = "other state"
#: Reasons that mean "the source says this listing is not open", not bad data.
NOT_OPEN_REASONS = (*dict.fromkeys(SOURCE_STATES.values()), REASON_OTHER_STATE)


TEXT_COLUMNS = tuple(c for c in RAW_COLUMNS if c not in ("skills", "source_file"))


#: One-line text a reader sees (the issue, the archive): invisible characters (controls,
#: bidi overrides, zero-width spaces: ``newsletter.util.text``) are dropped first.
VISIBLE_COLUMNS = ("title", "company", "location")
#: Columns that name a posting: blank, invisible or without a letter or digit ("---", "🚀")
#: they are missing, and the row is rejected.
NAMING_COLUMNS = ("title", "company")


#: A company's rating on a line of its own after its name, as Glassdoor's pages show it and
#: scrapes of them keep it (``"Tecolote Research\n3.8"``), or after a spaced dash, as Google
#: Jobs' postings via Geebo give it (``"Deloitte - 3.9"``, ``"Mayo Clinic - 4.0"``: each was a
#: company apart from ``Deloitte``): no part of the name.
RATING_LINE = r"(?:\s*\n\s*(?:[0-5]\.[0-9]|-1)|\s+-\s+[0-5]\.[0-9])\s*$"


def clean_columns(
    lf: pl.LazyFrame, columns: tuple[str, ...], *, squeeze: bool = True
) -> pl.LazyFrame:
    """A company's rating line dropped (:data:`RATING_LINE`); double-encoded UTF-8
    repaired, character references decoded, HTML tags (``<b>``, ``<br>``) and invisible
    characters dropped in the one-line columns (titles, companies, places); trim text,
    blanks to null;
    titles and companies without a letter or digit to null, their inner whitespace collapsed
    (unless ``squeeze`` is False). One step after the other: each expression reads a plain
    column."""
    naming = [c for c in NAMING_COLUMNS if c in columns]
    named = [pl.when(pl.col(c).str.contains(r"[\p{L}\p{N}]")).then(pl.col(c)) for c in naming]
    rated = [  # only a name with a line break or a dash can hold one: most are read by a
        # byte scan
        only_where(
            pl.col(c),
            pl.col(c).str.contains("\n", literal=True)
            | pl.col(c).str.contains(" - ", literal=True),
            lambda e: e.str.replace(RATING_LINE, ""),
        )
        for c in columns
        if c == "company"
    ]
    return (
        lf.with_columns(rated)
        .with_columns(repaired(pl.col(c)) for c in columns if c in VISIBLE_COLUMNS)
        .with_columns(unescaped(pl.col(c)) for c in columns if c in VISIBLE_COLUMNS)
        .with_columns(untagged(pl.col(c)) for c in columns if c in VISIBLE_COLUMNS)
        .with_columns(visible(pl.col(c)) for c in columns if c in VISIBLE_COLUMNS)
        .with_columns(blank_to_null(pl.col(c)) for c in columns)
        .with_columns(squeeze_spaces(e) if squeeze else e for e in named)
    )


def clean(lf: pl.LazyFrame) -> pl.LazyFrame:
    """:func:`clean_columns` over every text column of a raw frame."""
    return clean_columns(lf, TEXT_COLUMNS)


#: Reasons an adapter gives a row that is bad data (not a board's word): kept as they are.
_BAD_DATA = (REASON_NOT_AN_OBJECT, REASON_NOT_JSON, REASON_MORE_FIELDS)


def reject_reason() -> pl.Expr:
    """Why a raw row is rejected (null: kept), from a bounded set of reasons: the not-open
    words of :data:`SOURCE_STATES` (else :data:`REASON_OTHER_STATE`), a record that is not
    an object, a JSON Lines line that is not JSON, a CSV/TSV row with more fields than its
    header, a missing title or company, a title, company or location too long to be one
    (:data:`TITLE_MAX`, :data:`COMPANY_MAX`, :data:`LOCATION_MAX`)."""
    state = (
        pl.col("source_open").str.strip_chars().str.to_lowercase().str.replace_all(r"[\s_-]+", " ")
    )
    return (
        pl.when(pl.col("source_open").is_in(_BAD_DATA))
        .then(pl.col("source_open"))
        .when(pl.col("source_open").is_not_null())
        .then(state.replace_strict(SOURCE_STATES, default=REASON_OTHER_STATE))
        .when(pl.col("title").is_null())
        .then(pl.lit(REASON_MISSING_TITLE))
        .when(pl.col("company").is_null())
        .then(pl.lit(REASON_MISSING_COMPANY))
        .when(pl.col("title").str.len_chars() > TITLE_MAX)
        .then(pl.lit(REASON_TITLE_TOO_LONG))
        .when(pl.col("company").str.len_chars() > COMPANY_MAX)
        .then(pl.lit(REASON_COMPANY_TOO_LONG))
        .when(pl.col("location").str.len_chars() > LOCATION_MAX)
        .then(pl.lit(REASON_LOCATION_TOO_LONG))
    )


#: The raw columns that decide whether a row is kept (blank or not: squeezing changes
#: nothing).
DECIDING = ("title", "company", "location", "source_open")


def split_rejects(raw: pl.DataFrame) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """(the rows to normalize, cleaned as by :func:`clean`; rejected rows with the raw fields
    and a ``reason``).

    Only the columns that decide are cleaned here, and the kept rows' cleaned values are
    theirs from then on; the big text columns are cleaned chunk by chunk later, so the raw
    frame is never copied whole."""
    decided = (
        raw.lazy()
        .select(DECIDING)
        .pipe(clean_columns, DECIDING, squeeze=False)
        .with_columns(reason=reject_reason())
        .collect()
    )
    keep = decided.get_column("reason").is_null()
    rejects = raw.filter(~keep).with_columns(decided.get_column("reason").filter(~keep))
    if not rejects.is_empty():  # no copy when all are kept
        raw, decided = raw.filter(keep), decided.filter(keep)
    others = tuple(c for c in TEXT_COLUMNS if c not in DECIDING)
    good = (
        raw.with_columns(decided.get_column(c) for c in DECIDING)
        .lazy()
        .pipe(clean_columns, others)
        .with_columns(squeeze_spaces(pl.col(c)) for c in NAMING_COLUMNS)
    )
    return good, rejects


def clean_urls(frame: pl.DataFrame) -> pl.DataFrame:
    """``url`` kept only as an absolute http(s) URL to a public host
    (:func:`newsletter.util.urls.safe_url`: no ``javascript:``, ``data:`` or relative link
    reaches the snapshot), else null; ``url_status`` says which: ``ok``, ``none`` (no URL
    given) or ``dropped``. Plain URLs are checked by one pattern over the column; only the
    others are each given to ``safe_url``."""
    # The stripped URLs and the plain test are columns of a frame of their own, made once
    # and read below: on a DataFrame polars shares no common subexpression (the stripping
    # ran five times), and the odd URLs are filtered out of three columns, not the batch's
    # every column (a 200,000-row batch of short postings: 47 -> 28 ms CPU).
    url = pl.col("_stripped")
    urls = frame.select("url", _stripped=pl.col("url").str.strip_chars()).with_columns(
        _plain=url.str.contains(PLAIN_URL)
        & ~url.str.contains(PRIVATE_HOST)
        & (url.str.len_chars() <= MAX_URL)
    )
    plain = urls.get_column("_plain")
    odd = urls.filter(url.is_not_null() & ~pl.col("_plain")).get_column("url").unique().to_list()
    checked = {u: safe_url(u) for u in odd}
    others = (
        pl.col("url").replace_strict(checked, default=None, return_dtype=pl.String)
        if checked
        else pl.lit(None, dtype=pl.String)
    )
    kept = pl.when(pl.lit(plain)).then(pl.lit(urls.get_column("_stripped"))).otherwise(others)
    status = (
        pl.when(pl.col("url").is_null())
        .then(pl.lit("none"))
        .when(pl.col("_url").is_null())
        .then(pl.lit("dropped"))
        .otherwise(pl.lit("ok"))
    )
    return (
        frame.with_columns(_url=kept)
        .with_columns(url_status=status)
        .with_columns(url=pl.col("_url"))
        .drop("_url")
    )


#: The earliest posting date taken as true (an older one is a parse of a two-digit year or a
#: placeholder such as 1970-01-01).
POSTED_EARLIEST = date(2000, 1, 1)
#: How far past the end of the snapshot's week a posting date may lie (time zones, a board
#: stamping tomorrow's date): later is no date this posting could have.
POSTED_GRACE = timedelta(days=1)


#: The character a reader puts where bytes are not valid in the file's encoding (polars'
#: ``utf8-lossy``, Python's ``errors="replace"``).
REPLACEMENT = "\ufffd"
#: The text a reader sees of a posting, where a replaced byte shows.
READ_TEXT = ("title", "company", "location", "description")


def text_status() -> pl.Expr:
    """``replaced`` where the title, company, location or description holds U+FFFD, the
    replacement character: bytes that were not valid in the file's encoding, replaced when it
    was read (or before, by whatever wrote it); else ``ok``. The posting is kept; the report
    counts such postings (``text_replaced``), so a damaged export is seen, not silent."""
    held = pl.any_horizontal(
        pl.col(c).str.contains(REPLACEMENT, literal=True).fill_null(False) for c in READ_TEXT
    )
    return pl.when(held).then(pl.lit("replaced")).otherwise(pl.lit("ok"))


def parse_posted_at(expr: pl.Expr) -> pl.Expr:
    """A posting date from ISO (``2026-11-23``, a timestamp), US (``11/23/2026``,
    ``11/23/26``; day first where the first number cannot be a month, ``23/11/2026``),
    European (``23.11.2026``, ``23.11.26``) text or Unix seconds or milliseconds. A
    two-digit year is 20xx (never the year 26); another shape is no date."""
    t = expr.str.strip_chars()
    digits = t.str.contains(r"^\d{9,13}(?:\.\d+)?$")  # Unix time, a fraction of a second ok
    whole = t.str.extract(r"^(\d{9,13})", 1)
    epoch = whole.cast(pl.Int64, strict=False)

    def shaped(pattern: str, fmt: str) -> pl.Expr:
        return pl.when(t.str.contains(pattern)).then(t.str.to_date(fmt, strict=False))

    return pl.coalesce(
        pl.when(t.str.contains(r"^\d{4}-\d{2}-\d{2}"))
        .then(t.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)),
        shaped(r"^\d{1,2}/\d{1,2}/\d{4}$", "%m/%d/%Y"),
        shaped(r"^\d{1,2}/\d{1,2}/\d{2}$", "%m/%d/%y"),
        # day first where it cannot be a month (23/11/2026); 03/04/2026 stays US (a file
        # written day first has its slash dates as ISO dates already: ingest/dates.py)
        shaped(r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y"),
        shaped(r"^\d{1,2}/\d{1,2}/\d{2}$", "%d/%m/%y"),
        shaped(r"^\d{1,2}\.\d{1,2}\.\d{4}$", "%d.%m.%Y"),
        shaped(r"^\d{1,2}\.\d{1,2}\.\d{2}$", "%d.%m.%y"),
        pl.when(digits & (whole.str.len_chars() >= 12))
        .then((epoch * 1000).cast(pl.Datetime("us")).dt.date()),
        pl.when(digits & (whole.str.len_chars() < 12))
        .then((epoch * 1_000_000).cast(pl.Datetime("us")).dt.date()),
    )  # fmt: skip


def posted_status(raw: pl.Expr, parsed: pl.Expr, latest: date | None) -> pl.Expr:
    """``ok``, ``missing`` (no text), ``unparsed`` (no date read from it) or ``implausible``
    (before :data:`POSTED_EARLIEST`, or after ``latest``): what became of a posting date."""
    late = parsed > latest if latest is not None else pl.lit(False)
    return (
        pl.when(blank_to_null(raw).is_null())
        .then(pl.lit("missing"))
        .when(parsed.is_null())
        .then(pl.lit("unparsed"))
        .when((parsed < POSTED_EARLIEST) | late)
        .then(pl.lit("implausible"))
        .otherwise(pl.lit("ok"))
    )


@dataclass(frozen=True)
class Prepared:
    """Rules compiled once per run: skill matcher, place tables, AI-skill names, and the
    latest posting date the week can hold (None: any); and the run's :class:`Memo` of the pay
    and the places the batches read per distinct pay text and location."""

    rules: Rules
    matcher: Matcher
    places: Places
    ai_skills: list[str]
    posted_latest: date | None = None
    #: country code -> the currency of pay that names none (:func:`place_currencies`)
    currencies: Mapping[str, str] = field(default_factory=dict)
    memo: Memo = field(default_factory=Memo)


def prepare(rules: Rules, week: date | None = None) -> Prepared:
    """``rules`` compiled; with ``week`` (its Monday), posting dates after its Sunday (and
    :data:`POSTED_GRACE`) are implausible."""
    matcher = compile_skills(rules.skills)
    return Prepared(
        rules=rules,
        matcher=matcher,
        places=compile_places(rules.metros, rules.countries),
        ai_skills=matcher.groups_of(rules.skills, rules.categories.ai_skill_groups),
        posted_latest=week + timedelta(days=6) + POSTED_GRACE if week is not None else None,
        currencies=place_currencies((c.code for c in rules.countries.countries), week),
    )


def normalize(good: pl.LazyFrame, prepared: Prepared, stages: Stages = UNTIMED) -> pl.DataFrame:
    """Cleaned (:func:`clean`), non-rejected raw rows -> snapshot columns + diagnostic columns.

    Descriptions become plain text first (:func:`~newsletter.data.ingest.text.plain_text`),
    so pay and skills read the words a reader sees, never tags or entities. Each step is
    collected on its own (the steps join a frame with its own distinct values: titles,
    locations, pay texts, keys; collecting between them keeps the optimizer from running
    the upstream steps once per join), and timed as a stage."""
    rules = prepared.rules
    with stages.stage("text"):
        frame = good.with_columns(
            text_status=text_status(), description=plain_text(pl.col("description"))
        )
        frame = clean_urls(frame.collect()).lazy()
    with stages.stage("employment"):  # before pay, which drops the pay text
        frame = frame.pipe(add_employment, rules.employment).collect().lazy()
    with stages.stage("places"):  # before pay: the country decides an unnamed currency
        frame = frame.pipe(add_locations, prepared.places, prepared.memo).collect().lazy()
    with stages.stage("pay"):
        frame = frame.pipe(parse_pay, prepared.currencies, prepared.memo).collect().lazy()
    with stages.stage("skills"):
        frame = add_skills(frame, prepared.matcher, prepared.ai_skills).lazy()
    with stages.stage("titles"):
        frame = frame.pipe(classify_titles, rules.categories, rules.seniority).collect().lazy()
    with stages.stage("identity"):
        # A posting date is read once per distinct text (a week's export holds a few dates).
        dated = per_distinct(
            frame.pipe(add_identity).collect(),
            "posted_at",
            parse_posted_at(pl.col("posted_at")).alias("_posted"),
            posted_status(pl.col("posted_at"), pl.col("_posted"), prepared.posted_latest).alias(
                "posted_status"
            ),
        )
        posted = pl.when(pl.col("posted_status") == "ok").then("_posted").alias("posted_at")
        return dated.select(
            [
                (posted if c == "posted_at" else pl.col(c)).cast(t)
                for c, t in SNAPSHOT_SCHEMA.items()
            ]
            + list(DIAGNOSTIC_COLUMNS)
        )


def dedupe(frame: FrameT) -> FrameT:
    """One row per ``posting_id``: the first one in file order wins. A frame in memory is
    masked (and left as it is where no id repeats): a third of ``unique``'s CPU on a week of
    1M postings (0.20 against 0.50 s), which a lazy frame's streaming plan keeps."""
    if isinstance(frame, pl.LazyFrame):
        return frame.unique(subset="posting_id", keep="first", maintain_order=True)
    first = frame.get_column("posting_id").is_first_distinct()
    return frame if first.all() else frame.filter(first)
