"""Pay: free text and structured fields -> annual ``salary_min/max/mid`` and ``currency``.

Handles ``$120,000 - $150,000``, ``$120K-$150K``, ``120k–150k``, ``150000-180000 USD per
year``, ``$55/hr``, ``$55 - $65 per hour`` (x 2080), ``$12,500/month`` (x 12), single
values, ``up to X`` (max only), ``from X`` / ``X+`` (min only), and structured min/max with a
period. Without a period, values under 300 are hourly and values of 10,000 or more annual;
anything else is implausible. Annual values outside [10,000, 2,000,000] (major currencies)
are dropped from pay and counted. ``pay_status`` tells the report what happened per row:
``none``, ``ok``, ``unparsed`` or ``out_of_range``.
"""

from __future__ import annotations

import polars as pl

MIN_ANNUAL = 10_000.0
MAX_ANNUAL = 2_000_000.0
MAX_SPREAD = 10.0  # max/min above this is a typo or a different unit: dropped
HOURS_PER_YEAR = 2080.0
UK_HOURS_PER_YEAR = 1950.0
#: Currencies of similar magnitude, where the annual plausibility range applies.
RANGE_CHECKED = ("USD", "CAD", "AUD", "GBP", "EUR", "CHF", "SGD", "NZD")

PERIOD_FACTORS: dict[str, float] = {
    "year": 1.0, "month": 12.0, "semimonth": 24.0, "biweek": 26.0, "week": 52.0,
    "day": 260.0, "hour": HOURS_PER_YEAR,
}  # fmt: skip

# Ordered: first match wins (biweekly before weekly, semi-monthly before monthly).
_PERIOD_PATTERNS: tuple[tuple[str, str], ...] = (
    ("hour", r"\b(?:hour|hourly|hr|hrs)\b|/\s*h\b|\bph\b"),
    ("biweek", r"\bbi-?weekly\b|every (?:two|2) weeks|fortnight"),
    ("semimonth", r"semi-?monthly|twice (?:a|per) month"),
    ("week", r"\b(?:week|weekly|wk)\b"),
    ("day", r"\b(?:day|daily|per diem)\b"),
    ("month", r"\b(?:month|monthly|mo|mth|mos)\b|/\s*m\b"),
    ("year", r"\b(?:year|yearly|annual|annually|annum|yr|yrs|pa|p\.a)\b|/\s*y\b"),
)

_PERIOD_WORDS: dict[str, str] = {
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "annum": "year",
    "y": "year", "yr": "year", "per-year-salary": "year", "a": "year",
    "month": "month", "monthly": "month", "mo": "month", "per-month-salary": "month",
    "week": "week", "weekly": "week", "wk": "week", "per-week-salary": "week",
    "biweekly": "biweek", "bi-weekly": "biweek", "semimonthly": "semimonth",
    "semi-monthly": "semimonth", "day": "day", "daily": "day", "per-day-wage": "day",
    "hour": "hour", "hourly": "hour", "hr": "hour", "h": "hour", "per-hour-wage": "hour",
}  # fmt: skip

# Ordered: first match wins (C$ before $).
_CURRENCY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("CAD", r"\bcad\b|\bc\$|\bca\$"),
    ("AUD", r"\baud\b|\ba\$|\bau\$"),
    ("NZD", r"\bnzd\b|\bnz\$"),
    ("SGD", r"\bsgd\b|\bs\$"),
    ("HKD", r"\bhkd\b|\bhk\$"),
    ("BRL", r"\bbrl\b|\br\$"),
    ("MXN", r"\bmxn\b"),
    ("USD", r"\busd\b|\bus\$|\$"),
    ("GBP", r"£|\bgbp\b"),
    ("EUR", r"€|\beur\b|\beuros?\b"),
    ("INR", r"₹|\binr\b|\blpa\b|\blakhs?\b"),
    ("JPY", r"¥|\bjpy\b|\byen\b"),
    ("CHF", r"\bchf\b"),
    ("SEK", r"\bsek\b"),
    ("NOK", r"\bnok\b"),
    ("DKK", r"\bdkk\b"),
    ("PLN", r"\bpln\b|\bzł"),
    ("ILS", r"₪|\bils\b|\bnis\b"),
    ("KRW", r"₩|\bkrw\b"),
    ("CNY", r"\bcny\b|\brmb\b"),
    ("ZAR", r"\bzar\b"),
)

