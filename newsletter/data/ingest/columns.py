"""Canonical input columns of a raw export, and how raw column names map onto them.

Every adapter returns a *raw frame*: the columns below (all ``String`` except ``skills``,
a ``List(String)``), plus ``source_file`` (which file the row came from) and ``source_open``
(null, or the reason a source marks the row as not open, e.g. ``closed``; for a CSV/TSV
row with more fields than its header, :data:`REASON_MORE_FIELDS`). Names are matched
after splitting camelCase, folding case and turning spaces, dots and hyphens into ``_``
(:func:`folds`); an explicit ``[ingest.columns]`` mapping in config.toml wins over the
built-in aliases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

import polars as pl

from newsletter.errors import ConfigError, IngestError, first_line

#: Canonical input column -> recognised raw names (first one is the canonical name itself).
ALIASES: dict[str, tuple[str, ...]] = {
    "source": ("source", "site", "source_name"),
    "source_id": ("id", "source_id", "job_id", "job_key", "posting_id", "jobid", "external_id",
                  "req_id", "identifier_value", "guid"),
    "title": ("title", "job_title", "jobtitle", "position", "position_title", "position_name",
              "role", "role_title", "job_name", "job", "job_titles"),
    "company": ("company", "company_name", "employer", "employer_name", "organization",
                "organisation", "hiring_company", "companyname", "hiring_organization"),
    # Kaggle's Adzuna salary data: the place as Adzuna normalised it, else as written
    "location": ("location", "job_location", "locations", "location_name", "work_location",
                 "office", "city", "location_normalized", "location_raw"),
    "description": ("description", "job_description", "description_text", "descriptionplain",
                    "content", "body", "details", "job_details", "full_description"),
    # not Kaggle's Adzuna "SalaryNormalized" (an annual amount naming no currency, the pay
    # text's in pounds): read as a structured amount, it was US dollars; its "SalaryRaw" is
    # pay text, whose currency is the place's country's where it names none
    "salary": ("salary", "salary_text", "compensation", "pay", "pay_range", "salary_range",
               "job_salary", "comp", "salary_string", "salary_estimate", "med_salary",
               "base_salary_value_value", "base_salary_value", "base_salary", "salary_raw"),
    "salary_min": ("salary_min", "min_salary", "salary_from", "min_amount", "pay_min",
                   "salary_low", "salary_minimum", "salary_min_value",
                   "base_salary_value_min_value", "base_salary_min_value"),
    "salary_max": ("salary_max", "max_salary", "salary_to", "max_amount", "pay_max",
                   "salary_high", "salary_maximum", "salary_max_value",
                   "base_salary_value_max_value", "base_salary_max_value"),
    "salary_yearly": ("salary_yearly", "salary_year_avg", "yearly_salary", "annual_salary",
                      "salary_annual", "salary_year"),
    "salary_hourly": ("salary_hourly", "salary_hour_avg", "hourly_salary", "hourly_rate",
                      "hourly_wage", "salary_hour"),
    "currency": ("currency", "salary_currency", "currency_code", "pay_currency",
                 "base_salary_currency"),
    # whether the pay is the site's prediction, not the employer's (Adzuna's
    # "salary_is_predicted": "1"): such pay is no posted pay (newsletter.data.ingest.pay)
    "salary_predicted": ("salary_predicted", "salary_is_predicted"),
    "period": ("period", "interval", "salary_rate", "salary_period", "pay_period",
               "salary_interval", "salary_unit", "salary_unit_text",
               "base_salary_value_unit_text", "base_salary_unit_text"),
    "posted_at": ("posted_at", "date_posted", "job_posted_date", "posted", "posted_date",
                  "created_at", "published_at", "first_published", "publication_date", "date",
                  "pub_date", "original_listed_time", "listed_time", "created"),
    "url": ("url", "job_url", "link", "apply_url", "absolute_url", "hosted_url", "hostedurl",
            "posting_url", "job_link", "job_posting_url", "redirect_url", "application_link",
            "application_url"),
    "remote": ("remote", "is_remote", "job_work_from_home", "work_from_home", "remote_flag",
               "remote_ok", "remote_allowed"),
    "work_mode": ("work_mode", "workplace_type", "workplacetype", "remote_policy",
                  "work_arrangement", "workplace", "job_location_type"),
    # not "tags": a board's tags mix skills with labels ("featured", "senior", "remote"), and an
    # explicit list replaces the skills read from the text
    "skills": ("skills", "job_skills", "tech_stack", "skill_list", "skills_list"),
    "country": ("country", "job_country", "country_code"),
    "seniority": ("seniority", "job_level", "experience_level", "seniority_level",
                  "career_level", "level", "formatted_experience_level"),
    # full-time, contract, ... (not "work_type" first: some exports mean remote/onsite by it,
    # which reads as no employment)
    "employment": ("employment", "employment_type", "employmenttype", "job_type", "jobtype",
                   "job_schedule_type", "schedule_type", "commitment", "type_of_employment",
                   "typeofemployment", "employment_type_code", "contract_type", "time_type",
                   "employment_status", "work_type", "formatted_work_type", "contract_time"),
}  # fmt: skip

#: Input columns read, row by row, from the next of their aliases that an export holds
#: where the first is empty: Adzuna gives ``contract_type`` (permanent, contract) for some
#: postings and only ``contract_time`` (full or part time) for others.
ROW_FALLBACK = ("employment",)
#: Where a remote posting's applicants may live (Remotive's ``candidate_required_location``,
#: Himalayas' ``locationRestrictions``, schema.org's ``applicantLocationRequirements``): no
#: input column of its own (:func:`resolve_columns` names it :data:`APPLICANT_PLACE`), but
#: the posting's ``location`` where it has none, and then the posting is remote unless a
#: work-mode or remote field says otherwise (:func:`raw_exprs`).
APPLICANT_PLACE = "applicant_place"
APPLICANT_ALIASES = ("candidate_required_location", "location_restrictions",
                     "applicant_location_requirements")  # fmt: skip

INPUT_COLUMNS: tuple[str, ...] = tuple(ALIASES)
RAW_SCHEMA: dict[str, pl.DataType] = {
    **{c: pl.String() for c in INPUT_COLUMNS if c != "skills"},
    "skills": pl.List(pl.String()),
    "source_file": pl.String(),
    "source_open": pl.String(),
}
RAW_COLUMNS: tuple[str, ...] = tuple(RAW_SCHEMA)

_FOLD_RE = re.compile(r"[\s.\-/]+")
#: Where a camelCase name's words meet: ``minSalary``, ``jobID``, ``companyURL``.
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def fold(name: str) -> str:
    """``"Job Title"`` -> ``"job_title"``, ``"minSalary"`` -> ``"min_salary"``, ``"jobID"``
    -> ``"job_id"``: the form column names are compared in."""
    return _flat(_CAMEL_RE.sub("_", name.strip()))


def _flat(name: str) -> str:
    return _FOLD_RE.sub("_", name.strip().casefold()).strip("_")


def folds(name: str) -> tuple[str, ...]:
    """The forms ``name`` is matched in: :func:`fold`, then its case folded alone where that
    differs (``descriptionPlain`` is ``description_plain`` and ``descriptionplain``, the
    form an alias may know it by)."""
    return tuple(dict.fromkeys((fold(name), _flat(name))))


def check_mapping(mapping: Mapping[str, str]) -> None:
    """Refuse an ``[ingest.columns]`` entry that targets an unknown input column."""
    bad = [f"ingest.columns.{k}: unknown target {v!r}" for k, v in mapping.items()
           if v not in INPUT_COLUMNS]  # fmt: skip
    if bad:
        raise ConfigError([*bad[:-1], bad[-1] + f" (choose from {', '.join(INPUT_COLUMNS)})"])


def _by_fold(names: Sequence[str]) -> dict[str, str]:
    """Each form of :func:`folds` -> the first of ``names`` in that form."""
    by_fold: dict[str, str] = {}
    for raw in names:
        for form in folds(raw):
            by_fold.setdefault(form, raw)
    return by_fold


def resolve_columns(names: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Raw column name -> canonical input column, for the columns that map to one."""
    check_mapping(mapping)
    by_fold = _by_fold(names)
    chosen: dict[str, str] = {}
    explicit = {form: v for k, v in mapping.items() for form in folds(k)}
    for raw in names:
        target = next((explicit[f] for f in folds(raw) if f in explicit), None)
        if target and target not in chosen.values():
            chosen[raw] = target
    for target, aliases in (*ALIASES.items(), (APPLICANT_PLACE, APPLICANT_ALIASES)):
        if target in chosen.values():
            continue
        for alias in aliases:
            raw_name = by_fold.get(alias)
            if raw_name is not None and raw_name not in chosen:
                chosen[raw_name] = target
                break
    return chosen


