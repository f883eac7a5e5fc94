"""Salary parsing: documented formats, period and currency handling, properties."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.config import parse_config
from newsletter.data.ingest import ingest, write
from newsletter.data.ingest.columns import RAW_SCHEMA
from newsletter.data.ingest.pay import MAX_ANNUAL, MIN_ANNUAL, parse_pay, place_currencies
from newsletter.data.ingest.report import IngestReport
from newsletter.data.ingest.rules import Rules
from newsletter.data.pipeline import build_signals
from newsletter.data.signals.models import DataHealth
from tests.conftest import NOW, REPO
from tests.ingest_support import normalized, raw


def pay(**fields: Any) -> dict[str, Any]:
    out = parse_pay(raw([fields]).lazy()).collect()
    return out.select("salary_min", "salary_max", "salary_mid", "currency", "pay_status").row(
        0, named=True
    )


def pay_many(texts: list[str | None]) -> pl.DataFrame:
    frame = pl.DataFrame({c: [None] * len(texts) for c in RAW_SCHEMA}, schema=RAW_SCHEMA)
    frame = frame.with_columns(salary=pl.Series(texts, dtype=pl.String))
    return parse_pay(frame.lazy()).collect()


@pytest.mark.parametrize(
    ("text", "lo", "hi", "currency"),
    [
        ("$120,000 - $150,000", 120_000, 150_000, "USD"),
        ("$120K-$150K", 120_000, 150_000, "USD"),
        ("120k–150k", 120_000, 150_000, "USD"),
        ("150000-180000 USD per year", 150_000, 180_000, "USD"),
        ("$55/hr", 55 * 2080, 55 * 2080, "USD"),
        ("$55 - $65 per hour", 55 * 2080, 65 * 2080, "USD"),
        ("$12,500/month", 150_000, 150_000, "USD"),
        ("$150,000", 150_000, 150_000, "USD"),
        ("100-150k", 100_000, 150_000, "USD"),
        ("$45.50 an hour", 45.5 * 2080, 45.5 * 2080, "USD"),
        ("between $100,000 and $120,000 a year", 100_000, 120_000, "USD"),
        ("$135,000 - $185,000 + equity", 135_000, 185_000, "USD"),
        ("$20K/month + up to 20% equity", 240_000, 240_000, "USD"),
        ("€55-72k", 55_000, 72_000, "EUR"),
        ("CA$90,000 - CA$110,000", 90_000, 110_000, "CAD"),
        ("£40 per hour", 40 * 1950, 40 * 1950, "GBP"),
        ("$2,000 per week", 104_000, 104_000, "USD"),
        ("$400/day", 104_000, 104_000, "USD"),
        ("$150,000 - $120,000", 120_000, 150_000, "USD"),
        ("€150.000 - €180.000", 150_000, 180_000, "EUR"),  # dots between thousands
        ("£55.000 per year", 55_000, 55_000, "GBP"),
        ("$12.500/month", 150_000, 150_000, "USD"),
        ("₹1.500.000", 1_500_000, 1_500_000, "INR"),
        ("$55.50/hr", 55.5 * 2080, 55.5 * 2080, "USD"),  # two decimals stay decimals
        # the Philippine peso: "PHP 80,000" was read as the language's version "PHP 80" and
        # stripped (no pay); the language's version is no amount, its name no currency
        ("PHP 80,000 per month", 960_000, 960_000, "PHP"),
        ("PHP 50k - 70k/month", 600_000, 840_000, "PHP"),
        ("PHP 60,000 - 90,000 monthly", 720_000, 1_080_000, "PHP"),
        ("₱80,000 monthly", 960_000, 960_000, "PHP"),
        ("PHP 8.1; $120k", 120_000, 120_000, "USD"),
        ("PHP developer, $120k", 120_000, 120_000, "USD"),
        ("$120k, PHP/Laravel", 120_000, 120_000, "USD"),
        # Latin American pesos named by their codes beside the $ they are written with: the
        # code (the bare $ was the US dollar: "$ 2.500.000 COP" was no pay, out of range)
        ("$ 2.500.000 COP mensuales", 30_000_000, 30_000_000, "COP"),
        ("COP 8.000.000 - 10.000.000 mensuales", 96_000_000, 120_000_000, "COP"),
        ("$2.000.000 CLP mensual", 24_000_000, 24_000_000, "CLP"),
        ("ARS 1.500.000 por mes", 18_000_000, 18_000_000, "ARS"),
        ("$ 80.000 UYU por mes", 960_000, 960_000, "UYU"),
        ("US$ 3.000 - 4.000 mensual", 36_000, 48_000, "USD"),
        # a "k" on the first amount only: the second's too (was 120 to 100,000: no pay)
        ("$100k-120", 100_000, 120_000, "USD"),
        ("$100K - 120", 100_000, 120_000, "USD"),
        ("€55k-72", 55_000, 72_000, "EUR"),
        ("$100k - 120k", 100_000, 120_000, "USD"),
        # Indonesian: the rupiah, "per bulan" (a month), "juta" (a million)
        ("Rp 8.000.000 - Rp 12.000.000 per bulan", 96_000_000, 144_000_000, "IDR"),
        ("IDR 15.000.000/bulan", 180_000_000, 180_000_000, "IDR"),
        ("Rp 10 juta - 15 juta per bulan", 120_000_000, 180_000_000, "IDR"),  # was hourly
        ("Rp10jt/bulan", 120_000_000, 120_000_000, "IDR"),
        ("Rp 180.000.000 per tahun", 180_000_000, 180_000_000, "IDR"),
        # Japanese: 円 the yen, 万 ten thousand, 〜 a range, 月給 monthly, 年収 yearly
        ("月給30万円", 3_600_000, 3_600_000, "JPY"),
        ("30万円/月", 3_600_000, 3_600_000, "JPY"),
        ("年収600万円〜900万円", 6_000_000, 9_000_000, "JPY"),
        ("600万円～900万円", 6_000_000, 9_000_000, "JPY"),
        ("時給2000円", 2000 * 2080, 2000 * 2080, "JPY"),
        ("6,000,000円", 6_000_000, 6_000_000, "JPY"),
    ],
)
def test_documented_formats(text: str, lo: float, hi: float, currency: str) -> None:
    got = pay(salary=text)
    assert got["pay_status"] == "ok"
    assert got["salary_min"] == pytest.approx(lo)
    assert got["salary_max"] == pytest.approx(hi)
    assert got["salary_mid"] == pytest.approx((lo + hi) / 2)
    assert got["currency"] == currency


@pytest.mark.parametrize(
    ("text", "lo", "hi", "currency"),
    [
        # real HN strings: a period word in another clause is no period of the pay (these were
        # read x12, x52 and x260: a monthly, weekly or daily pay)
        ("$80k–$120k USD base + monthly bonus", 80_000, 120_000, "USD"),
        ("$150,000 - $170,000 plus weekly team lunches", 150_000, 170_000, "USD"),
        ("$150k - $170k + daily catered meals", 150_000, 170_000, "USD"),
        ("$140k, daily standups, monthly offsites", 140_000, 140_000, "USD"),
        # the period word written right after the amount or range
        ("$50 per hour", 50 * 2080, 50 * 2080, "USD"),
        ("$4,000 a month", 48_000, 48_000, "USD"),
        ("80k/yr", 80_000, 80_000, "USD"),
        ("$6,000 monthly", 72_000, 72_000, "USD"),
        ("45 USD per hour", 45 * 2080, 45 * 2080, "USD"),
        ("€4,000 gross/month", 48_000, 48_000, "EUR"),
        ("€5.000 brutto/Monat", 60_000, 60_000, "EUR"),
        ("60-80 €/h", 60 * 2080, 80 * 2080, "EUR"),
        ("£400-£450/day (outside IR35)", 104_000, 117_000, "GBP"),
        ("£500 day rate", 130_000, 130_000, "GBP"),
        ("£2,500 pcm", 30_000, 30_000, "GBP"),
        ("£60k p.a.", 60_000, 60_000, "GBP"),
        ("$25 - $30 (hourly)", 25 * 2080, 30 * 2080, "USD"),
        ("$3,000 bi-weekly", 78_000, 78_000, "USD"),
        ("$2,000 every two weeks", 52_000, 52_000, "USD"),
        ("$120k base salary per year", 120_000, 120_000, "USD"),
        ("$90/hr - $120/hr", 90 * 2080, 120 * 2080, "USD"),  # after the first amount
        ("$60/hour or $120k/year", 60 * 2080, 60 * 2080, "USD"),  # the amount read's own
        # or a label right before it
        ("hourly rate $40-$60", 40 * 2080, 60 * 2080, "USD"),
        ("Salary (monthly): 4,000 - 5,000 EUR", 48_000, 60_000, "EUR"),
        ("Monthly gross salary: €4.500", 54_000, 54_000, "EUR"),
        ("per annum: £60,000", 60_000, 60_000, "GBP"),
    ],
)
def test_the_period_is_the_one_stated_with_the_amount(
    text: str, lo: float, hi: float, currency: str
) -> None:
    got = pay(salary=text)
    assert got["pay_status"] == "ok"
    assert (got["salary_min"], got["salary_max"]) == (pytest.approx(lo), pytest.approx(hi))
    assert got["currency"] == currency


#: Pay in the words of European postings -> its annual mid: each had no period (a monthly
#: 4,500 or an hourly 300 was dropped as implausible, a monthly 2,500 too).
EUROPEAN_PERIODS: dict[str, float] = {
    # German
    "€4.500 pro Monat": 54_000,
    "300 € pro Stunde": 300 * 2080,
    "30 €/Std.": 30 * 2080,
    "60.000 € jährlich": 60_000,
    "4.000 € brutto monatlich": 48_000,
    "60.000 - 70.000 € brutto pro Jahr": (60_000 + 70_000) / 2,
    # French
    "55 € par heure": 55 * 2080,
    "3 500 € par mois": 42_000,
    "45 000 € par an": 45_000,
    "45k€/an": 45_000,
    "4 000 € brut par mois": 48_000,
    "45 000 € brut annuel": 45_000,
    # Spanish, Portuguese
    "25 € por hora": 25 * 2080,
    "2.500 € por mes": 30_000,
    "30.000 € al año": 30_000,
    "R$ 8.000 por mês": 96_000,
    "R$ 90.000 por ano": 90_000,
    # Dutch
    "€35 per uur": 35 * 2080,
    "€4.000 bruto per maand": 48_000,
    "€60.000 per jaar": 60_000,
    # Polish and Nordic: each monthly amount was read as a year's (15,000-20,000 zł a year,
    # 45,000 kronor a year: a twelfth of the pay, kept, as these currencies have no floor)
    "PLN 15 000 - 20 000 brutto miesięcznie": 210_000,
    "15 000 - 20 000 zł/mies.": 210_000,
    "20 000 zł netto na miesiąc": 240_000,
    "180 000 zł rocznie": 180_000,
    "120 zł za godzinę": 120 * 2080,
    "45 000 kr per månad": 540_000,
    "45 000 kr/mån": 540_000,
    "SEK 45 000 i månaden": 540_000,
    "50.000 kr. pr. måned": 600_000,
    "60 000 kr/mnd": 720_000,
    "600 000 kr per år": 600_000,
    "250 kr/tim": 250 * 2080,
}


@pytest.mark.parametrize(
    ("text", "annual"),
    [("R$ 8 mil por mês", 96_000), ("30 mil euros al año", 30_000), ("R$ 90 mil por ano", 90_000)],
)
def test_mil_is_a_thousand(text: str, annual: float) -> None:
    """Spanish and Portuguese "mil" (a thousand): "R$ 8 mil" was 8 reais an hour."""
    got = pay(salary=text)
    assert (got["salary_mid"], got["pay_status"]) == (annual, "ok")


@pytest.mark.parametrize(("text", "annual"), EUROPEAN_PERIODS.items())
def test_period_words_of_european_postings(text: str, annual: float) -> None:
    got = pay(salary=text)
    assert (got["salary_mid"], got["pay_status"]) == (pytest.approx(annual), "ok")


#: Other languages' period words and labels that were no period (each monthly amount was
#: dropped as implausible), and their words for a range (each was read as its first amount).
EUROPEAN_WORDS: dict[str, tuple[float, float]] = {
    # periods after the amount, after a gross word, and in a label before it
    "3.500 € - 4.500 € brutos mensuales": (42_000, 54_000),
    "3.500 € brutos al mes": (42_000, 42_000),
    "3 500 € bruts par mois": (42_000, 42_000),
    "2.500 € lordi mensili": (30_000, 30_000),
    "2.500 € al mese": (30_000, 30_000),
    "R$ 8.000 mensais": (96_000, 96_000),
    "25 € de l'heure": (25 * 2080, 25 * 2080),
    "Salario mensual: 3.500 €": (42_000, 42_000),
    "Salaire mensuel : 3 500 €": (42_000, 42_000),
    "Stipendio mensile: 2.500 €": (30_000, 30_000),
    "Salário mensal: R$ 8.000": (96_000, 96_000),
    "Bruttomonatsgehalt: 4.500 €": (54_000, 54_000),
    "Maandsalaris: € 3.500": (42_000, 42_000),
    # ranges
    "Salaire : 45 000 € à 55 000 € par an": (45_000, 55_000),
    "65.000 bis 80.000 € jährlich": (65_000, 80_000),
    "30 bis 40 € pro Stunde": (30 * 2080, 40 * 2080),
    "€ 3.500 tot € 4.500 bruto per maand": (42_000, 54_000),
    "Salário de R$ 8.000 a R$ 12.000 por mês": (96_000, 144_000),
    "De 30.000 a 40.000 € brutos anuales": (30_000, 40_000),
    "RAL da 30.000 a 40.000 €": (30_000, 40_000),
    "de 30.000 hasta 40.000 €": (30_000, 40_000),
    "Gehalt zwischen 65.000 und 80.000 €": (65_000, 80_000),
    "entre 45 000 et 55 000 € par an": (45_000, 55_000),
    "entre 30k y 40k €": (30_000, 40_000),
    "Stipendio tra 30.000 e 40.000 €": (30_000, 40_000),
    "Salaris tussen € 3.500 en € 4.500 per maand": (42_000, 54_000),
    # an English "a" between small numbers is no range; nor a Spanish "y" outside "entre"
    "$50 a 10 hour shift": (50 * 2080, 50 * 2080),
    "$4,000 a month, a 2 week bonus": (48_000, 48_000),
    "Salario 40.000 € y bonus 5.000 €": (40_000, 40_000),
}


@pytest.mark.parametrize(("text", "expected"), EUROPEAN_WORDS.items())
def test_period_and_range_words_of_european_postings(
    text: str, expected: tuple[float, float]
) -> None:
    got = pay(salary=text)
    assert (got["salary_min"], got["salary_max"], got["pay_status"]) == (*expected, "ok")


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("€5.000 brutto", "out_of_range"),  # gross: no period by itself
        ("$65,000 an", "ok"),  # an English "an" is no French year: 65,000 a year by its size
        ("$5,000 pro rata", "out_of_range"),  # "pro" before no period word
    ],
)
def test_words_that_state_no_period(text: str, status: str) -> None:
    assert pay(salary=text)["pay_status"] == status


@pytest.mark.parametrize(
    ("period", "amount", "annual"),
    [("pro Monat", "4000", 48_000), ("par mois", "4000", 48_000), ("por hora", "30", 62_400),
     ("per maand", "4000", 48_000), ("jährlich", "60000", 60_000)],
)  # fmt: skip
def test_a_period_field_in_other_languages(period: str, amount: str, annual: float) -> None:
    """A period field is read as the words after an amount are (a monthly 4,000 was dropped)."""
    got = pay(salary_min=amount, salary_max=amount, currency="EUR", period=period)
    assert (got["salary_mid"], got["pay_status"]) == (annual, "ok")


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        # real HN strings: "L" is lakh (100,000); read as 40 and 35 an hour before
        ("₹40–60L + ESOPs (flexible)", 4_000_000, 6_000_000),
        ("35-100L INR", 3_500_000, 10_000_000),
        ("12-18 LPA", 1_200_000, 1_800_000),
        ("INR 8 lakhs", 800_000, 800_000),
        ("8-12 lacs", 800_000, 1_200_000),
        ("Rs. 15 lakh", 1_500_000, 1_500_000),
        ("1.2 Cr", 12_000_000, 12_000_000),  # crore: 10,000,000
        ("1-1.5 crore", 10_000_000, 15_000_000),
        ("₹12,00,000 - ₹18,00,000 per annum", 1_200_000, 1_800_000),  # Indian grouping
        ("₹1,20,00,000", 12_000_000, 12_000_000),
    ],
)
def test_lakh_and_crore_are_indian_amounts(text: str, lo: float, hi: float) -> None:
    got = pay(salary=text)
    assert got["pay_status"] == "ok" and got["currency"] == "INR"
    assert (got["salary_min"], got["salary_max"]) == (pytest.approx(lo), pytest.approx(hi))


@pytest.mark.parametrize(
    ("text", "lo", "hi", "currency"),
    [
        ("CHF 120'000 - 140'000", 120_000, 140_000, "CHF"),  # Swiss apostrophes
        ("CHF 120’000", 120_000, 120_000, "CHF"),  # was 120 an hour
        ("15 000 - 20 000 PLN", 15_000, 20_000, "PLN"),  # spaces
        ("60\u00a0000 € brut annuel", 60_000, 60_000, "EUR"),  # a no-break space
        ("1 200 000 INR", 1_200_000, 1_200_000, "INR"),
    ],
)
def test_apostrophes_and_spaces_between_thousands(
    text: str, lo: float, hi: float, currency: str
) -> None:
    got = pay(salary=text)
    assert (got["salary_min"], got["salary_max"], got["currency"]) == (lo, hi, currency)


def test_open_ended_ranges_keep_one_bound() -> None:
    up_to = pay(salary="up to $150k")
    assert (up_to["salary_min"], up_to["salary_max"], up_to["salary_mid"]) == (
        None,
        150_000,
        150_000,
    )
    from_ = pay(salary="from $90k")
    assert (from_["salary_min"], from_["salary_max"]) == (90_000, None)
    plus = pay(salary="$140k+")
    assert (plus["salary_min"], plus["salary_max"]) == (140_000, None)


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("bis zu 80.000 €", None, 80_000),
        ("Gehalt bis zu 80.000 € jährlich", None, 80_000),
        ("jusqu'à 55 000 €", None, 55_000),
        ("hasta 40.000 € brutos anuales", None, 40_000),
        ("fino a 40.000 €", None, 40_000),
        ("até R$ 12.000 por mês", None, 144_000),
        ("tot € 4.500 per maand", None, 54_000),
        ("ab 60.000 €", 60_000, None),
        ("à partir de 45 000 €", 45_000, None),
        ("a partir de R$ 8.000 por mês", 96_000, None),
        ("desde 30.000 €", 30_000, None),
        ("vanaf € 4.000 per maand", 48_000, None),
        ("mindestens 60.000 €", 60_000, None),
        ("total: 150k", 150_000, 150_000),  # "tot" of another word is no "up to"
        ("AB testing, $120k", 120_000, 120_000),  # nor "ab" away from the amount a "from"
    ],
)
def test_open_ended_amounts_in_other_languages_keep_one_bound(
    text: str, lo: float | None, hi: float | None
) -> None:
    """Each was read as the minimum and the maximum both."""
    got = pay(salary=text)
    assert (got["salary_min"], got["salary_max"], got["pay_status"]) == (lo, hi, "ok")


@pytest.mark.parametrize("text", ["Competitive", "DOE", "Salary based on experience", "TBD"])
def test_unparseable_text_keeps_no_pay_and_is_counted(text: str) -> None:
    got = pay(salary=text)
    assert got["pay_status"] == "unparsed"
    assert got["salary_mid"] is None and got["currency"] is None


@pytest.mark.parametrize("text", ["5-20% equity", "0.5% - 1% equity", "1 to 2.5% equity", "10 %"])
def test_a_percentage_or_a_range_of_them_is_no_amount(text: str) -> None:
    # the "5-" of "5-20%" was read as $5 an hour (10,400 a year)
    got = pay(salary=text)
    assert got["pay_status"] == "unparsed"
    assert got["salary_min"] is None and got["salary_max"] is None


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("$90K-$220K + 0.5-3% equity", 90_000, 220_000),
        ("$125k–$175k • 0.50%–1.50%", 125_000, 175_000),
        ("$120,000 - 20% bonus", 120_000, 120_000),  # the range starts at the 20
        ("$150k + 10-15% bonus", 150_000, 150_000),
    ],
)
def test_percentages_beside_an_amount_leave_it_whole(text: str, lo: float, hi: float) -> None:
    got = pay(salary=text)
    assert (got["pay_status"], got["salary_min"], got["salary_max"]) == ("ok", lo, hi)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("401k match", ("unparsed", None)),  # was $401,000 a year
        ("Competitive + 401(k)", ("unparsed", None)),
        ("5+ years experience", ("unparsed", None)),  # was $5 an hour
        ("3 years experience, $120k", ("ok", 120_000)),
        ("3.5 years of experience", ("unparsed", None)),  # was $3.50 an hour, out of range
        ("3.5 years experience, $120k", ("ok", 120_000)),  # the salary was lost
        ("2-5 years experience, $120k", ("ok", 120_000)),  # was $2 an hour, out of range
        ("2 to 5 years experience, $120k", ("ok", 120_000)),
        # other languages' durations: each was an hourly amount beside the salary
        ("5 Jahre Erfahrung, 65.000 €", ("ok", 65_000)),  # was 5 € an hour
        ("30 Tage Urlaub, 60.000 €", ("ok", 60_000)),  # was 30 € an hour
        ("3 años de experiencia, 30.000 € brutos anuales", ("ok", 30_000)),
        ("entre 2 et 5 ans d'expérience, 45 000 € par an", ("ok", 45_000)),
        ("35 heures, 3 500 € par mois", ("ok", 42_000)),
        ("40 Stunden/Woche, 4.500 € brutto monatlich", ("ok", 54_000)),
        ("5+ anni di esperienza, RAL 35.000 €", ("ok", 35_000)),
        ("€60.000 per jaar", ("ok", 60_000)),  # a period word is no duration
        # a version is no amount: each was an hourly amount, or hid the salary beside it
        ("Node 18.04; €65.000", ("ok", 65_000)),  # was 18.04 € an hour
        ("Python 3.11, $120k", ("ok", 120_000)),
        ("Java 17, 60.000 €", ("ok", 60_000)),
        ("Spark 3.5.1 / $140k", ("ok", 140_000)),
        ("Python 3.11", ("unparsed", None)),
        ("1.500.000 €", ("ok", 1_500_000)),  # thousands grouped by dots, no version
        ("25 days holiday, £50k", ("ok", 50_000)),  # was 25 a day
        ("40 hrs/week, $50/h", ("ok", 50 * 2080)),  # was 40 an hour
        ("$2,000 every 2 weeks", ("ok", 52_000)),
        # an amount that looks like a plan is still an amount with its currency sign
        ("$380k – $457k", ("ok", 380_000)),
        ("$401K base", ("ok", 401_000)),
        ("$3,000/mths", ("ok", 36_000)),
        ("$900/wks", ("ok", 900 * 52)),
    ],
)
def test_a_retirement_plan_or_a_duration_is_no_amount(
    text: str, expected: tuple[str, float | None]
) -> None:
    got = pay(salary=text)
    assert (got["pay_status"], got["salary_min"]) == expected


#: Pay text naming a company's money (funding, valuation, revenue) -> the pay status and
#: minimum read: each was implausible pay (or $1.5M a year), or hid the salary beside it.
COMPANY_MONEY: dict[str, tuple[str, float | None]] = {
    "$5M seed funding raised": ("unparsed", None),  # a real HN post's: no pay, not implausible
    "$20M in Series A": ("unparsed", None),
    "$1.5 million raised": ("unparsed", None),  # was $1,500,000 a year
    "$3M revenue": ("unparsed", None),
    "$10M ARR, $140k base": ("ok", 140_000),
    "$5m round; salary 90k": ("ok", 90_000),
    "€3M funding, €60-80k": ("ok", 60_000),
    # the word of funding, valuation or revenue before the amount, or a "+" after it
    "raised $5M": ("unparsed", None),  # was out of range
    "We've raised $120 million in Series B": ("unparsed", None),
    "backed by $30M in funding": ("unparsed", None),
    "ARR of $10M": ("unparsed", None),  # was out of range
    "valued at $2.5B": ("unparsed", None),
    "raised $5M, $150k": ("ok", 150_000),  # the salary was lost (out of range)
    "raised over $22 million; $150k base": ("ok", 150_000),
    "ARR of $10M; €90k": ("ok", 90_000),
    "$100M+ ARR, $140k base": ("ok", 140_000),
    "secured £4m from investors, £70-80k": ("ok", 70_000),
    # other languages' millions and words of funding: each company's money was an amount
    # (5 € an hour, beside the salary)
    "5 Mio. € Finanzierung, 65.000 €": ("ok", 65_000),
    "Serie A: 20 Mio. €; Gehalt 65.000 €": ("ok", 65_000),
    "levée de fonds de 5 M€, 45 000 € par an": ("ok", 45_000),
    "5 millones de euros de financiación, 30.000 €": ("ok", 30_000),
    "raccolto 10 milioni di euro, RAL 35.000 €": ("ok", 35_000),
    "5 miljoen euro opgehaald, € 60.000 per jaar": ("ok", 60_000),
    "5 Mio. €": ("out_of_range", None),  # millions, not 5 € an hour
    "raised $150 mil, $140k base": ("ok", 140_000),  # was $150 an hour, 312,000 a year
    # millions that are no company's money stay as they were
    "$1M OTE": ("ok", 1_000_000),
    "$5M": ("out_of_range", None),
}


@pytest.mark.parametrize(("text", "expected"), COMPANY_MONEY.items())
def test_a_companys_funding_valuation_or_revenue_is_no_pay(
    text: str, expected: tuple[str, float | None]
) -> None:
    got = pay(salary=text)
    assert (got["pay_status"], got["salary_min"]) == expected


@pytest.mark.parametrize("text", ["$1", "$5,000", "$3,000,000 - $4,000,000", "$50k - $900k"])
def test_implausible_values_are_dropped_and_counted(text: str) -> None:
    got = pay(salary=text)
    assert got["pay_status"] == "out_of_range"
    assert got["salary_mid"] is None


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"salary": "¥1,000,000,000,000 per year"}, "out_of_range"),
        ({"salary_min": "1e12", "salary_max": "2e12", "currency": "JPY"}, "out_of_range"),
        ({"salary": "₹50 crore"}, "out_of_range"),  # 500,000,000 rupees: ~$6M a year
        ({"salary": "¥8,000,000 - ¥12,000,000"}, "ok"),  # a Tokyo engineer's range
        ({"salary": "₹3,00,000 per annum"}, "ok"),  # ~$3,500: no floor outside the range
        ({"salary": "R 25,000 per month"}, "ok"),  # rand
        # a currency we know no rate of: the ceiling of the weakest in use (was none: 1e12 kept)
        ({"salary_min": "1e12", "currency": "TWD"}, "out_of_range"),
        ({"salary_min": "9e12", "currency": "XAF"}, "out_of_range"),
        ({"salary": "1,000,000,000,000 per year", "currency": "VND"}, "out_of_range"),
        ({"salary_min": "1500000", "salary_max": "2500000", "currency": "TWD"}, "ok"),
        ({"salary_min": "30000000", "currency": "XAF"}, "ok"),  # ~$50k
        ({"salary": "600,000,000 per year", "currency": "VND"}, "ok"),  # ~$23k
        ({"salary": "500 per month", "currency": "XAF"}, "ok"),  # no floor
    ],
)
def test_other_currencies_have_a_ceiling_but_no_floor(fields: dict[str, str], status: str) -> None:
    got = pay(**fields)
    assert got["pay_status"] == status, got
    assert (got["salary_mid"] is None) is (status != "ok")


def test_structured_fields_win_over_text() -> None:
    got = pay(salary="see posting", salary_min="100000", salary_max="$140,000", currency="usd")
    assert (got["salary_min"], got["salary_max"], got["currency"]) == (100_000, 140_000, "USD")
    hourly = pay(salary_min="50", salary_max="60", period="hourly")
    assert hourly["salary_max"] == 60 * 2080
    assert pay(salary_hourly="52.5", period="hour")["salary_mid"] == 52.5 * 2080
    assert pay(salary_yearly="128050")["salary_mid"] == 128_050


@pytest.mark.parametrize(
    ("period", "amount", "annual"),
    [("per month", 12_000, 144_000), ("Per Annum", 90_000, 90_000), ("per week", 2_500, 130_000),
     ("per day", 400, 104_000), ("/hr", 50, 104_000), ("p.a.", 90_000, 90_000),
     ("hourly rate", 50, 104_000)],
)  # fmt: skip
def test_a_period_field_in_words_is_read_as_one(period: str, amount: int, annual: int) -> None:
    # "per month" was no period: 12,000 a month was taken for 12,000 a year
    got = pay(salary_min=str(amount), period=period)
    assert (got["salary_min"], got["pay_status"]) == (annual, "ok")


@pytest.mark.parametrize(
    ("field", "code"),
    [("$", "USD"), ("US$", "USD"), ("€", "EUR"), ("£", "GBP"), ("C$", "CAD"), ("Euro", "EUR"),
     (" usd ", "USD"), ("twd", "TWD"), ("US Dollar", "USD"), ("N/A", "USD")],
)  # fmt: skip
def test_a_currency_field_is_read_as_a_code(field: str, code: str) -> None:
    got = pay(salary_min="90000", salary_max="120000", period="year", currency=field)
    assert (got["salary_min"], got["currency"]) == (90_000, code)


def test_a_currency_sign_never_lets_an_absurd_amount_through() -> None:
    # "$" read verbatim was no code of the annual range's: 1e12 a year was kept as pay
    got = pay(salary_min="1000000000000", salary_max="2000000000000", currency="$")
    assert got["pay_status"] == "out_of_range" and got["salary_mid"] is None


@pytest.mark.parametrize(
    "text", ['{"minValue": 100000, "maxValue": 150000}', '[{"min": 90000, "max": 120000}]']
)
def test_pay_text_that_is_json_is_not_read_as_an_amount(text: str) -> None:
    # a pay object whose fields no column name knows: its first number was the pay
    got = pay(salary=text)
    assert (got["pay_status"], got["salary_min"], got["salary_max"]) == ("unparsed", None, None)


def test_no_pay_at_all_is_none_not_unparsed() -> None:
    assert pay()["pay_status"] == "none"


def test_pay_range_found_in_description_when_no_salary_field() -> None:
    got = pay(description="Great team. The base pay range is $150,000 - $190,000 per year.")
    assert (got["salary_min"], got["salary_max"]) == (150_000, 190_000)
    assert pay(description="We raised $5 - $10 million last year.")["pay_status"] == "none"


def test_other_currencies_keep_their_currency() -> None:
    got = pay(salary="₹25 LPA")
    assert got["currency"] == "INR" and got["salary_mid"] == 2_500_000
    assert pay(salary="SEK 600,000 per year")["currency"] == "SEK"


@pytest.mark.parametrize(
    ("text", "annual", "currency"),
    [
        ("NT$1,200,000", 1_200_000, "TWD"),
        ("NT$ 60,000 - 80,000 per month", 840_000, "TWD"),
        ("MX$40,000 al mes", 480_000, "MXN"),
        ("RD$ 80,000 mensual", 960_000, "DOP"),
        ("J$3,000,000 per annum", 3_000_000, "JMD"),
        ("TT$15,000 per month", 180_000, "TTD"),
        # unchanged: the dollars named before, and the US one
        ("US$120,000", 120_000, "USD"),
        ("HK$40,000/month", 480_000, "HKD"),
        ("R$ 8.000 por mês", 96_000, "BRL"),
    ],
)
def test_a_dollar_sign_with_a_countrys_prefix_is_that_countrys(
    text: str, annual: float, currency: str
) -> None:
    """Taiwan's "NT$1,200,000" is 1.2 million Taiwan dollars, about 37,000 US dollars: read as a
    bare $, it was 1.2 million US dollars a year, inside the annual range, kept."""
    got = pay(salary=text)
    assert (got["salary_mid"], got["currency"], got["pay_status"]) == (annual, currency, "ok")


_FORMATS = (
    lambda lo, hi: f"${lo:,} - ${hi:,}",
    lambda lo, hi: f"${lo // 1000}K-${hi // 1000}K",
    lambda lo, hi: f"{lo // 1000}k–{hi // 1000}k",
    lambda lo, hi: f"{lo}-{hi} USD per year",
    lambda lo, hi: f"{lo:,} to {hi:,} a year",
)


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("453k–457k", (453_000, 457_000)),  # a bare 457k ends a range: an amount
        ("380k to 401k", (380_000, 401_000)),
        ("401k-450k", (401_000, 450_000)),
        ("$453K – 457K", (453_000, 457_000)),
        ("403k–403k", (403_000, 403_000)),
        ("457k–1000k", (457_000, 1_000_000)),  # hypothesis: a four-digit end is one too
        ("$150,000 - $180,000 plus 401k match", (150_000, 180_000)),  # the plan, no amount
        ("150k-180k, 401(k) and 403b", (150_000, 180_000)),
        ("$401k match, $120k", (120_000, 120_000)),  # a plan with a dollar sign: was $401,000
        ("$150k + $401K matching", (150_000, 150_000)),
        ("$130k-$150k, $403(b) plan", (130_000, 150_000)),
    ],
)
def test_a_plan_number_in_a_range_of_thousands_is_an_amount(
    text: str, band: tuple[int, int]
) -> None:
    got = pay(salary=text)
    assert (got["salary_min"], got["salary_max"]) == band


def test_a_plan_alone_is_no_pay() -> None:
    assert pay(salary="401k match")["pay_status"] == "unparsed"
    assert pay(salary="benefits: 401k - 403b")["pay_status"] == "unparsed"
    assert pay(salary="$401k match")["pay_status"] == "unparsed"


@settings(max_examples=60, deadline=None)
@given(
    lo_k=st.integers(min_value=20, max_value=800),
    spread_pct=st.integers(min_value=0, max_value=150),
    fmt=st.sampled_from(range(len(_FORMATS))),
)
def test_annual_ranges_round_trip(lo_k: int, spread_pct: int, fmt: int) -> None:
    lo, hi = lo_k * 1000, lo_k * (100 + spread_pct) // 100 * 1000
    got = pay(salary=_FORMATS[fmt](lo, hi))
    assert got["pay_status"] == "ok"
    assert (got["salary_min"], got["salary_max"]) == (lo, hi)
    assert got["salary_min"] <= got["salary_mid"] <= got["salary_max"]


@settings(max_examples=40, deadline=None)
@given(rate=st.integers(min_value=8, max_value=299), hi_add=st.integers(min_value=0, max_value=50))
def test_hourly_ranges_annualise_by_2080(rate: int, hi_add: int) -> None:
    got = pay(salary=f"${rate} - ${rate + hi_add} per hour")
    if rate * 2080 < MIN_ANNUAL:
        assert got["pay_status"] == "out_of_range"
    else:
        assert (got["salary_min"], got["salary_max"]) == (rate * 2080, (rate + hi_add) * 2080)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), min_size=1, max_size=8))
def test_any_text_gives_valid_pay_or_none(texts: list[str | None]) -> None:
    out = pay_many(texts)
    assert out.height == len(texts)
    assert set(out["pay_status"].to_list()) <= {"none", "ok", "unparsed", "out_of_range"}
    ok = out.filter(pl.col("pay_status") == "ok")
    usd = ok.filter(pl.col("currency") == "USD")
    assert usd["salary_mid"].is_between(MIN_ANNUAL, MAX_ANNUAL).all()
    both = ok.filter(pl.col("salary_min").is_not_null() & pl.col("salary_max").is_not_null())
    assert (both["salary_min"] <= both["salary_max"]).all()
    bad = out.filter(pl.col("pay_status") != "ok")
    assert bad["salary_mid"].null_count() == bad.height


def test_real_hacker_news_compensation_strings(shared_real: Path) -> None:
    """105 real free-text compensation strings: none crash; the clear ones parse right."""
    data = json.loads(
        (shared_real / "hn-who-is-hiring" / "hn_who_is_hiring_2026-02.json").read_text()
    )
    texts = [d["compensation"] for d in data if d.get("compensation")]
    out = pay_many(texts).with_columns(text=pl.Series(texts))
    assert out.height == len(texts) >= 100
    parsed = out.filter(pl.col("pay_status") == "ok")
    assert parsed.height / out.height > 0.6
    by_text = {r["text"]: r for r in out.iter_rows(named=True)}
    assert by_text["$135,000 - $185,000 + equity"]["salary_mid"] == 160_000
    # five posts give an amount per role: none is the post's pay
    several = out.filter(pl.col("pay_status") == "several_roles")["text"].to_list()
    assert len(several) == 5
    assert (
        "Director of Engineering: $225k, Engineering Manager: $195k, Senior Engineer: $170k"
        in several
    )


@pytest.mark.parametrize("text", ["-5", "$-50,000", "USD -120000", "-$80k"])
def test_a_negative_amount_is_no_pay(text: str) -> None:
    got = pay(salary=text)
    assert got["pay_status"] == "unparsed"
    assert got["salary_min"] is None and got["salary_max"] is None


def test_a_dash_before_an_amount_is_no_minus_sign() -> None:
    got = pay(salary="DOE - $120k")
    assert (got["pay_status"], got["salary_min"]) == ("ok", 120_000)


def test_a_one_time_payment_is_no_salary() -> None:
    # Lever's salaryRange interval "one-time" (a bonus, a stipend): never read as a year's pay
    got = pay(salary_min="60000", salary_max="80000", currency="GBP", period="one-time")
    assert got["salary_min"] is None and got["pay_status"] != "ok"
    yearly = pay(salary_min="60000", salary_max="80000", currency="GBP", period="per-year-salary")
    assert (yearly["salary_min"], yearly["pay_status"]) == (60_000, "ok")


def test_the_upper_end_of_a_range_ending_in_457k_is_kept() -> None:
    got = pay(salary="$380k – $457k")
    assert (got["salary_min"], got["salary_max"]) == (380_000, 457_000)


# ---- the currency of pay that names none: the posting's place decides --------------------


@pytest.mark.parametrize(
    ("salary", "location", "country", "currency"),
    [
        # a bare $ is the local dollar where the country pays in one
        ("$100,000 - $120,000", "Toronto, ON", None, "CAD"),
        ("$100,000 - $120,000", "Sydney, Australia", None, "AUD"),
        ("$100,000 - $120,000", "Remote", "Canada", "CAD"),
        ("$9,000/month", "Singapore", None, "SGD"),
        # ...and the US dollar elsewhere, or where it is named
        ("$100,000 - $120,000", "Berlin, Germany", None, "USD"),
        ("$100,000 - $120,000", "Austin, TX", None, "USD"),
        ("US$100,000 - US$120,000", "Toronto, ON", None, "USD"),
        ("$100,000 - $120,000 USD", "Vancouver, BC, Canada", None, "USD"),
        ("$100,000 - $120,000", "Remote", None, "USD"),
        # no currency named at all: the country's
        ("50-60k", "Berlin, Germany", None, "EUR"),
        ("4.500 brutto/Monat", "München, Germany", None, "EUR"),
        ("100,000 - 120,000", "Paris, France", None, "EUR"),
        ("45,000 - 55,000 per annum", "London, UK", None, "GBP"),
        ("1,200,000", "Bangalore, India", None, "INR"),
        ("100,000 - 120,000", "Toronto, ON", None, "CAD"),
        ("100,000 - 120,000", "New York, NY", None, "USD"),
        ("100,000 - 120,000", None, None, "USD"),
        # a named currency wins over the place
        ("£50,000", "Berlin, Germany", None, "GBP"),
        ("€60,000", "London, UK", None, "EUR"),
    ],
)
def test_pay_that_names_no_currency_is_in_the_currency_of_its_place(
    ingest_rules: Rules, salary: str, location: str | None, country: str | None, currency: str
) -> None:
    out = normalized(
        ingest_rules,
        [{"title": "ML Engineer", "salary": salary, "location": location, "country": country}],
    )
    assert out.select("currency", "pay_status").row(0) == (currency, "ok")


def test_a_currency_field_of_a_bare_dollar_sign_is_the_local_dollar(ingest_rules: Rules) -> None:
    rows = [
        {"title": "ML Engineer", "salary_min": "100000", "salary_max": "120000",
         "currency": "$", "location": location}
        for location in ("Toronto, ON", "Seattle, WA")
    ]  # fmt: skip
    assert normalized(ingest_rules, rows)["currency"].to_list() == ["CAD", "USD"]


def test_structured_pay_without_a_currency_stays_us_dollars_wherever_the_posting_is(
    ingest_rules: Rules,
) -> None:
    """An aggregator's numbers (lukebarousse's salary_year_avg: US dollars for postings in
    every country) name no currency: the place does not make them euros."""
    out = normalized(
        ingest_rules,
        [{"title": "Data Analyst", "salary_yearly": "90000", "location": "Berlin, Germany"}],
    )
    assert out.select("salary_mid", "currency").row(0) == (90_000.0, "USD")


ADZUNA = "https://www.adzuna.{}/details/4512345678?utm_medium=api&utm_source=x"


@pytest.mark.parametrize(
    ("domain", "location", "currency", "source"),
    [
        ("co.uk", "London", "GBP", "site"),
        ("co.uk", "Shoreditch, East London", "GBP", "site"),  # no place resolved
        ("co.uk", "Perth, Perth and Kinross", "GBP", "site"),  # not Perth, Australia
        ("de", "Mitte, Berlin", "EUR", "site"),
        ("fr", "Paris, Ile-de-France", "EUR", "site"),
        ("com.au", "Sydney, Sydney Region", "AUD", "site"),
        ("ca", "Toronto, Ontario", "CAD", "site"),
        ("in", "Bangalore, Karnataka", "INR", "site"),
        ("ch", "Zürich", "CHF", "site"),
        ("pl", "Warszawa, mazowieckie", "PLN", "site"),
        ("com", "Austin, Travis County", "USD", "site"),
        # a site that is no known country's: the posting's own country, else no pay
        ("xyz", "Berlin, Germany", "EUR", "place"),
        ("xyz", "Kleinstadt", None, None),
    ],
)
def test_an_adzuna_country_sites_pay_fields_are_in_its_countrys_currency(
    ingest_rules: Rules, domain: str, location: str, currency: str | None, source: str | None
) -> None:
    """Adzuna's pay fields (``salary_min``, ``salary_max``) name no currency: each country
    site's are in its country's (adzuna.co.uk: pounds), and never assumed US dollars (every
    Adzuna posting's were); where the site's country is unknown, the posting's, else no pay
    (a currency unknown is better than a wrong one)."""
    row = {"title": "Data Engineer", "salary_min": "45000", "salary_max": "55000",
           "location": location, "url": ADZUNA.format(domain)}  # fmt: skip
    out = normalized(ingest_rules, [row])
    expected = (currency, source, "ok" if currency else "unparsed")
    assert out.select("currency", "currency_source", "pay_status").row(0) == expected
    assert out["salary_min"].item() == (45_000.0 if currency else None)


def test_pay_fields_of_an_adzuna_site_keep_a_currency_they_name() -> None:
    """A currency field, or text naming one, still decides; and without the countries'
    currencies (parse_pay alone) an Adzuna site's pay naming none has no currency: no pay."""
    uk, de, other = ADZUNA.format("co.uk"), ADZUNA.format("de"), "https://example.co.uk/adzuna/1"
    rows = [
        {"salary_min": "60000", "salary_max": "70000", "currency": "EUR", "url": uk},
        {"salary": "£45,000 - £55,000", "url": de},
        {"salary_min": "45000", "salary_max": "55000", "url": uk},
        {"salary_min": "45000", "salary_max": "55000", "url": other},
    ]
    out = parse_pay(raw(rows).lazy()).collect()
    assert out.select("currency", "pay_status").rows() == [
        ("EUR", "ok"), ("GBP", "ok"), (None, "unparsed"), ("USD", "ok"),
    ]  # fmt: skip


def test_pay_per_location_reads_each_range_in_the_currency_of_the_posting(
    ingest_rules: Rules,
) -> None:
    text = "Toronto: $120,000 - $140,000\nVancouver: $110,000 - $130,000"
    out = normalized(
        ingest_rules,
        [{"title": "ML Engineer", "salary": text, "location": "Toronto, ON"}],
    )
    assert out.select("salary_min", "salary_max", "currency").row(0) == (
        120_000.0, 140_000.0, "CAD",
    )  # fmt: skip


def test_place_currencies_follow_the_week(ingest_rules: Rules) -> None:
    """Croatia paid in kuna until 2023; a week of 2022 reads its unnamed pay as kuna."""
    codes = [c.code for c in ingest_rules.countries.countries]
    assert place_currencies(codes, date(2022, 6, 6))["HR"] == "HRK"
    now = place_currencies(codes, date(2026, 11, 23))
    assert (now["HR"], now["DE"], now["CA"], now["US"]) == ("EUR", "EUR", "CAD", "USD")
    # two tenders (balboa and US dollar): the one pay is read in
    assert place_currencies(["PA"], date(2026, 11, 23)) == {"PA": "USD"}


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        # a base and a total (equity, bonus) joined by a dash are no range: the base is pay
        ("$200k Salary – $400k Total Compensation", 200_000, 200_000),
        ("$200k base - $300k TC", 200_000, 200_000),
        ("$180k base salary - $260k on-target", 180_000, 180_000),
        # a range of on-target earnings, or a base range, stays a range
        ("$150k - $200k OTE", 150_000, 200_000),
        ("$120k base salary - $150k", 120_000, 150_000),
        ("Base salary: $180k - $250k, plus equity", 180_000, 250_000),
    ],
)
def test_a_base_and_a_total_compensation_are_no_range(text: str, lo: float, hi: float) -> None:
    got = pay(salary=text)
    assert (got["salary_min"], got["salary_max"], got["pay_status"]) == (lo, hi, "ok")


