"""Posting identity: ``source``, ``posting_id`` and the repost ``fingerprint``.

``posting_id`` = ``source:source_id`` where the export has an id, else
``source:`` + the first 16 hex digits of sha1(company | title | location), all normalized, so
the same posting gets the same id in every week's export. ``fingerprint`` =
sha1(company | title | metro, or ``remote-<country>``, or the location). Hashes are sha1
hex digests of the UTF-8 text, vectorised by the ``polars-hash`` plugin (the same digests
as :mod:`hashlib`; ``Expr.hash`` is not stable across polars versions). Should the compiled
plugin not load or not run with the installed polars (an upgrade ahead of the plugin), the
same digests come from :mod:`hashlib`, value by value, with a warning: slower, never wrong.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache

import polars as pl

from newsletter.config import SOURCE_MAX
from newsletter.data.ingest.lookup import per_distinct
from newsletter.data.ingest.text import blank_to_null, words
from newsletter.data.snapshots import LEGAL_FORMS
from newsletter.errors import IngestError
from newsletter.util.text import clean_line


def source_name(raw: str) -> str:
    """A posting's ``source`` as one line of visible text (:func:`clean_line`: no control,
    bidi or zero-width character, no line break), at most :data:`SOURCE_MAX` characters;
    empty when nothing is left."""
    return clean_line(raw, SOURCE_MAX)


def check_source_name(raw: str) -> str:
    """``raw`` when it is a source name as :func:`source_name` keeps it; else IngestError."""
    if not raw or source_name(raw) != raw:
        raise IngestError(
            f"source name {source_name(raw)[:40]!r} must be one line of visible text "
            f"of 1 to {SOURCE_MAX} characters, without edge or doubled spaces"
        )
    return raw


def source_names(values: pl.Series) -> pl.Series:
    """A file's ``source`` column by :func:`source_name` (blank: null), worked out once per
    distinct value (a source column holds few)."""
    distinct = values.unique().drop_nulls().to_list()
    cleaned = {v: source_name(v) or None for v in distinct}
    if all(v == c for v, c in cleaned.items()):  # the common case: clean already
        return values
    return values.replace_strict(cleaned, default=None, return_dtype=pl.String)


_LEGAL = r"\b(?:" + "|".join(LEGAL_FORMS) + r")\b"
_TITLE_NOISE = (
    r"\((?:remote|hybrid|on-?site|m/w/d|w/m/d|f/m/d|m/f/d|h/f|f/h|all genders|contract)[^)]*\)"
    r"|\b(?:req|requisition|job|jr|r)?\s*(?:id|#|no\.?)?\s*[#:-]?\s*\d{5,}\b"
)


def _key_words(expr: pl.Expr) -> pl.Expr:
    # NFKC leaves ASCII text as it is: only values with another character are normalized.
    # (Masked to null, not with only_where: unlike the regex kernels, normalize skips nulls.)
    # A value holds a character other than ASCII exactly when its UTF-8 takes more bytes
    # than it has characters: two length counts cost about a third of the regex
    # ``[^\x00-\x7F]`` (200,000 company names: 2.9 against 9.7 ms CPU).
    non_ascii = pl.when(expr.str.len_bytes() != expr.str.len_chars()).then(expr)
    return words(pl.coalesce(non_ascii.str.normalize("NFKC"), expr))


# words() leaves letters, digits and single spaces: the only runs of whitespace left to
# collapse are the spaces around a removed legal form.
def norm_company(expr: pl.Expr) -> pl.Expr:
    return (
        _key_words(expr).str.replace_all(_LEGAL, " ").str.replace_all("  +", " ").str.strip_chars()
    )


def _title_text(expr: pl.Expr) -> pl.Expr:
    """A title lowercased, without its noise (:data:`_TITLE_NOISE`): what
    :func:`norm_title_key` reduces to words."""
    return expr.str.to_lowercase().str.replace_all(_TITLE_NOISE, " ")


def norm_title_key(expr: pl.Expr) -> pl.Expr:
    return _key_words(_title_text(expr))


log = logging.getLogger(__name__)


def sha1_hex_python(values: pl.Series) -> pl.Series:
    """sha1 hex digest of each UTF-8 string (null stays null), with :mod:`hashlib`."""
    return pl.Series(
        values.name,
        [None if v is None else hashlib.sha1(v.encode("utf-8")).hexdigest()
         for v in values.to_list()],
        dtype=pl.String,
    )  # fmt: skip


@cache
def vectorised_sha1() -> bool:
    """Whether the ``polars-hash`` plugin loads and gives hashlib's digest (checked once)."""
    try:
        import polars_hash as plh

        probe = pl.select(plh.NonCryptographicHashingNameSpace(pl.lit("abc")).sha1()).item()
    except Exception as exc:  # an ABI or import failure of a compiled plugin, whatever its type
        log.warning("polars-hash unavailable (%s): ids are hashed with hashlib", exc)
        return False
    if probe != hashlib.sha1(b"abc").hexdigest():
        log.warning("polars-hash gives another sha1 digest: ids are hashed with hashlib")
        return False
    return True