_NUM = r"(\d+(?:\.\d+)?)\s*(k|m|mm|thousand|million|lakhs?|lpa)?\b"
#: "120k - 150k", "$55 to $65", "between 100000 and 120000"
_RANGE_RE = _NUM + r"[^\d%]{0,14}?(?:-|to|and)\s*[^\d\s%]{0,4}\s*" + _NUM
#: A pay range inside a description: needs $ and thousands (or k, or an hourly unit).
_AMT = r"\d{2,3}(?:,\d{3})+(?:\.\d{2})?|\d{2,3}(?:\.\d)?\s?[kK]\b"
DESCRIPTION_PAY_RE = (
    r"(\$\s?(?:" + _AMT + r")\s*(?:-|–|—|to)\s*(?:USD\s*)?\$?\s?(?:" + _AMT + r")"
    r"(?:\s*(?:USD|CAD))?(?:\s*(?:/|per|an|a)\s*(?:year|yr|annum|annually))?"
    r"|\$\s?\d{2,3}(?:\.\d{2})?\s*(?:-|–|—|to)\s*\$?\s?\d{2,3}(?:\.\d{2})?\s*(?:/|per|an|a)\s*(?:hour|hr))"
)


def _number(text: pl.Expr) -> pl.Expr:
    """A structured amount as a float: ``"$120,000"`` -> 120000.0; non-numbers -> null."""
    cleaned = text.str.replace_all(r"[,$\s]|usd", "").str.strip_chars()
    return cleaned.cast(pl.Float64, strict=False)


def _scale(suffix: pl.Expr) -> pl.Expr:
    return (
        pl.when(suffix.is_in(["k", "thousand"]))
        .then(1e3)
        .when(suffix.is_in(["m", "mm", "million"]))
        .then(1e6)
        .when(suffix.str.starts_with("lakh") | (suffix == "lpa"))
        .then(1e5)
        .otherwise(1.0)
    )


def _first_match(text: pl.Expr, table: tuple[tuple[str, str], ...]) -> pl.Expr:
    out: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, pattern in reversed(table):
        out = pl.when(text.str.contains(pattern)).then(pl.lit(name)).otherwise(out)
    return out


#: Raw columns that decide the pay of a row; pay is parsed once per distinct combination.
PAY_INPUTS = ("_pay_text", "salary_min", "salary_max", "salary_yearly", "salary_hourly",
              "currency", "period")  # fmt: skip


def _structured(first: str) -> pl.Expr:
    return pl.coalesce(
        _number(pl.col(first)), _number(pl.col("salary_yearly")), _number(pl.col("salary_hourly"))
    )