# ---- amounts for several roles: none is the posting's pay ---------------------------------

SEVERAL_ROLES = [
    "Director of Engineering: $225k, Engineering Manager: $195k, Senior Engineer: $170k",
    "$200k+ base + equity (AI Engineer), $50k–$75k base (Videographer)",
    "$170-225k + equity (Senior Backend Engineer), $120-350k OTE + equity (Account Exec)",
    "Lead Product Designer: £110k+ + equity; Senior Full-Stack Engineer: £75k-£110k+ + equity",
    "Fullstack Engineer: $120k-$140k + equity; Senior Data Operations Analyst: $100k-$110k",
    "Engineers: $150k-$180k; Designers: $120k-$140k",
]


@pytest.mark.parametrize("text", SEVERAL_ROLES)
def test_amounts_for_several_roles_are_no_pay_and_are_counted(text: str) -> None:
    """Hacker News posts list a post's roles with an amount each; the first amount (or the
    range of one role, or the span of all) was read as the post's pay."""
    assert pay(salary=text) == {
        "salary_min": None, "salary_max": None, "salary_mid": None, "currency": None,
        "pay_status": "several_roles",
    }  # fmt: skip


def test_ranges_for_several_roles_in_a_description_are_no_pay() -> None:
    text = (
        "We are hiring two roles.\nSoftware Engineer: $150,000 - $180,000\n"
        "Product Designer: $130,000 - $160,000\n"
    )
    got = pay(description=text)
    assert (got["salary_mid"], got["pay_status"]) == (None, "several_roles")


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("Senior Engineer: $150k-$180k", 150_000, 180_000),  # one role
        # levels of one role, or places: the per-location rule's span, as before
        ("Senior Engineer: $150k-$180k; Staff Engineer: $180k-$220k", 150_000, 220_000),
        ("Engineers in NYC: $150k-$180k; Engineers in SF: $160k-$190k", 150_000, 190_000),
        # one role named (the OTE of sales, left out), the others places
        ("$200k–$400k base (SF Forward Deployed), £150k–£300k base (London Forward "
         "Deployed/Platform), OTE $280k–$400k (Sales)", 200_000, 400_000),
        # remarks that name no role
        ("$120k-$250k base salary + Equity (varies by role)", 120_000, 250_000),
        ("$150k – $175K (Salary + Equity)", 150_000, 175_000),
        ("$150k-$250k + equity (SF; location-adjusted)", 150_000, 250_000),
    ],
)  # fmt: skip
def test_one_role_its_levels_or_its_places_keep_their_pay(text: str, lo: float, hi: float) -> None:
    got = pay(salary=text)
    assert (got["salary_min"], got["salary_max"], got["pay_status"]) == (lo, hi, "ok")