#: The fields that make an object's text (a company's, a place's), by their folded names
#: (:func:`fold`: ``displayName`` is ``display_name``): its name (Adzuna's ``display_name``),
#: else its place: the parts of :data:`OBJECT_PLACE` joined (a part that is an object by
#: its own name: schema.org's ``addressCountry: {"name": "US"}``), else its
#: :data:`OBJECT_ADDRESS` object's place (schema.org's ``Place`` holds a ``PostalAddress``).
OBJECT_NAME = ("name", "display_name", "location")
OBJECT_PLACE = ("city", "address_locality", "region", "address_region", "state", "country",
                "address_country")  # fmt: skip
OBJECT_ADDRESS = "address"
#: How deep an object's text is looked for: a place's address, the address's country.
OBJECT_DEPTH = 2


def object_fields(names: Sequence[str]) -> dict[str, str]:
    """Folded name -> an object's own field name, for :data:`OBJECT_NAME`,
    :data:`OBJECT_PLACE` and :data:`OBJECT_ADDRESS` (the first field of each folded name)."""
    out: dict[str, str] = {}
    for name in names:
        out.setdefault(fold(name), name)
    return out


def _struct_text(col: pl.Expr, dtype: pl.Struct, depth: int = OBJECT_DEPTH) -> pl.Expr:
    """An object as text, as :func:`~newsletter.data.ingest._records.place` reads a job
    board's: its name (:data:`OBJECT_NAME`), else its place parts joined, else its address's
    place, else its JSON; a null object is null (its JSON was the text ``null``)."""
    return pl.when(col.is_not_null()).then(
        pl.coalesce(_object_text(col, dtype, depth), col.struct.json_encode())
    )