def _parse_distinct(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Pay inputs (one row per distinct combination) -> pay columns and ``pay_status``."""
    t = pl.col("_t")
    rng, one = pl.col("_rng"), pl.col("_one")
    a_sfx, b_sfx = rng.struct.field("2"), rng.struct.field("4")
    a_raw = rng.struct.field("1").cast(pl.Float64, strict=False)
    # "120-150k": the suffix of the second number applies to a small first number
    a = (
        pl.when(a_sfx.is_null() & b_sfx.is_not_null() & (a_raw < 1000))
        .then(a_raw * _scale(b_sfx))
        .otherwise(a_raw * _scale(a_sfx))
    )
    b = rng.struct.field("3").cast(pl.Float64, strict=False) * _scale(b_sfx)
    single = one.struct.field("1").cast(pl.Float64, strict=False) * _scale(one.struct.field("2"))
    up_to = t.str.contains(r"\b(?:up to|upto|max(?:imum)?|to)\s*[^\d\s]{0,4}\s*\d")
    from_ = t.str.contains(r"\b(?:from|starting at|starts at|min(?:imum)?|at least)\b|\d\s*k?\+")
    structured_lo, structured_hi = _structured("salary_min"), _structured("salary_max")
    has_structured = structured_lo.is_not_null() | structured_hi.is_not_null()
    period_given = pl.coalesce(
        pl.col("period")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(_PERIOD_WORDS, default=None, return_dtype=pl.String),
        pl.when(pl.col("salary_hourly").is_not_null() & pl.col("salary_yearly").is_null())
        .then(pl.lit("hour"))
        .when(pl.col("salary_yearly").is_not_null())
        .then(pl.lit("year")),
    )
    currency_col = pl.col("currency").str.strip_chars().str.to_uppercase()
    lo, hi = pl.col("_lo"), pl.col("_hi")
    in_range = (lo.is_null() | lo.is_between(MIN_ANNUAL, MAX_ANNUAL)) & (
        hi.is_null() | hi.is_between(MIN_ANNUAL, MAX_ANNUAL)
    )
    return (
        lf.with_columns(
            _t=pl.col("_pay_text")
            .str.to_lowercase()
            .str.replace_all(r"[–—−]", "-")
            .str.replace_all(r"\d+(?:\.\d+)?\s*%", " ")
            .str.replace_all(r"(\d),(\d{3})", "$1$2")
            .str.replace_all(r"(\d),(\d{3})", "$1$2")
        )
        .with_columns(_rng=t.str.extract_groups(_RANGE_RE), _one=t.str.extract_groups(_NUM))
        .with_columns(
            _lo=pl.when(has_structured)
            .then(structured_lo)
            .when(a.is_not_null())
            .then(a)
            .when(up_to & ~from_)
            .then(None)
            .otherwise(single),
            _hi=pl.when(has_structured)
            .then(structured_hi)
            .when(a.is_not_null())
            .then(b)
            .when(from_ & ~up_to)
            .then(None)
            .otherwise(single),
            _period=pl.coalesce(period_given, _first_match(t, _PERIOD_PATTERNS)),
            _cur=pl.coalesce(
                pl.when(currency_col.str.len_bytes() > 0).then(currency_col),
                _first_match(t, _CURRENCY_PATTERNS),
                pl.lit("USD"),
            ),
            _had_text=pl.col("_pay_text").is_not_null()
            | has_structured
            | pl.col("salary_min").is_not_null()
            | pl.col("salary_max").is_not_null(),
        )
        .with_columns(
            _lo=pl.when(lo > hi).then(hi).otherwise(lo),
            _hi=pl.when(lo > hi).then(lo).otherwise(hi),
            _parsed=lo.is_not_null() | hi.is_not_null(),
        )
        .with_columns(
            _period=pl.coalesce(
                pl.col("_period"),
                pl.when(pl.max_horizontal(lo, hi) < 300)
                .then(pl.lit("hour"))
                .when(pl.max_horizontal(lo, hi) >= MIN_ANNUAL)
                .then(pl.lit("year")),
            ),
        )
        .with_columns(
            _factor=pl.when((pl.col("_period") == "hour") & (pl.col("_cur") == "GBP"))
            .then(UK_HOURS_PER_YEAR)
            .otherwise(
                pl.col("_period").replace_strict(
                    PERIOD_FACTORS, default=None, return_dtype=pl.Float64
                )
            ),
        )
        .with_columns(_lo=lo * pl.col("_factor"), _hi=hi * pl.col("_factor"))
        .with_columns(
            _ok=pl.col("_parsed")
            & pl.col("_factor").is_not_null()
            & (lo.is_null() | (lo > 0))
            & (~pl.col("_cur").is_in(RANGE_CHECKED) | in_range)
            & (lo.is_null() | hi.is_null() | (hi <= lo * MAX_SPREAD))
        )
        .select(
            *PAY_INPUTS,
            _salary_min=pl.when("_ok").then(lo),
            _salary_max=pl.when("_ok").then(hi),
            _salary_mid=pl.when("_ok").then(pl.mean_horizontal(lo, hi)),
            _currency=pl.when("_ok").then("_cur"),
            pay_status=pl.when("_ok")
            .then(pl.lit("ok"))
            .when("_parsed")
            .then(pl.lit("out_of_range"))
            .when("_had_text")
            .then(pl.lit("unparsed"))
            .otherwise(pl.lit("none")),
        )
    )


def parse_pay(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``salary_min``, ``salary_max``, ``salary_mid`` (annual), ``currency`` and
    ``pay_status`` from the raw pay columns (replacing the raw ones). Pay text is the
    ``salary`` field, else (when no structured pay either) a $ range found in the
    description; it is parsed once per distinct set of pay inputs and joined back."""
    no_structured = (
        pl.col("salary_min").is_null()
        & pl.col("salary_max").is_null()
        & pl.col("salary_yearly").is_null()
        & pl.col("salary_hourly").is_null()
    )
    with_text = lf.with_columns(
        _pay_text=pl.coalesce(
            pl.col("salary"),
            pl.when(no_structured).then(pl.col("description").str.extract(DESCRIPTION_PAY_RE, 1)),
        )
    )
    distinct = _parse_distinct(with_text.select(PAY_INPUTS).unique())
    return (
        with_text.join(
            distinct, on=list(PAY_INPUTS), how="left", nulls_equal=True, maintain_order="left"
        )
        .drop(*PAY_INPUTS, "salary")
        .rename({f"_{c}": c for c in ("salary_min", "salary_max", "salary_mid", "currency")})
    )