def _week(tmp_path: Path, rules: Rules, titles: list[str], salaries: list[str]) -> tuple[
    Path, IngestReport, DataHealth
]:  # fmt: skip
    """Postings of Acme (``titles``, ``salaries``) written to a CSV and ingested as a week:
    the file, the ingest report and the week's signals' data health."""
    path = tmp_path / "postings.csv"
    frame = {"title": titles, "company": ["Acme"] * len(titles), "salary": salaries}
    pl.DataFrame(frame).write_csv(path)
    result = ingest([path], date(2026, 11, 23), rules, now=NOW)
    write(result, tmp_path / "snapshots", date(2026, 11, 23))
    config = parse_config({"data": {"snapshots_dir": str(tmp_path / "snapshots")}})
    return path, result.report, build_signals(config, date(2026, 11, 23)).data_health


def test_the_report_counts_pay_for_several_roles(tmp_path: Path, ingest_rules: Rules) -> None:
    titles = ["Engineering Manager; Senior Engineer", "Senior Engineer"]
    _, report, health = _week(tmp_path, ingest_rules, titles, [SEVERAL_ROLES[0], "$150k-$180k"])
    assert (report.with_pay, report.salary_several_roles, report.salary_unparsed) == (1, 1, 0)
    # ... and the week's signals say so in their data health, beside the pay not understood
    assert (health.ingest_salary_several_roles, health.ingest_salary_unparsed) == (1, 0)