def _object_text(col: pl.Expr, dtype: pl.Struct, depth: int) -> pl.Expr:
    """:func:`_struct_text` without the JSON: null where the object names nothing."""
    types = {f.name: f.dtype for f in dtype.fields}
    fields = object_fields(list(types))

    def part(key: str) -> pl.Expr | None:
        name = fields.get(key)
        kind = types.get(name) if name is not None else None
        if kind is None or isinstance(kind, pl.List | pl.Array):
            return None
        value = col.struct.field(name)  # type: ignore[arg-type]
        if isinstance(kind, pl.Struct):
            return _object_text(value, kind, depth - 1) if depth > 0 else None
        text = value.cast(pl.String).str.strip_chars()
        return pl.when(text != "").then(text)

    named = [e for e in (part(k) for k in OBJECT_NAME) if e is not None]
    parts = [e for e in (part(k) for k in OBJECT_PLACE) if e is not None]
    joined = pl.concat_str(parts, separator=", ", ignore_nulls=True) if parts else None
    place = [pl.when(joined != "").then(joined)] if joined is not None else []
    address = part(OBJECT_ADDRESS)
    found = [*named, *place, *([address] if address is not None else [])]
    return pl.coalesce(found) if found else pl.lit(None, dtype=pl.String)


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if isinstance(dtype, pl.List | pl.Array) and isinstance(dtype.inner, pl.Struct):
        # a list of objects (schema.org's jobLocation: several places): each one's text,
        # the distinct ones joined, as a board's list of places is read
        inner = dtype.inner
        items = col.cast(pl.List(inner)).list.eval(_struct_text(pl.element(), inner))
        return items.list.drop_nulls().list.unique(maintain_order=True).list.join("; ")
    if isinstance(dtype, pl.List | pl.Array):
        return col.cast(pl.List(pl.String())).list.join("; ")
    if isinstance(dtype, pl.Struct):
        return _struct_text(col, dtype)
    if dtype.is_float():
        # a whole number is written as one ("2", not "2.0"): an id read as a float in one
        # week and as an integer in another is the same id
        whole = col.is_finite() & (col == col.round(0)) & (col.abs() < 2**53)
        return (
            pl.when(whole)
            .then(col.cast(pl.Int64).cast(pl.String()))
            .otherwise(col.cast(pl.String()))
        )
    return col.cast(pl.String())


#: A JSON array of strings (or of objects) as text (a column that mixes lists and text is
#: read as text).
_JSON_LIST = r'^\[\s*(?:"|null\b|\]|\{)'
#: The field of a listed object that names the item (``{"name": "Python", "level": 3}``), by
#: preference; else its first text field.
ITEM_NAME_FIELDS = ("name", "skill", "label", "title", "value", "keyword")


def _naming_field(text_fields: Sequence[str]) -> str | None:
    """Which of an object's text fields names it: the first of :data:`ITEM_NAME_FIELDS`
    among them (in any case), else the first of them; None without one."""
    by_fold = {f.casefold(): f for f in text_fields}
    named = next((by_fold[f] for f in ITEM_NAME_FIELDS if f in by_fold), None)
    return named if named is not None else next(iter(text_fields), None)