def sha1_hex(expr: pl.Expr) -> pl.Expr:
    """sha1 hex digest of each UTF-8 string (null stays null): vectorised by polars-hash,
    or :func:`sha1_hex_python` where the plugin cannot run."""
    if vectorised_sha1():
        import polars_hash as plh

        return plh.NonCryptographicHashingNameSpace(expr).sha1()
    return expr.map_batches(sha1_hex_python, return_dtype=pl.String)


#: The columns the fingerprint and the fallback id depend on.
KEY_INPUTS = ["company", "title", "location", "metro", "work_mode", "country"]


def add_identity(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``posting_id`` and ``fingerprint`` (needs source, source_id, company, title,
    location, metro, work_mode, country). Company, title and location are normalized once per
    distinct value (or per value, where most are distinct); keys are hashed in one vectorised
    pass; the fallback id only where there is no source id."""
    place = pl.coalesce(
        pl.col("metro").str.to_lowercase(),
        pl.when(pl.col("work_mode") == "remote").then(
            pl.lit("remote-") + pl.coalesce(pl.col("country"), pl.lit("any")).str.to_lowercase()
        ),
        pl.col("_nl"),
    )
    no_id = pl.col("_sid").is_null()
    frame = lf.with_columns(_sid=blank_to_null(pl.col("source_id"))).collect()
    frame = per_distinct(frame, "company", norm_company(pl.col("company")).alias("_nc"))
    # norm_title_key in two steps, each a column: _key_words reads its input four times, and
    # per_distinct evaluates on a DataFrame, where no common subexpression is shared (the
    # 31,800 distinct titles of a 200,000-row batch of short postings: 33 -> 16 ms CPU).
    frame = per_distinct(
        frame,
        "title",
        _title_text(pl.col("title")).alias("_nt"),
        _key_words(pl.col("_nt")).alias("_nt"),
    )
    nl = pl.coalesce(_key_words(pl.col("location")), pl.lit(""))
    raw = pl.concat_str([pl.col("_nc"), pl.col("_nt"), pl.col("_nl")], separator="|")
    return (
        per_distinct(frame, "location", nl.alias("_nl"))
        .lazy()
        .with_columns(
            fingerprint=sha1_hex(
                pl.concat_str([pl.col("_nc"), pl.col("_nt"), place], separator="|")
            ),
            _raw_hash=pl.when(no_id).then(sha1_hex(raw)),
        )
        .with_columns(
            posting_id=pl.col("source")
            + pl.lit(":")
            + pl.coalesce("_sid", pl.col("_raw_hash").str.slice(0, 16))
        )
        .drop("_nc", "_nt", "_nl", "_raw_hash", "_sid")
    )