# ---- a site's estimate is no posted pay ---------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"salary": "$53K-$91K (Glassdoor est.)"},
        {"salary": "$17-$24 Per Hour(Glassdoor est.)"},
        {"salary": "Estimated salary: $90,000 - $110,000"},
        {"salary": "$120k-$150k (estimate)"},
        {"salary": "Predicted salary $95,000"},
        {"salary_min": "98765.43", "salary_max": "98765.43", "salary_predicted": "1"},
        {"salary_min": "98765.43", "salary_max": "98765.43", "salary_predicted": "true"},
        {"salary_min": "98765.43", "salary_max": "98765.43", "salary_predicted": " True "},
    ],
)
def test_a_sites_estimate_is_no_pay(fields: dict[str, str]) -> None:
    """Glassdoor's "(Glassdoor est.)", an "estimated" or "predicted" salary and Adzuna's
    ``salary_is_predicted`` are the site's guess, not the employer's pay (each was read as
    the posting's): no pay, status ``estimated``."""
    got = pay(**fields)
    assert (got["salary_mid"], got["currency"], got["pay_status"]) == (None, None, "estimated")


@pytest.mark.parametrize(
    ("fields", "lo", "hi"),
    [
        ({"salary": "Employer Provided Salary:$80K-$100K"}, 80_000, 100_000),
        ({"salary": "$80K - $100K (Employer est.)"}, 80_000, 100_000),  # the employer's range
        ({"salary": "$50/hr, 9am-5pm EST."}, 50 * 2080, 50 * 2080),  # a time zone
        ({"salary": "$120,000 - $140,000 (interest-free loan)"}, 120_000, 140_000),
        ({"salary_min": "98765.43", "salary_max": "98765.43", "salary_predicted": "0"},
         98_765.43, 98_765.43),
        ({"salary_min": "90000", "salary_max": "90000", "salary_predicted": "false"},
         90_000, 90_000),
        # only the pay text is read for the marker, never the rest of a description
        ({"description": "Estimated start date: January. Pay: $120,000 - $140,000 a year. "
          "Predicted growth of 20%."}, 120_000, 140_000),
    ],
)  # fmt: skip
def test_the_employers_pay_is_no_estimate(fields: dict[str, str], lo: float, hi: float) -> None:
    got = pay(**fields)
    assert (got["salary_min"], got["salary_max"], got["pay_status"]) == (lo, hi, "ok")