def _item_name(item: object) -> str | None:
    """A listed item as text: a string as it is; an object's naming field
    (:func:`_naming_field`); anything else none."""
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return None
    field = _naming_field([k for k, v in item.items() if isinstance(v, str)])
    return None if field is None else str(item[field])


def _json_lists(values: pl.Series) -> pl.Series:
    """Each JSON-array text as its items' names (:func:`_item_name`: nulls, numbers and
    nested lists dropped); null where a value is no JSON array. In Python: such values are
    few."""
    if values.null_count() == len(values):  # no JSON text in this batch: the usual case
        return pl.repeat(None, len(values), dtype=pl.List(pl.String()), eager=True)
    out: list[list[str] | None] = []
    for v in values.to_list():
        try:
            parsed = json.loads(v) if v is not None else None
        except ValueError:
            parsed = None
        names = [_item_name(x) for x in parsed] if isinstance(parsed, list) else None
        out.append([n for n in names if n is not None] if names is not None else None)
    return pl.Series(values.name, out, dtype=pl.List(pl.String()))


def _struct_name(dtype: pl.Struct) -> str | None:
    """The field that names a listed object of this type (:func:`_naming_field`)."""
    return _naming_field(
        [f.name for f in dtype.fields if f.dtype in (pl.String(), pl.Categorical())]
    )


