"""Descriptions as plain text (one HTML parser, escaped HTML, mojibake) and pay as boards
write it: entities, hourly ranges, ``150k-180k USD``, pay per location; real HN strings."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from newsletter.data.ingest import ingest
from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.text import MAX_HTML_ROUNDS, html_to_text
from tests.collect_support import greenhouse_job
from tests.conftest import NOW
from tests.ingest_support import normalized

ESCAPED = "&lt;p&gt;The base pay is $196,000 &amp;mdash; $278,100 USD.&lt;/p&gt;"


def test_escaped_html_is_parsed_until_plain() -> None:
    assert html_to_text(ESCAPED) == "The base pay is $196,000 — $278,100 USD."
    twice = ESCAPED.replace("&", "&amp;")  # escaped once more
    assert html_to_text(twice) == "The base pay is $196,000 — $278,100 USD."


def test_tags_scripts_blocks_and_entities() -> None:
    got = html_to_text(
        "<div><h2>About</h2><p>Use <b>Py</b>Torch&nbsp;&amp; JAX</p>"
        "<script>document.write('x')</script><style>p{}</style>"
        "<ul><li>RAG</li><li>vLLM</li></ul></div>"
    )
    assert got == "About\nUse PyTorch & JAX\nRAG\nvLLM"


def test_plain_text_and_mojibake() -> None:
    assert html_to_text("AT&T wants 3 < 5 engineers") == "AT&T wants 3 < 5 engineers"
    assert html_to_text("We\u00e2\u20ac\u2122re hiring") == "We\u2019re hiring"


def test_mojibake_in_titles_companies_and_places_is_repaired(ingest_rules: Rules) -> None:
    """Double-encoded UTF-8 is repaired in the one-line columns too, so the place is found
    and the title read as the clean copy of the same posting is; real accents stay."""
    rows = [
        {"title": "Senior ML Engineer \u00e2\u20ac\u201c NLP", "company": "Caf\u00c3\u00a9 GmbH",
         "location": "M\u00c3\u00bcnchen, Germany"},
        {"title": "Senior ML Engineer \u2013 NLP", "company": "Caf\u00e9 GmbH",
         "location": "M\u00fcnchen, Germany"},
        {"title": "Data Scientist, S\u00e3o Paulo", "location": "S\u00e3o Paulo, Brazil"},
    ]  # fmt: skip
    out = normalized(ingest_rules, rows).select("title", "company", "location", "metro", "category")
    broken, clean, accents = out.rows()
    assert broken == clean
    assert broken[:3] == (
        "Senior ML Engineer \u2013 NLP",
        "Caf\u00e9 GmbH",
        "M\u00fcnchen, Germany",
    )
    assert accents[0] == "Data Scientist, S\u00e3o Paulo"


def test_the_unescape_loop_is_bounded() -> None:
    deep = "<b>x</b>"
    for _ in range(MAX_HTML_ROUNDS + 3):
        deep = deep.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = html_to_text(deep)  # returns (still escaped), never loops on
    assert "x" in out and "<b>" not in out


def _pay(rules: Rules, **row: Any) -> tuple[Any, ...]:
    out = normalized(rules, [{"title": "ML Engineer", **row}])
    return out.select("salary_min", "salary_max", "currency").row(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ESCAPED, (196_000, 278_100, "USD")),
        ("<p>Pay: $196,000 &mdash; $278,100 USD</p>", (196_000, 278_100, "USD")),
        ("Compensation: $90/hr - $120/hr, paid weekly.", (90 * 2080, 120 * 2080, "USD")),
        ("Base salary 150k-180k USD + equity.", (150_000, 180_000, "USD")),
        ("Range: USD 150,000 - 180,000 per year", (150_000, 180_000, "USD")),
        ("Salary: $173,000.00 - $259,600.00/yr.", (173_000, 259_600, "USD")),
        ("Salary: £90k–£130k for London.", (90_000, 130_000, "GBP")),
        ("We raised $5 - $10 million last year.", (None, None, None)),
    ],
)
def test_pay_in_descriptions(ingest_rules: Rules, text: str, expected: tuple[Any, ...]) -> None:
    assert _pay(ingest_rules, description=text) == expected


#: Descriptions of European postings: thousands grouped by dots or spaces, a currency sign
#: after the amount, other languages' words for "to" and pay labels before a single amount
#: (each gave no pay), and a one-decimal k; the period stated after the amount.
EUROPEAN_DESCRIPTIONS: dict[str, tuple[Any, ...]] = {
    "We pay €65.000 - €80.000 per year plus bonus.": (65_000, 80_000, "EUR"),
    "Salary 65.000–80.000 EUR brutto, 30 days off.": (65_000, 80_000, "EUR"),
    "Gehalt: 65.000 € - 80.000 €": (65_000, 80_000, "EUR"),
    "Das Bruttojahresgehalt: 65.000 € bis 80.000 €.": (65_000, 80_000, "EUR"),
    "Salaire : 45 000 € à 55 000 € par an": (45_000, 55_000, "EUR"),
    "Rémunération : 45\u202f000 € brut annuel": (45_000, 45_000, "EUR"),
    "Salario: 30.000 € brutos anuales": (30_000, 30_000, "EUR"),
    "Stipendio: 35.000 €": (35_000, 35_000, "EUR"),
    "Salaris: € 3.500 - € 4.500 per maand": (42_000, 54_000, "EUR"),
    "Salário: R$ 8.000 a R$ 12.000 por mês": (96_000, 144_000, "BRL"),
    "Salary: $150,000 per year, plus equity.": (150_000, 150_000, "USD"),
    "Compensation (base): £45.5K": (45_500, 45_500, "GBP"),
    "Pay: $65.5k-$80k": (65_500, 80_000, "USD"),
    # a noun of pay before its amount, with no colon, and an open end after a label
    "Salary £45.5K plus benefits": (45_500, 45_500, "GBP"),
    "A salary of $150,000 per year.": (150_000, 150_000, "USD"),
    "Gehalt von 65.000 € im Jahr": (65_000, 65_000, "EUR"),
    "RAL 35.000 €, smart working": (35_000, 35_000, "EUR"),
    "Salaire de 45 000 € par an": (45_000, 45_000, "EUR"),
    "Salary: up to $150k": (None, 150_000, "USD"),
    "Gehalt ab 60.000 €": (60_000, None, "EUR"),
    "We pay a $2,000 learning budget. Salary $150k.": (150_000, 150_000, "USD"),
    # other words of pay only with a colon; a label without an amount gives none
    "We pay $2,000 for your laptop.": (None, None, None),
    "Salary: competitive. Sign-on bonus $5,000": (None, None, None),
    # never a version or a duration
    "3.5 years of experience with Python 3.11 and Spark 3.5.1.": (None, None, None),
    "3.5 years with Python 3.11; salary €65.000 - €80.000": (65_000, 80_000, "EUR"),
    "Stack: Python 3.11, PostgreSQL 16.000 - 17.000 rows": (None, None, None),
}


@pytest.mark.parametrize(("text", "expected"), EUROPEAN_DESCRIPTIONS.items())
def test_pay_in_european_descriptions(
    ingest_rules: Rules, text: str, expected: tuple[Any, ...]
) -> None:
    assert _pay(ingest_rules, description=text) == expected


def test_pay_text_field_with_entities(ingest_rules: Rules) -> None:
    got = _pay(ingest_rules, salary="$196,000 &mdash; $278,100 USD")
    assert got == (196_000, 278_100, "USD")


PER_LOCATION = (
    "The salary range depends on location.\n"
    "McLean, VA: $197,300 - $225,100 for Senior Machine Learning Engineer\n"
    "New York, NY: $215,200 - $245,600 for Senior Machine Learning Engineer\n"
    "OTE for the sales version of this role: $300,000 - $400,000\n"
    "London: £150,000 - £180,000\n"
)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("New York, NY", (215_200, 245_600, "USD")),  # its own location's range
        ("McLean, VA; Richmond, VA", (197_300, 225_100, "USD")),
        ("Remote - US", (197_300, 245_600, "USD")),  # not listed: the span (OTE left out)
        (None, (197_300, 245_600, "USD")),
    ],
)
def test_pay_per_location(
    ingest_rules: Rules, location: str | None, expected: tuple[Any, ...]
) -> None:
    assert _pay(ingest_rules, description=PER_LOCATION, location=location) == expected


def test_ote_counts_only_when_no_base_is_stated(ingest_rules: Rules) -> None:
    text = "OTE: $200,000 - $260,000\nOn-target earnings in EMEA: $180,000 - $230,000"
    assert _pay(ingest_rules, description=text) == (180_000, 260_000, "USD")


def test_a_greenhouse_board_with_escaped_mdash_pay(tmp_path: Path, ingest_rules: Rules) -> None:
    """The board the issue describes: 52 postings, 38 stating pay as escaped
    ``$196,000 &mdash; $278,100 USD`` (the ingest found pay in none of them before)."""
    jobs = [
        greenhouse_job(i, content=ESCAPED if i < 38 else "&lt;p&gt;Join us.&lt;/p&gt;")
        for i in range(52)
    ]
    path = tmp_path / "board.json"
    path.write_text(json.dumps({"jobs": jobs, "meta": {"total": 52}}), encoding="utf-8")
    r = ingest([path], date(2026, 11, 23), ingest_rules, now=NOW).report
    assert (r.kept, r.with_pay, r.salary_unparsed) == (52, 38, 0)


def test_real_hacker_news_pay_strings(shared_real: Path, ingest_rules: Rules) -> None:
    path = shared_real / "hn-who-is-hiring" / "hn_who_is_hiring_2026-02.json"
    snap = ingest([path], date(2026, 2, 2), ingest_rules, now=NOW).snapshot
    pay = {
        r["posting_id"]: (r["salary_min"], r["salary_max"], r["currency"])
        for r in snap.filter(pl.col("salary_mid").is_not_null()).iter_rows(named=True)
    }
    # "$45-$70 USD per hour or 180-280 PLN per hour": the first currency, hourly
    assert pay["json:46866498"] == (45 * 2080, 70 * 2080, "USD")
    # "$150k–$250k USD / £90k–£130k GBP + equity": two currencies, the first one
    assert pay["json:46860563"] == (150_000, 250_000, "USD")
    assert pay["json:46859670"] == (125_000, 225_000, "USD")  # "$125-225k USD"
    assert pay["json:46857494"] == (115_000, 272_000, "USD")  # "$115k-$272k USD"


def test_reading_in_groups_changes_nothing(ingest_rules: Rules) -> None:
    """Files are read and normalized in groups (bounded memory); one group or one file per
    group give the same snapshot, rejects and counts."""
    data = Path(__file__).parent / "data"
    files = [
        data / "greenhouse_jobs.json",
        data / "lever_postings.json",
        data / "golden_titles.csv",
    ]
    one = ingest(files, date(2026, 11, 23), ingest_rules, now=NOW)
    each = ingest(files, date(2026, 11, 23), ingest_rules, now=NOW, group_bytes=1)
    assert each.snapshot.equals(one.snapshot) and each.rejects.equals(one.rejects)
    assert each.report == one.report