def test_ranges_of_an_estimate_are_no_pay_either() -> None:
    """Several ranges in an estimate's text (the per-location rule's) are no pay either."""
    got = pay(salary="NYC: $90K-$120K, Austin: $80K-$100K (Glassdoor est.)", location="Austin")
    assert (got["salary_mid"], got["pay_status"]) == (None, "estimated")


def test_the_report_the_table_and_the_signals_count_estimated_pay(
    tmp_path: Path, ingest_rules: Rules, runner: CliRunner
) -> None:
    titles = ["Data Scientist", "Data Analyst", "Data Engineer"]
    salaries = ["$53K-$91K (Glassdoor est.)", "$150k-$180k", "Salary based on experience"]
    path, report, health = _week(tmp_path, ingest_rules, titles, salaries)
    assert (report.with_pay, report.salary_estimated, report.salary_unparsed) == (1, 1, 1)
    assert (health.ingest_salary_estimated, health.ingest_salary_unparsed) == (1, 1)
    # ... and the ingest table shows it, apart from the pay not understood
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[data]\nsnapshots_dir = "snaps"\nrules_dir = "{REPO / "rules"}"\n')
    argv = ["--config", str(cfg), "ingest", str(path), "--week", "2026-11-23"]
    table = runner.invoke(app, argv)
    assert table.exit_code == 0, table.output
    assert "pay estimated by the site, not taken" in table.output