def _as_list(name: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if isinstance(dtype, pl.List | pl.Array):
        inner = dtype.inner
        if isinstance(inner, pl.Struct):  # a list of objects: each one's naming field
            field = _struct_name(inner)
            if field is None:
                return pl.lit(None, dtype=pl.List(pl.String()))
            items = col.cast(pl.List(inner)).list.eval(pl.element().struct.field(field))
            return items.cast(pl.List(pl.String())).list.drop_nulls()
        if isinstance(inner, pl.List | pl.Array | pl.Object):
            return pl.lit(None, dtype=pl.List(pl.String()))  # lists of lists name nothing
        return col.cast(pl.List(pl.String()))
    text = col.cast(pl.String()).str.strip_chars()
    # '["sql", "python"]' (JSON: decoded, escapes and all; objects by their name),
    # "['sql', 'python']" (a Python literal) or "sql; python" or "sql, python"
    as_json = (
        pl.when(text.str.contains(_JSON_LIST))
        .then(text)
        .map_batches(_json_lists, return_dtype=pl.List(pl.String()))
    )
    inner_text = text.str.strip_prefix("[").str.strip_suffix("]")
    parts = inner_text.str.replace_all(";", ",", literal=True).str.split(",")
    cleaned = parts.list.eval(pl.element().str.strip_chars(" \t\"'")).list.set_difference(
        pl.lit([""], dtype=pl.List(pl.String))
    )
    return (
        pl.when(text.is_null() | (text == "")).then(None).otherwise(pl.coalesce(as_json, cleaned))
    )


#: ``source_open`` (and the reject reason) of a CSV/TSV row with more fields than the header:
#: an unquoted separator (a comma in a title) shifts every later field, so none of its values
#: can be trusted.
REASON_MORE_FIELDS = "more fields than the header"
#: ``source_open`` (and the reject reason) of a line of a JSON Lines file that is not JSON.
REASON_NOT_JSON = "not JSON"
#: The column a list of JSON records is read with beside the records' own fields: why an
#: element is no record (``not JSON``, ``not an object``), null for a record.
RECORD_PROBLEM = "__record_problem__"


def raw_exprs(
    schema: pl.Schema, mapping: Mapping[str, str], *, source_file: str, extra: str | None = None
) -> list[pl.Expr]:
    """The expressions that turn a tabular export (of ``schema``) into the canonical raw
    frame. ``extra`` names a column that is not the export's own (a CSV row's first field
    past the header): where it is not null, ``source_open`` is :data:`REASON_MORE_FIELDS`.
    A :data:`RECORD_PROBLEM` column (JSON records) is ``source_open`` as it is.
    Raises IngestError when no column can serve as the title."""
    own = [n for n in schema.names() if n not in (extra, RECORD_PROBLEM)]
    chosen = resolve_columns(own, mapping)
    by_fold = _by_fold(own)
    if "title" not in chosen.values():
        raise IngestError(
            f"{source_file}: no title column (looked for {', '.join(ALIASES['title'])}; "
            "map yours in [ingest.columns] of config.toml)"
        )
    by_target = {t: r for r, t in chosen.items()}
    exprs: dict[str, pl.Expr] = {}
    for target in INPUT_COLUMNS:
        raw = by_target.get(target)
        if raw is None:
            exprs[target] = pl.lit(None, dtype=RAW_SCHEMA[target])
        elif target == "skills":
            exprs[target] = _as_list(raw, schema[raw])
        else:
            exprs[target] = _as_text(raw, schema[raw])
    for target in ROW_FALLBACK:
        others = [by_fold[a] for a in ALIASES[target] if by_fold.get(a) not in (None, *chosen)]
        if by_target.get(target) is not None and others:
            given = [_given(exprs[target]), *(_given(_as_text(r, schema[r])) for r in others)]
            exprs[target] = pl.coalesce(given)
    applicants = by_target.get(APPLICANT_PLACE)
    if applicants is not None:
        where = _as_text(applicants, schema[applicants])
        told = pl.coalesce(exprs["work_mode"], exprs["remote"])
        remote = pl.when(told.is_null() & exprs["location"].is_null() & (where != ""))
        exprs["work_mode"] = pl.coalesce(exprs["work_mode"], remote.then(pl.lit("remote")))
        exprs["location"] = pl.coalesce(exprs["location"], where)
    return [
        *(e.alias(target) for target, e in exprs.items()),
        pl.lit(source_file).alias("source_file"),
        _row_problem(schema, extra).alias("source_open"),
    ]


def _given(text: pl.Expr) -> pl.Expr:
    """``text`` where it holds more than blanks, else null."""
    return pl.when(text.str.strip_chars() != "").then(text)


def _row_problem(schema: pl.Schema, extra: str | None) -> pl.Expr:
    """What the reader found wrong with a row, as ``source_open`` (a rejecting reason), null
    when nothing: the JSON reader's :data:`RECORD_PROBLEM`, else for a CSV/TSV export
    :data:`REASON_MORE_FIELDS` where its ``extra`` column holds a field."""
    if RECORD_PROBLEM in schema:
        return pl.col(RECORD_PROBLEM)
    if extra is not None:
        return pl.when(pl.col(extra).is_not_null()).then(pl.lit(REASON_MORE_FIELDS))
    return pl.lit(None, pl.String)


#: How deep the fields of a nested object are read beside it (``salary.min``; an object in
#: an object: ``salary.range.min``).
NESTED_DEPTH = 2


def nested_name(parent: str, child: str) -> str:
    """The column name of an object field's own field: ``salary`` + ``min`` -> ``salary.min``,
    which folds to ``salary_min`` (an alias) as a flat export's column would."""
    return f"{parent}.{child}"


def _nested_fields(schema: pl.Schema) -> list[pl.Expr]:
    """Each struct column's fields (to :data:`NESTED_DEPTH`) as columns of their own beside
    it (:func:`nested_name`), where the export has no column of that name."""
    taken = set(schema.names())
    out: list[pl.Expr] = []
    level = [(pl.col(n), n, t) for n, t in schema.items() if isinstance(t, pl.Struct)]
    for _ in range(NESTED_DEPTH):
        deeper = []
        for expr, name, dtype in level:
            for field in dtype.fields:
                child, value = nested_name(name, field.name), expr.struct.field(field.name)
                if child not in taken:
                    taken.add(child)
                    out.append(value.alias(child))
                    if isinstance(field.dtype, pl.Struct):
                        deeper.append((value, child, field.dtype))
        level = deeper
    return out


def to_raw(
    frame: pl.DataFrame, mapping: Mapping[str, str], *, source_file: str, extra: str | None = None
) -> pl.DataFrame:
    """Rename and cast a tabular export into the canonical raw frame (``extra``: see
    :func:`raw_exprs`). The fields of a nested object are columns too (:func:`_nested_fields`):
    a pay object ``salary: {min, max, currency}`` gives ``salary_min``, ``salary_max`` and
    ``salary_currency`` (its JSON text alone was read as one amount, the minimum).

    Raises IngestError when no column can serve as the title, or when a recognised column
    holds values that cannot become text.
    """
    try:
        frame = frame.with_columns(_nested_fields(frame.schema))
        exprs = raw_exprs(frame.schema, mapping, source_file=source_file, extra=extra)
        return frame.select(exprs)
    except pl.exceptions.PolarsError as exc:  # e.g. bad UTF-8 bytes, a duration, nested numbers
        raise IngestError(
            f"{source_file}: a column cannot be read as text ({first_line(exc)[:160]})"
        ) from None