# ---- structured amounts with a decimal comma ---------------------------------------------


@pytest.mark.parametrize(
    ("fields", "lo", "hi"),
    [
        ({"salary_hourly": "32,5"}, 32.5 * 2080, 32.5 * 2080),
        ({"salary_yearly": "94754,5"}, 94_754.5, 94_754.5),
        ({"salary_hourly": "30,7600002288818"}, 30.7600002288818 * 2080, 30.7600002288818 * 2080),
        ({"salary_min": "55 000,00", "salary_max": "65000,00", "currency": "EUR"}, 55e3, 65e3),
        ({"salary_min": "1.234,50", "salary_max": "1.500,00", "period": "month",
          "currency": "EUR"}, 1_234.5 * 12, 1_500 * 12),
        # a comma before three digits still groups thousands
        ({"salary_yearly": "120,000"}, 120_000, 120_000),
    ],
)  # fmt: skip
def test_a_decimal_comma_in_a_pay_field_is_a_decimal_mark(
    fields: dict[str, str], lo: float, hi: float
) -> None:
    got = pay(**fields)
    assert (got["salary_min"], got["salary_max"], got["pay_status"]) == (lo, hi, "ok")


def test_real_week_as_a_decimal_comma_spreadsheet_export_reads_the_same_pay(
    shared_real: Path, ingest_rules: Rules, tmp_path: Path
) -> None:
    """A lukebarousse week saved as a spreadsheet set to a decimal comma saves it (semicolons,
    "32,5"): every posting's pay is the comma-dot file's. Read as thousands separators, 316 of
    2,234 postings were ten times their pay (an hourly 32.5 as 676,000 a year) and 92 dropped
    as implausible."""
    folder = shared_real / "lukebarousse-data-jobs" / "2023-salaried"
    dot = pl.read_csv(folder / "postings_2023-04-02.csv", infer_schema=False)
    decimal = dot.with_columns(
        pl.col("salary_year_avg", "salary_hour_avg").str.replace(".", ",", literal=True)
    )
    assert decimal["salary_hour_avg"].str.contains(",").sum() > 10  # the shape is exercised
    (tmp_path / "dot.csv").write_bytes(dot.write_csv().encode())
    (tmp_path / "comma.csv").write_bytes(decimal.write_csv(separator=";").encode())
    week = date(2023, 4, 3)
    pays = [
        ingest([tmp_path / name], week, ingest_rules, now=NOW, source="luke")
        .snapshot.select("posting_id", "salary_min", "salary_max", "currency")
        .sort("posting_id")
        for name in ("dot.csv", "comma.csv")
    ]
    assert pays[0]["salary_min"].null_count() == 0
    assert pays[1].equals(pays[0])


# ---- pay text with a decimal comma -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lo", "hi", "currency"),
    [
        ("32,50 € pro Stunde", 32.5 * 2080, 32.5 * 2080, "EUR"),  # was 32 an hour
        ("€32,5/hr", 32.5 * 2080, 32.5 * 2080, "EUR"),
        ("45,00 EUR/Stunde", 45 * 2080, 45 * 2080, "EUR"),
        ("30,50–40,50 €", 30.5 * 2080, 40.5 * 2080, "EUR"),  # was 40-50: "50-40" read
        ("EUR 45,00 - 55,00 per hour", 45 * 2080, 55 * 2080, "EUR"),  # was 0-55: no pay
        ("€4.500,00 brutto/Monat", 4_500 * 12, 4_500 * 12, "EUR"),  # dots group, comma decimal
        ("€60.000,00 - €70.000,00", 60_000, 70_000, "EUR"),
        ("60 000,00 € brut annuel", 60_000, 60_000, "EUR"),
        ("$120,5k", 120_500, 120_500, "USD"),
        # commas that group stay groups: three digits, India's two before a group, after one
        ("$120,000", 120_000, 120_000, "USD"),
        ("₹12,00,000", 1_200_000, 1_200_000, "INR"),
        ("$50,000,10% bonus", 50_000, 50_000, "USD"),
        ("€45,-/Stunde", 45 * 2080, 45 * 2080, "EUR"),  # no decimals written
    ],
)
def test_a_decimal_comma_in_pay_text_is_a_decimal_mark(
    text: str, lo: float, hi: float, currency: str
) -> None:
    got = pay(salary=text)
    assert got["pay_status"] == "ok"
    assert got["salary_min"] == pytest.approx(lo)
    assert got["salary_max"] == pytest.approx(hi)
    assert got["currency"] == currency


#: A description -> the posting's location and the pay range found in it: each was no range
#: (a range in running text was only found with a decimal point), so no pay.
DESCRIPTION_DECIMAL_COMMAS: dict[str, tuple[str | None, float, float]] = {
    "Pay: €30,50 - €40,50 per hour": (None, 30.5 * 2080, 40.5 * 2080),
    "Stundenlohn\nPay: 30,50-40,50 EUR per hour": (None, 30.5 * 2080, 40.5 * 2080),
    "Rate: $45,50 - $60,75/hr, weekly pay": (None, 45.5 * 2080, 60.75 * 2080),
    # several ranges: the per-location rule still finds each label
    "Berlin: €30,50 - €40,50 per hour\nMunich: €32,00 - €42,00 per hour": (
        "Munich, Germany", 32 * 2080, 42 * 2080,
    ),
}  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), DESCRIPTION_DECIMAL_COMMAS.items())
def test_a_decimal_comma_in_a_description(
    text: str, expected: tuple[str | None, float, float]
) -> None:
    location, lo, hi = expected
    got = pay(description=text, location=location)
    assert (got["salary_min"], got["salary_max"]) == (pytest.approx(lo), pytest.approx(hi))
    assert (got["currency"], got["pay_status"]) == ("EUR" if "€" in text or "EUR" in text
                                                    else "USD", "ok")  # fmt: skip


def test_commas_that_group_or_list_in_a_description_stay_as_they_were() -> None:
    text = "Salary $120,000 - $150,000, 20 days holiday, 3,5 days in the office"
    got = pay(description=text)
    assert (got["salary_min"], got["salary_max"], got["pay_status"]) == (120_000, 150_000, "ok")


@settings(max_examples=40, deadline=None)
@given(
    rate=st.integers(min_value=800, max_value=29_999),
    add=st.integers(min_value=0, max_value=5_000),
    cents=st.sampled_from([1, 2]),
)
def test_hourly_ranges_with_a_decimal_comma_round_trip(rate: int, add: int, cents: int) -> None:
    """Hourly amounts in hundredths (a tenth where ``cents`` is 1), written with a decimal
    comma, read as written."""
    lo, hi = rate / 100, (rate + add) / 100
    if cents == 1:
        lo, hi = round(lo, 1), round(hi, 1)

    def fmt(x: float) -> str:
        return f"{x:.{cents}f}".replace(".", ",")

    got = pay(salary=f"{fmt(lo)} – {fmt(hi)} €/Stunde")
    assert got["pay_status"] == "ok"
    assert got["salary_min"] == pytest.approx(lo * 2080)
    assert got["salary_max"] == pytest.approx(hi * 2080)
