"""Pay: free text and structured fields -> annual ``salary_min/max/mid`` and ``currency``.

Handles ``$120,000 - $150,000``, ``$120K-$150K``, ``120k–150k``, ``150000-180000 USD per
year``, ``$55/hr``, ``$55 - $65 per hour`` (x 2080), ``$12,500/month`` (x 12), single
values, ``up to X`` (max only), ``from X`` / ``X+`` (min only), a decimal comma (``32,50 €
pro Stunde``, ``€4.500,00``: :data:`_DECIMAL_COMMA_RE`), and structured min/max with a
period. European postings' words too: periods (:data:`_PERIOD_UNITS`), ranges
(:data:`_TO_WORD_RE`, :data:`_AND_WORD_RE`), open ends (:data:`_UP_TO_RE`,
:data:`_FROM_RE`), durations (:data:`_DURATIONS`), ``mil`` and ``Mio.`` (:data:`_SCALES`).
The period of a text is the one stated with the amount read: a word right after it
(``/hr``, ``per month``, ``a year``, ``p.a.``) or a label right before it (``hourly rate``,
``Salary (monthly):``), never a word of another clause (``+ monthly bonus``). Without a
period, values under 300 are hourly and values of 10,000 or more annual; anything else is
implausible. Annual values outside [10,000, 2,000,000] (major currencies), or over twice
2,000,000 dollars' worth (other currencies; one of no known rate as the weakest in use),
are dropped from pay and counted. Text that gives amounts for two or more different roles
(``Director: $225k, Engineering Manager: $195k``, ``$200k+ (AI Engineer), $50k-$75k
(Videographer)``: :func:`_several_roles`) gives no pay: the posting's pay is none of them.
Pay the site estimated, not the employer (Glassdoor's ``$53K-$91K (Glassdoor est.)``,
Adzuna's ``salary_is_predicted``: :func:`_estimated`), is no posted pay either.
``pay_status`` tells the report what happened per row: ``none``, ``ok``, ``unparsed``,
``out_of_range``, ``several_roles`` or ``estimated``.

The currency is the one a currency field or the text names. A bare ``$`` is the posting's
country's dollar where that country pays in one (:data:`LOCAL_DOLLARS`: Toronto's
``$120,000`` is Canadian), else US dollars; pay text that names no currency at all is in the
currency of the posting's country (:func:`place_currencies`: a Berlin posting's ``50-60k`` is
euros), else US dollars. Structured amounts without a currency field stay US dollars (what
aggregators that normalise pay give), except a job board's country site's
(:data:`COUNTRY_SITE_RE`: Adzuna's UK site gives pounds, its German site euros): those are in
the site's country's currency (or the posting's country's, where the site's is not known),
and never assumed US dollars: a currency unknown is no pay (``unparsed``). The site's
country decides a posting's place for its pay text too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import polars as pl
from babel.numbers import get_territory_currencies

from newsletter.data.ingest.lookup import Memo
from newsletter.data.ingest.text import only_where, plain_text, says_yes

MIN_ANNUAL = 10_000.0
MAX_ANNUAL = 2_000_000.0
MAX_SPREAD = 10.0  # max/min above this is a typo or a different unit: dropped
#: Without a stated period, amounts under this are hourly (and of MIN_ANNUAL or more, annual).
HOURLY_BELOW = 300.0
HOURS_PER_YEAR = 2080.0
UK_HOURS_PER_YEAR = 1950.0
#: Currencies of similar magnitude, where the annual plausibility range applies.
RANGE_CHECKED = ("USD", "CAD", "AUD", "GBP", "EUR", "CHF", "SGD", "NZD")
#: The other currencies a text or field is read in, and about how many of each a US dollar
#: buys: an annual amount above MAX_ANNUAL dollars' worth, twice over (rates move), is no
#: salary (a yen amount of 1e12 was kept). No floor: pay in these is often far below ten
#: thousand dollars' worth.
UNITS_PER_USD: dict[str, float] = {
    "HKD": 7.8, "BRL": 5.5, "MXN": 18.0, "INR": 85.0, "JPY": 150.0, "SEK": 10.5,
    "NOK": 10.5, "DKK": 7.0, "PLN": 4.0, "ILS": 3.7, "KRW": 1400.0, "CNY": 7.2, "ZAR": 18.0,
    "TWD": 32.0, "DOP": 60.0, "JMD": 157.0, "TTD": 6.8, "PHP": 58.0, "COP": 4000.0,
    "CLP": 950.0, "ARS": 1000.0, "UYU": 40.0, "IDR": 16000.0,
}  # fmt: skip
#: A currency of no known rate (a code as given, "TWD", "XAF") is held to the cap of the
#: weakest currency in use: about this many units a US dollar buys (the Lebanese pound's
#: ~90,000, the Vietnamese dong's ~26,000), so no real salary is dropped, and 1e12 a year
#: (kept before, unbounded) is.
UNKNOWN_UNITS_PER_USD = 100_000.0
_ANNUAL_CAP = {code: 2 * MAX_ANNUAL * units for code, units in UNITS_PER_USD.items()}
_UNKNOWN_CAP = 2 * MAX_ANNUAL * UNKNOWN_UNITS_PER_USD
#: Currencies whose own sign in their countries' postings is a bare ``$``: there, ``$120,000``
#: is that dollar, not the US one. (Pesos are written ``$`` too, but a Latin American tech
#: posting's ``$`` is as often US dollars: those stay US dollars unless named.)
LOCAL_DOLLARS = ("CAD", "AUD", "NZD", "SGD", "HKD")
#: What :data:`_CURRENCY_PATTERNS` gives for a bare dollar sign, before the place decides.
_BARE_DOLLAR = "$"
#: Values of ``currency_source``, where a posting's pay currency came from: named by a
#: currency field or the text (``named``), a bare ``$`` read as the place's dollar
#: (``place_dollar``), the currency of the posting's country for text naming none
#: (``place``), the currency of the country site of a job board the posting was read from
#: (``site``: :data:`COUNTRY_SITE_RE`), or US dollars for want of any (``assumed_usd``); null
#: without pay.
CURRENCY_SOURCES = ("named", "place_dollar", "place", "site", "assumed_usd")
#: A posting link on a job board's country site, whose pay fields are in that country's
#: currency and name none: Adzuna's (``adzuna.co.uk``: pounds, ``adzuna.de``: euros,
#: ``adzuna.com.au``: Australian dollars, ``adzuna.com``: US dollars); group 1 is the last
#: label of the domain, the country's code (``uk`` for Great Britain, ``com`` for the US).
COUNTRY_SITE_RE = r"^(?i)https?://(?:[^/?#@]*\.)?adzuna\.(?:com?\.)?([a-z]{2,3})\.?(?:[:/?#]|$)"
_SITE_COUNTRIES = {"UK": "GB", "COM": "US"}


def place_currencies(countries: Iterable[str], on: date | None = None) -> dict[str, str]:
    """Country code (ISO 3166-1) -> the currency its pay is in when a posting names none:
    the legal tender there on ``on`` (the week; None: the tender CLDR knows as current), by
    the CLDR data of Babel. Where a country has two (Panama: balboa and US dollar), the one
    this module reads amounts in; countries Babel does not know are left out."""
    known = (*RANGE_CHECKED, *UNITS_PER_USD)
    out: dict[str, str] = {}
    for code in countries:
        tender = get_territory_currencies(
            code, start_date=on or date.max, tender=True, non_tender=False
        )
        if tender:
            out[code] = next((c for c in tender if c in known), tender[0])
    return out


PERIOD_FACTORS: dict[str, float] = {
    "year": 1.0, "month": 12.0, "semimonth": 24.0, "biweek": 26.0, "week": 52.0,
    "day": 260.0, "hour": HOURS_PER_YEAR,
}  # fmt: skip

#: Words that state the period of an amount, as written right after it ("$50/hr", "$50 per
#: hour", "$4,000 a month", "80k/yr", "60k p.a.", "£2,500 pcm", "£500 day rate") or as a label
#: right before it ("hourly rate $40-$60", "Salary (monthly): ...", "per annum: £60k"); keys
#: are the words in letters only (see :func:`_period_unit`). Only such words give the period:
#: one elsewhere in the text ("+ monthly bonus", "weekly team lunches", "daily standups") is
#: about something else. European postings' words too: German ("€4.500 pro Monat", "30 €
#: pro Stunde", "/Std.", "jährlich", "monatlich"), French ("par heure", "par mois", "par an",
#: "/an", "brut annuel"), Spanish and Portuguese ("por hora", "por mes", "al año", "por
#: ano") and Dutch ("per uur", "per maand", "per jaar").
_PERIOD_UNITS: dict[str, str] = {
    "hour": "hour", "hours": "hour", "hourly": "hour", "hr": "hour", "hrs": "hour",
    "h": "hour", "ph": "hour",
    "day": "day", "days": "day", "daily": "day", "d": "day", "pd": "day", "diem": "day",
    "week": "week", "weeks": "week", "weekly": "week", "wk": "week", "wks": "week", "w": "week",
    "pw": "week",
    "biweekly": "biweek", "fortnight": "biweek", "fortnightly": "biweek",
    "semimonthly": "semimonth", "twiceamonth": "semimonth", "twicepermonth": "semimonth",
    "month": "month", "months": "month", "monthly": "month", "mo": "month", "mos": "month",
    "mth": "month", "mths": "month", "m": "month", "pm": "month", "pcm": "month",
    "year": "year", "years": "year", "yearly": "year", "yr": "year", "yrs": "year", "y": "year",
    "annum": "year", "annual": "year", "annually": "year", "pa": "year",
    "stunde": "hour", "monat": "month", "jahr": "year",  # "€5.000 brutto/Monat"
    "stunden": "hour", "std": "hour", "stündlich": "hour", "monatlich": "month",
    "jährlich": "year", "jaehrlich": "year",
    "heure": "hour", "mois": "month", "an": "year", "annuel": "year",
    "annuelle": "year", "mensuel": "month", "mensuelle": "month", "lheure": "hour",
    "hora": "hour", "mes": "month", "mês": "month", "año": "year", "ano": "year",
    "mensual": "month", "mensuales": "month", "anual": "year", "anuales": "year",
    "mensal": "month", "mensais": "month", "anuais": "year",
    "ora": "hour", "lora": "hour", "mese": "month", "anno": "year", "lanno": "year",
    "mensile": "month", "mensili": "month", "annuo": "year", "annui": "year",
    "annuale": "year", "annuali": "year",
    "uur": "hour", "maand": "month", "jaar": "year", "maandelijks": "month",
    "jaarlijks": "year",
    "maandsalaris": "month", "maandloon": "month", "jaarsalaris": "year",
    # Polish ("15 000 zł brutto miesięcznie", "/mies.", "na miesiąc", "rocznie", "/godz.")
    # and Nordic ("45 000 kr per månad", "/mån", "kr. pr. måned", "/mnd", "per år", "/tim")
    "miesięcznie": "month", "miesiąc": "month", "mies": "month", "rocznie": "year",
    "godzin": "hour", "godzina": "hour", "godziny": "hour", "godz": "hour",
    "månad": "month", "månaden": "month", "mån": "month", "måned": "month",
    "måneden": "month", "mnd": "month", "år": "year", "året": "year", "timme": "hour",
    "timmen": "hour", "tim": "hour",
    # Indonesian ("Rp 8.000.000 per bulan", "/bulan", "per tahun", "per jam")
    "bulan": "month", "tahun": "year", "jam": "hour", "hari": "day", "minggu": "week",
    # German compounds: "Monatsgehalt", "Bruttojahresgehalt", "Stundenlohn" (_PERIOD_ADJ)
    **{
        f"{gross}{unit}{noun}": period
        for gross in ("", "brutto", "netto")
        for unit, period in (("monats", "month"), ("jahres", "year"), ("stunden", "hour"))
        for noun in ("gehalt", "lohn", "brutto", "netto")
    },
}  # fmt: skip
#: A period word after an amount (single letters only after a slash: "/h", "/m").
_PERIOD_WORD = (
    r"(?:hourly|hours?|hrs?|daily|days?|diem|bi-?weekly|weekly|weeks?|wks?|fortnight(?:ly)?"
    r"|twice (?:a|per) month|semi-?monthly|monthly|months?|mths?|mos?"
    r"|yearly|years?|yrs?|annum|annual(?:ly)?"
    r"|p\.?a\.?|p/a|p\.?h\.?|p/h|p\.?m\.?|p/m|pcm|pw|pd|stunden?|monat|jahr|/\s*[hdwmy]"
    # other languages' ("an", French for a year, only after "par" or "/": an English "an";
    # Italian "ora", "anno" after "all'" or "l'")
    r"|std|stündlich|monatlich|jährlich|jaehrlich|heure|l'heure|mois|par\s+an|/\s*an"
    r"|annuel(?:le)?|mensuel(?:le)?|mensual(?:es)?|anual(?:es)?|mensa(?:l|is)|anuais"
    r"|mensil[ei]|annu(?:o|i|al[ei])|(?:al)?l'(?:ora|anno)|mese|maandelijks|jaarlijks"
    r"|hora|mes|mês|año|ano|uur|maand|jaar"
    # Polish and Nordic ("godzin" ends before the "ę" of "godzinę", as "mån" never does)
    r"|miesięcznie|miesiąc|mies|rocznie|godzin[ay]?|godz|månaden|månad|måneden|måned|mån"
    r"|mnd|året|år|timmen|timme|tim"
    # Indonesian
    r"|bulan|tahun|jam|hari|minggu)(?-u:\b)"
)
_PERIOD_ADJ = (
    r"(?:hourly|daily|bi-?weekly|weekly|fortnightly|semi-?monthly|monthly|yearly"
    r"|annual(?:ly)?"
    # other languages' ("Salaire mensuel :", "Salario mensual:", "Stipendio mensile:",
    # "Salário mensal:", "Bruttomonatsgehalt:", "Maandsalaris:")
    r"|mensuel(?:le)?|annuel(?:le)?|mensual|anual|mensile|annuale|mensal|monatlich|jährlich"
    r"|maandelijks|jaarlijks|(?:brutto|netto)?(?:monats|jahres|stunden)(?:gehalt|lohn|brutto|netto)"
    r"|maand(?:salaris|loon)|jaarsalaris)"
)
_PERIOD_NOUN = r"(?:hour|day|week|month|year|annum)"
_PERIOD_WORDS: dict[str, str] = {
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "annum": "year",
    "y": "year", "yr": "year", "per-year-salary": "year", "a": "year",
    "month": "month", "monthly": "month", "mo": "month", "per-month-salary": "month",
    "week": "week", "weekly": "week", "wk": "week", "per-week-salary": "week",
    "biweekly": "biweek", "bi-weekly": "biweek", "semimonthly": "semimonth",
    "semi-monthly": "semimonth", "day": "day", "daily": "day", "per-day-wage": "day",
    "hour": "hour", "hourly": "hour", "hr": "hour", "h": "hour", "per-hour-wage": "hour",
    # a one-time payment (Lever's "one-time") is no salary: no factor, so never pay
    "one-time": "once", "one time": "once", "onetime": "once",
}  # fmt: skip

# Ordered: first match wins (C$ before $).
_CURRENCY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("CAD", r"\bcad\b|\bc\$|\bca\$"),
    ("AUD", r"\baud\b|\ba\$|\bau\$"),
    ("NZD", r"\bnzd\b|\bnz\$"),
    ("SGD", r"\bsgd\b|\bs\$"),
    ("HKD", r"\bhkd\b|\bhk\$"),
    ("BRL", r"\bbrl\b|\br\$"),
    ("MXN", r"\bmxn\b|\bmx\$"),
    # other countries' dollars and pesos as their prefixes write them: Taiwan's "NT$1,200,000",
    # the Dominican "RD$", Jamaica's "J$", Trinidad's "TT$" (each was a bare $, the US dollar)
    ("TWD", r"\btwd\b|\bnt\$"),
    ("DOP", r"\bdop\b|\brd\$"),
    ("JMD", r"\bjmd\b|\bj\$"),
    ("TTD", r"\bttd\b|\btt\$"),
    # the Philippine peso: its sign, or its code right before an amount (a PHP developer is
    # paid in the currency the text names; the language's versions: _VERSION)
    ("PHP", r"₱|\bphp\s?[0-9]"),
    # Latin American pesos named by their codes, before the bare $ they are written with
    # ("$ 2.500.000 COP mensuales" was 2.5 million US dollars a month, no pay)
    ("COP", r"\bcop\b|\bcol\$"),
    ("CLP", r"\bclp\b"),
    ("ARS", r"\bars\b"),
    ("UYU", r"\buyu\b"),
    ("USD", r"\busd\b|\bus\$"),
    (_BARE_DOLLAR, r"\$"),  # whose dollar: the place decides (_settled)
    ("GBP", r"£|\bgbp\b"),
    ("EUR", r"€|\beur\b|\beuros?\b"),
    ("INR", r"₹|\binr\b|\brs\b|\blpa\b|\blakhs?\b"),
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
    # the rupiah: its code, or "Rp" right before an amount ("Rp 8.000.000", "Rp10 juta")
    ("IDR", r"\bidr\b|\brp\.?\s?[0-9]"),
)

#: An amount and its unit: thousands ("k"), millions, and India's lakh (100,000: "40L",
#: "12 lakhs", "8 lacs", "25 LPA" = lakh per annum) and crore (10,000,000: "1.2 Cr").
_NUM = (
    r"(\d+(?:\.\d+)?)\s*(k|m|mm|thousand|million|lakhs?|lacs?|lpa|l|crores?|cr|mil|mio|mln"
    r"|millions|millionen|millones|milioni|miljoen|milhões|juta|jt|ribu|万)?\b"
)
#: Suffixes of :data:`_NUM` in India's units: an amount with one is in rupees.
_INDIAN = ("l", "lakh", "lakhs", "lac", "lacs", "lpa", "cr", "crore", "crores")
#: Suffixes of :data:`_NUM` that scale an amount: word -> factor.
_SCALES: dict[str, float] = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6,
    "l": 1e5, "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "lacs": 1e5, "lpa": 1e5,
    "cr": 1e7, "crore": 1e7, "crores": 1e7,
    # other languages' thousand ("R$ 8 mil", "30 mil euros") and millions ("5 Mio. €")
    "mil": 1e3, "mio": 1e6, "mln": 1e6, "millions": 1e6, "millionen": 1e6, "millones": 1e6,
    "milioni": 1e6, "miljoen": 1e6, "milhões": 1e6,
    # Indonesian ("Rp 10 juta", "Rp10jt", "500 ribu") and Japanese (万: ten thousand,
    # "30万円" is 300,000 yen)
    "juta": 1e6, "jt": 1e6, "ribu": 1e3, "万": 1e4,
}  # fmt: skip
#: Japanese pay words as the English ones the pay rules read (one pass, no regex): the
#: yen (円, as its code), a range's wave dash, and the labels of a period before an amount
#: (月給 "monthly pay", 年収 "annual income", 時給 "hourly pay"), or after it ("/月").
#: "月給30万円" and "年収600万円〜900万円" were no pay.
_JAPANESE = {
    "円": " jpy", "〜": "-", "～": "-", "月給": "monthly ", "月額": "monthly ",
    "年収": "yearly ", "年俸": "yearly ", "時給": "hourly ", "日給": "daily ", "/月": "/month",
    "/年": "/year",
}  # fmt: skip
#: Currency codes a stated range may carry (those of ``_CURRENCY_PATTERNS``).
_CODE = (
    r"(?:USD|CAD|AUD|NZD|SGD|HKD|BRL|MXN|GBP|EUR|INR|JPY|CHF|SEK|NOK|DKK|PLN|ILS|KRW|CNY|ZAR"
    r"|TWD|DOP|JMD|TTD|PHP|COP|CLP|ARS|UYU|IDR)"
)
#: What may stand between an amount and its period word ("45 USD per hour", "€4,000 gross
#: a month", "$120k base salary per year") -- never "+", "plus", "and" or other words, so the
#: "monthly" of "$80k base + monthly bonus" is not the amount's.
_UNIT_WORDS = (
    r"(?:[$£€¥₹]|" + _CODE.lower() + r"|gross|net|brutto|netto|brut|bruto|base|basic|salary"
    r"|pre-tax|before tax|bruts?|brutos|brute|netos?|nets|lord[oi]|de|d'|zł|kr\.?)"
)
#: The period word at the start of the text after an amount (group 1): "/hr", " per hour",
#: " a month", " usd per year", " gross/month", " (hourly)", " p.a.", " pro Monat", " al año".
_PERIOD_AFTER_RE = (
    r"^(?:\s*"
    + _UNIT_WORDS
    + r")*\s*\(?\s*(?:(?:/|per|pro|par|por|al|an?|each|na|za|om|pr\.?|i)\s*)?("
    + _PERIOD_WORD
    + r")"
)
#: A period label right before the first amount of the text (group 1): "hourly rate: $",
#: "monthly gross salary of ", "salary (monthly): ", "per annum: £", "day rate ".
_PERIOD_BEFORE_RE = (
    r"^[^0-9]*?(" + _PERIOD_ADJ + r"|per\s+" + _PERIOD_NOUN + r"|" + _PERIOD_NOUN + r"\s+rate)"
    r"(?-u:\b)(?:\s*(?:[):=-]|(?:base|basic|gross|net|rate|salary|pay|wages?|compensation"
    r"|comp|income|range|of|is|between|from|at)(?-u:\b)))*\s*(?:[$£€¥₹]|[a-z]{1,2}\$|"
    + _CODE.lower()
    + r")?\s*[0-9]"
)
#: A currency sign or code, as pay text is read (lower case).
_SIGN = r"(?:[$£€¥₹]|[a-z]{1,2}\$|" + _CODE.lower() + r"(?-u:\b))"
#: An amount ending, as pay text is read (separators gone): its number, a "k", its sign.
_AMOUNT_END = r"[0-9]\s*(?:k(?-u:\b))?\s*" + _SIGN + r"?"
#: Other languages' words for the "to" of a range, wherever a range is read (:data:`_TO_WORD_RE`
#: in pay text, :data:`_DASH` in descriptions); the one-letter "a" is each pattern's own.
_TO_WORDS = r"(?:bis|à|tot|até|hasta)"
#: Other languages' words for the "to" of a range ("45 000 € à 55 000 €", "65.000 bis 80.000
#: €", "€ 3.500 tot € 4.500", "R$ 8.000 até R$ 12.000", "de 30.000 hasta 40.000"): group 1, the
#: first amount's end, and group 2, the second's start, are kept, the word made a dash (the
#: replacement is "$1 -$2"). The Spanish, Italian and Portuguese "a" only between amounts of
#: four digits or more, or in thousands ("30000 a 40000", "30k a 40k"), where no English "a"
#: stands ("$50 a 10 hour shift").
_TO_WORD_RE = (
    r"(" + _AMOUNT_END + r")\s+" + _TO_WORDS + r"\s+(" + _SIGN + r"?\s*[0-9])"
    r"|((?:[0-9]{4}|[0-9]\s*k(?-u:\b))\s*" + _SIGN + r"?)\s+al?\s+("
    + _SIGN + r"?\s*(?:[0-9]{4}|[0-9]{1,3}(?:\.[0-9])?\s*k(?-u:\b)))"
)  # fmt: skip
#: ... and for the "and" of a "between" range ("zwischen 65000 und 80000 €", "entre 45 000 et
#: 55 000 €", "entre 30.000 y 40.000", "tra 30.000 e 40.000", "tussen € 3.500 en € 4.500"):
#: the same groups, the word a dash.
_AND_WORD_RE = (
    r"((?:zwischen|entre|tra|fra|tussen)\s+" + _SIGN + r"?\s*[0-9][0-9.]*\s*(?:k(?-u:\b))?\s*"
    + _SIGN + r"?)\s+(?:und|et|y|e|en)\s+(" + _SIGN + r"?\s*[0-9])"
)  # fmt: skip
#: Both, in one pass: the replacement is "$1$3$5 -$2$4$6".
_RANGE_WORD_RE = _TO_WORD_RE + r"|" + _AND_WORD_RE
#: The text after an amount, up to where a period word could still be its own (group).
_TAIL = r"([^0-9+,;]{0,30})"
#: One amount: groups number, suffix, the text after it.
_ONE_RE = _NUM + _TAIL
#: "120k - 150k", "$55 to $65", "between 100000 and 120000", "$90/hr - $120/hr": groups
#: number, suffix, what joins them (with the first one's period word, if any), number,
#: suffix, the text after.
_RANGE_RE = _NUM + r"([^\d%]{0,14}?(?:-|to|and)\s*[^\d\s%]{0,4}\s*)" + _NUM + _TAIL
_SYM = r"(?:[$£€]|[A-Z]{1,2}\$)"
#: A currency sign written after its amount ("65.000 €", "45 000 $" in Quebec).
_SIGN_AFTER = r"(?:\s?[$£€]|\s?" + _CODE + r"(?-u:\b))"
#: An amount worth reading in running text: thousands separators (commas, dots or spaces:
#: "150,000", "65.000", "45 000"), or a k ("65k", "65.5k"). Never a version ("Python
#: 3.11") or a duration ("3.5 years"): a group is three digits after two or three. (ASCII
#: digits and word boundaries keep the pattern on the regex engine's fast path.)
_AMT = (
    r"[0-9]{2,3}(?:,[0-9]{3})+(?:\.[0-9]{2})?|[0-9]{2,3}(?:\.[0-9]{3})+(?:\.[0-9]{2})?"
    r"|[0-9]{2,3}(?:[ \u00a0\u202f][0-9]{3})+(?-u:\b)|[0-9]{2,3}(?:\.[0-9])?\s?[kK](?-u:\b)"
)
#: ... and after a pay label, where thousands need no second digit ("Salaris: € 3.500 - €
#: 4.500 per maand", "Salary: $8,000 a month").
_AMT_LABELLED = _AMT.replace("[0-9]{2,3}", "[0-9]{1,3}")
_RATE = r"[0-9]{2,3}(?:\.[0-9]{2})?"
#: What joins a range's amounts: a dash or "to", and other languages' "to" (:data:`_TO_WORD_RE`).
_DASH = r"(?:\s*(?:-|–|—|to)\s*|\s+(?:" + _TO_WORDS + r"|a)\s+)"
_PER = r"\s*(?:/|per|an|a)\s*"
#: A period after an amount: "/yr", "per month", "an hour", and other languages' ("pro
#: Monat", "par an", "por mes", "per maand", "al mese", "brutto jährlich", "brutos anuales").
_PERIOD_SUFFIX = (
    r"(?:\s*(?:(?:brutto|brut|bruts|bruto|brutos|gross|lordi)\s*)?"
    r"(?:(?:/|per|an|a|pro|par|por|al)\s*(?:year|yr|annum|annually|month|mo|week|day|hour|hr"
    r"|jahr|monat|stunde|an|mois|heure|año|mes|mês|hora|ano|mese|anno|jaar|maand|uur)"
    r"|monatlich|jährlich|mensuel(?:le)?|annuel(?:le)?|mensual(?:es)?|anual(?:es)?"
    r"|mensil[ei]|annui|mensa(?:l|is))(?-u:\b))?"
)
#: A pay label in English, German, French, Spanish, Italian, Dutch and Portuguese: a noun of
#: pay ("Salary", "Gehalt", "Bruttojahresgehalt", "Salaire", "Salario", "Stipendio", "RAL",
#: "Salaris", "Salário") before its amount, a colon between or not ("Salary £45.5K", "a
#: salary of $150,000", "Gehalt von 65.000 €", "RAL 35.000 €"); other words of pay only
#: before a colon ("Pay:", "Base pay range:", "Compensation:", "Vergütung:", "Rémunération
#: :"), with up to two words of their own ("Salaire brut annuel :", "Salario bruto anual:")
#: or a parenthesis ("Salary (monthly):"). An open end may follow ("Salary: up to $150k",
#: "Gehalt ab 60.000 €").
_PAY_NOUN = (
    r"(?:(?:(?:base|annual|yearly|monthly|hourly|starting)\s+)?salary|[a-zäöü]*gehalt|salaire"
    r"|salario|sueldo|stipendio|ral|salaris|salário)"
)
_PAY_WORD = (
    r"(?:(?:(?:base|annual|yearly|monthly|hourly)\s+)?(?:pay|compensation|salary)(?:\s+range)?"
    r"|vergütung|rémunération|retribución|remuneración|retribuzione|remuneração)"
)
_PAY_LABEL = (
    r"(?-u:\b)(?i:(?:" + _PAY_NOUN + r"|" + _PAY_WORD + r")(?:\s+[^\s:0-9]{1,15}){0,2}\s*"
    r"(?:\([^()\n0-9]{1,30}\)\s*)?:\s*|" + _PAY_NOUN + r"(?:\s+(?:of|is|von|de|di|van|da))?\s+)"
    r"(?i:(?:up to|from|bis zu|ab|jusqu'à|à partir de|hasta|desde|fino a|até|vanaf|tot)\s+)?"
)  # fmt: skip
#: A pay range stated in running text (a description, or several in one salary field):
#: ``$150,000 - $190,000``, ``$196,000 — $278,100 USD``, ``150k-180k USD``,
#: ``USD 150,000 - 180,000``, ``$90/hr - $120/hr``, ``$45-$70 USD per hour``, ``€65.000 -
#: €80.000``, ``65.000 € bis 80.000 €``; or an amount or range after a pay label
#: (:data:`_PAY_LABEL`: ``Salary: $150k``, ``Gehalt: 65.000 €``, ``Salaris: € 3.500 - € 4.500
#: per maand``), label included (a period label is read as in pay text).
DESCRIPTION_PAY_RE = (
    r"("
    + _SYM + r"\s?(?:" + _AMT + r")" + _DASH + r"(?:" + _CODE + r"\s*)?" + _SYM + r"?\s?(?:"
    + _AMT + r")(?:\s*" + _CODE + r")?" + _PERIOD_SUFFIX
    + r"|(?:" + _AMT + r")" + _SIGN_AFTER + r"?" + _DASH + r"(?:" + _SYM + r"\s?)?(?:" + _AMT + r")"
    + _SIGN_AFTER + _PERIOD_SUFFIX
    + r"|" + _CODE + r"\s?(?:" + _AMT + r")" + _DASH + r"(?:" + _CODE + r"\s?)?(?:" + _AMT + r")"
    + _PERIOD_SUFFIX
    + r"|" + _SYM + r"\s?" + _RATE + r"(?:\s*" + _CODE + r")?(?:" + _PER + r"(?:hour|hr)(?-u:\b))?"
    + _DASH + _SYM + r"?\s?" + _RATE + r"(?:\s*" + _CODE + r")?" + _PER + r"(?:hour|hr)(?-u:\b)"
    + r"|" + _RATE + _DASH + _RATE + r"\s*" + _CODE + _PER + r"(?:hour|hr)(?-u:\b)"
    # a labelled amount, or range ("Gehalt: 65.000 €", "Salary: $150k"), with its currency
    + r"|" + _PAY_LABEL + r"(?:(?:" + _SYM + r"|" + _CODE + r")\s?(?:" + _AMT_LABELLED + r")"
    + _SIGN_AFTER + r"?|(?:" + _AMT_LABELLED + r")" + _SIGN_AFTER
    + r"|[0-9]{1,3}(?:\.[0-9])?\s?[kK](?-u:\b))(?:" + _DASH + r"(?:(?:" + _SYM + r"|" + _CODE
    + r")\s?)?(?:" + _AMT_LABELLED + r")" + _SIGN_AFTER + r"?)?"
    + _PERIOD_SUFFIX
    + r")"
)  # fmt: skip
#: A percentage or a range of them ("20%", "5-20%", "0.5% - 1.5%", "1 to 2%"): equity or a
#: bonus share, never an amount. Stripped whole (stripping only "20%" left the "5-" of "5-20%"
#: to be read as $5 an hour); group 1, the character before, is kept, and is no digit, comma
#: or dot, so the range starts at a number's start ("$120,000 - 20% bonus" keeps its amount).
_PERCENT_RE = r"(^|[^0-9.,])(?:[0-9]{1,3}(?:\.[0-9]+)?\s*%?\s*(?:-|to)\s*)?[0-9]+(?:\.[0-9]+)?\s*%"
#: Numbers that are no amounts, stripped before any is read: a retirement plan ("401k
#: match", "401(k)", "403(b)": read as $401,000) and a duration or a range of them ("5+ years
#: experience", "2-5 years", "25 days holiday", "40 hours/week", :data:`_DURATIONS`: read as
#: $5 an hour, or as 25 a day beside a salary), or a version (:data:`_VERSION`).
#: Group 2, the character before, is kept, and is no currency sign, letter, digit, comma or
#: dot: "$380k - $457k" and "$401K base" are amounts. So is a range of two amounts in
#: thousands with such a number at either end ("380k-457k", "$401K to 450K", "457k-1000k"):
#: group 1, the whole range, is kept as it is. And a company's money: an amount in millions
#: (or billions, :data:`_MILLIONS`) with a word of funding, valuation or revenue
#: (:data:`_COMPANY_MONEY`) within three words after it ("$5M seed funding raised", "$20M in
#: Series A", "$10M ARR", "$100M+ ARR", "$2B valuation") or before it ("raised $5M", "we've
#: raised over $22 million", "backed by $30M", "ARR of $10M", "valued at $2B": each was read
#: as implausible pay, or hid the pay beside it), stripped with those words, the character
#: before it kept (group 3; the replacement is "$1$2$3 "); so is a plan written with a dollar
#: sign when a plan's word follows ("$401k match, $120k": read as $401,000).
#: An amount in millions or billions, as a company's money is written ("$5M", "$1.5 million",
#: "€11M", "$100M+", "$2B", "5 Mio. €", "5 M€", "10 milioni di euro", "$150 mil" as English
#: slang writes it, or Spanish "5 mil millones").
_MILLIONS = (
    r"[$£€¥₹]?\s?[0-9]+(?:\.[0-9]+)?\s*(?:m|mm|mil|million|b|bn|billion|mio|mln|millions|millionen"
    r"|millones|milioni|miljoen|milhões|mrd|milliarden|milliards)(?-u:\b)\.?\+?(?:\s?[$£€])?"
)
#: Words of a company's money: funding, valuation, revenue; in English, German, French,
#: Spanish, Italian, Dutch and Portuguese ("Finanzierung", "levée de fonds", "financiación",
#: "raccolto", "opgehaald", "captou").
_COMPANY_MONEY = (
    r"(?:(?:seed|series|funding|funded|raised?|raising|round|valuation|valued|arr|mrr|revenues?"
    r"|investment|investors?|vc|venture|backed|secured|closed|serie|finanzierung\w*|investoren"
    r"|bewertung|umsatz|fonds|valorisation|financement|chiffre|financiamiento|ronda|inversores"
    r"|recaudad[oa]s?|finanziamento|investitori|valutazione|fatturato|raccolt[oi]|financiering"
    r"|investering|investeerders|omzet|opgehaald|rodada|investimento|captou|arrecadou"
    r"|faturamento|captad[oa]s?|levantad[oa]s?|levantou)(?-u:\b)"
    r"|levée|levé|financiación|inversión|valoración|facturación)"
)
#: Other languages' plural units of a duration ("5 Jahre Erfahrung", "30 Tage Urlaub", "3 años
#: de experiencia", "entre 2 et 5 ans", "35 heures", "40 Stunden/Woche"): each number was
#: read as an hourly amount (5 € an hour), beside the salary or instead of it. Not the words
#: that are a period too ("jaar", "uur", "mois": "€60.000 per jaar").
_DURATIONS = (
    r"ans|années|jahre|jahren|monate|monaten|wochen|tage|tagen|stunden|años|anni|anos|meses"
    r"|mesi|jours|días|dias|giorni|dagen|maanden|weken|heures|horas|ore"
)
#: A version: a number after a technology's name ("Python 3.11", "Node 18.04", "Java 17",
#: ".NET 8", "Ubuntu 22.04"), after "version" or "v" ("v2.3"), or of three parts ("3.5.1"):
#: each was read as an hourly amount ("Node 18.04; €65.000" as 18.04 € an hour). Never
#: thousands grouped by dots ("1.500.000 €").
_VERSION = (
    r"(?:(?:python|java|jdk|node(?:\.?js)?|php|ruby|rails|django|golang|scala|kotlin|swift"
    r"|typescript|angular|react|vue|spark|hadoop|ubuntu|debian|ios|android|\.net|c#|postgres"
    r"|postgresql|mysql|windows|macos|oauth|http|tls|ecmascript|version|ver\.?|v)\s?[0-9]+"
    r"(?:\.[0-9]+)*|[0-9]+\.[0-9]{1,2}\.[0-9]+)(?-u:\b)"
)
#: The Philippine peso's code before an amount in thousands ("PHP 80,000 per month", "PHP
#: 50k"): an amount, never the version of the language of that name ("PHP 8.1" is one): read
#: as "PHP 80" and stripped, it left no pay. Kept whole, as group 1 of :data:`_NOT_PAY_RE`.
_PESO_AMOUNT = r"(?:^|[^A-Za-z0-9_.,])php\s?[0-9]{1,3}(?:(?:[,.][0-9]{3})+|\s?k(?-u:\b))"
_NOT_PAY_RE = (
    r"((?:^|[^A-Za-z0-9_.,])[$£€¥₹]?[0-9]{2,4}\s*[kK]\s*(?:[-–—]|to)\s*[$£€¥₹]?[0-9]{2,4}\s*[kK]"
    r"(?-u:\b)|" + _PESO_AMOUNT + r")"
    r"|(^|[^$£€¥₹A-Za-z0-9_.,])(?:4(?:01|03|57)\s*\(?[kb]\)?(?-u:\b)"
    r"|[0-9]+(?:\.[0-9]+)?(?:\s*(?:-|to|à|a|bis|tot|et|und|y|e|en)\s*[0-9]+(?:\.[0-9]+)?)?"
    r"\s*\+?\s*(?:years|yrs|months|weeks|days|hours|hrs|" + _DURATIONS
    + r")(?-u:\b)|" + _VERSION + r")"
    r"|(^|[^A-Za-z0-9_.,])(?:" + _MILLIONS + r"(?:\s+[a-zà-ÿ]+){0,3}?\s+" + _COMPANY_MONEY
    + r"|" + _COMPANY_MONEY + r"(?:\s+[a-zà-ÿ':]+){0,3}?\s+" + _MILLIONS
    + r"|\$\s?4(?:01|03|57)\s*\(?[kb]\)?\s*(?:match|matching|plan|retirement|contributions?)"
    r"(?-u:\b))"
)  # fmt: skip
#: A decimal comma in pay text: a comma after an amount, followed by one or two digits and
#: no further digit or group ("32,50 € pro Stunde", "€32,5/hr", "45,00 EUR/Stunde", "30,50-40,50
#: €", "€4.500,00 brutto/Monat"): each was read without its decimals, or as a range from
#: them. Three digits are a group ("$120,000"), and so are two after a group or before one
#: (India's "12,00,000"; "$50,000,10%"): an amount whose commas group it has none for
#: decimals. Groups 1 to 4 are kept, the comma made a dot (the replacement is "$1$2.$3$4");
#: applied twice, as a match takes the character after it, which may start the next
#: ("30,50-40,50").
_DECIMAL_COMMA_RE = r"(^|[^0-9,.])([0-9]+(?:\.[0-9]{3})*),([0-9]{1,2})([^0-9,.]|[,.][^0-9]|[,.]?$)"
#: Words of a pay text that mark its amounts as a site's estimate, not the employer's pay:
#: Glassdoor's "$53K-$91K (Glassdoor est.)", "$17-$24 Per Hour(Glassdoor est.)", an
#: "estimated" or "predicted" salary. Read in the pay text only (a description's "estimated
#: start date" is no pay text: only its pay range is read).
_ESTIMATE_RE = r"(?-u:\b)(?:est\.|(?:estimated?|estimates|estimation|predicted|prediction)(?-u:\b))"
#: ... but not the employer's own range as Glassdoor labels it ("$80K-$100K (Employer est.)",
#: the newer "Employer Provided Salary:"), nor a time zone ("9am-5pm EST.").
_NOT_ESTIMATE_RE = r"\bemployer(?:'s)?\s+(?:est\.|estimated?\b)|(?:[0-9]|[ap]\.?m\.?)\s*est\."
#: A single amount that is a maximum ("up to $150k"), in other languages too ("bis zu 80.000
#: €", "jusqu'à 55 000 €", "hasta 40.000 €", "fino a 40.000 €", "até R$ 12.000", "tot €
#: 4.500"): each was read as the minimum and the maximum both.
_UP_TO_RE = (
    r"(?:\b(?:up to|upto|max(?:imum)?|to|bis(?: zu)?|hasta|fino a|tot|maximal|máximo|massimo)\b"
    r"|jusqu['’]à|\baté)\s*[^\d\s]{0,4}\s*\d"
)
#: ... and a minimum ("from $120k", "$120k+", "ab 60.000 €", "à partir de 45 000 €", "a partir
#: de R$ 8.000", "desde 30.000 €", "vanaf € 4.000", "mindestens 60.000 €").
_FROM_RE = (
    r"\b(?:from|starting at|starts at|min(?:imum)?|at least)\b|\d\s*k?\+"
    # other languages' only before the amount ("AB testing, $120k" states no minimum)
    r"|\b(?:ab|à partir de|a partir de|desde|vanaf|dès|mindestens|minimo|mínimo|au moins"
    r"|minimaal)\s*[^\d\s]{0,4}\s*\d"
)
#: Characters before a stated range, on its line, that may label it (a place, a role, OTE).
LABEL_CHARS = 60
#: Ranges labelled as on-target earnings (sales: base + commission).
_OTE_RE = r"\bote\b|on[- ]target"
#: Nouns that make a label of an amount a role ("Engineering Manager: $195k", "$50k-$75k
#: (Videographer)"), in the singular. A label without one names a place ("SF:", "(London)"),
#: a level alone ("Senior:") or something else ("(Salary + Equity)", "(varies by role)").
_ROLE_NOUNS = (
    r"engineer|engineering|developer|designer|manager|director|head of|architect|analyst"
    r"|scientist|researcher|videographer|writer|editor|marketer|recruiter|exec|executive|ae"
    r"|sdr|bdr|sales|salesperson|specialist|consultant|administrator|technician|intern"
    r"|officer|founder|cto|ceo|cfo|coo|cpo|vp|president|associate|assistant|coordinator"
    r"|producer|artist|devrel|advocate|sre|devops|qa|tester|programmer|accountant|counsel"
    r"|strategist|swe|mts|pm"
)
_ROLE_RE = r"\b(?:" + _ROLE_NOUNS + r")\b"
_ROLE_PLURAL_RE = r"\b(" + _ROLE_NOUNS + r")s\b"
#: A label of an amount: before it, up to a colon ("Senior Engineer: $170k"; from the start
#: of the text or a separator), or after it, in parentheses ("$50k-$75k base (Videographer)").
_AMOUNT_LABEL_RE = (
    r"(?:^|[;,\n•|])[^;,\n•|:0-9$£€¥₹]{2,60}:\s*[^\s0-9]{0,4}\s*[0-9]"
    r"|[0-9][^;()0-9]{0,40}\([^()0-9]{2,60}\)"
)


def _several_roles(text: pl.Expr) -> pl.Expr:
    """Whether ``text`` gives amounts for two or more different roles: labels of amounts
    (:data:`_AMOUNT_LABEL_RE`) naming roles (:data:`_ROLE_NOUNS`) that differ in their role
    nouns. ``Engineering Manager: $195k, Senior Engineer: $170k`` and ``$170-225k (Senior
    Backend Engineer), $120-350k OTE (Account Exec)`` do; ``Senior Engineer: $150k-$180k;
    Staff Engineer: $180k-$220k`` (levels of one role), ``Engineers in NYC: $150k; Engineers
    in SF: $160k`` (places) and ``$200k (SF), £150k (London), OTE $280k (Sales)`` (one role
    named) do not: those are read as before (the per-location rule). The posting's pay is none
    of several roles' (in the Hacker News thread a post's title lists all its roles): no
    pay, counted as ``several_roles``."""
    label = pl.element()
    name = (
        pl.when(label.str.ends_with(")"))
        .then(label.str.extract(r"\(([^()]*)\)$", 1))
        .otherwise(label.str.extract(r"([^;,\n•|:]*):", 1))
        .str.replace_all(_ROLE_PLURAL_RE, "$1")
    )
    role = name.str.extract_all(_ROLE_RE).list.sort().list.join(" ")
    roles = (
        text.str.to_lowercase()
        .str.extract_all(_AMOUNT_LABEL_RE)
        .list.eval(role.filter(role != ""))
        .list.n_unique()
    )
    return (roles >= 2).fill_null(False)


def _decimal_point(text: pl.Expr) -> pl.Expr:
    """``text`` with each decimal comma of an amount a dot (:data:`_DECIMAL_COMMA_RE`:
    ``"€30,50 - €40,50"`` -> ``"€30.50 - €40.50"``), in the pay text and in the text stated
    ranges are looked for alike. Only values with a comma before one or two last digits are
    rewritten (:func:`~newsletter.data.ingest.text.only_where`): the pattern's groups make it
    slow, and few values hold one (every description of a 250,000-row week through it: the
    pay stage 1.64 s CPU, against 1.51 s gated)."""
    return only_where(
        text,
        text.str.contains(r"[0-9],[0-9]{1,2}(?:[^0-9]|$)"),
        lambda t: t.str.replace_all(_DECIMAL_COMMA_RE, "$1$2.$3$4").str.replace_all(
            _DECIMAL_COMMA_RE, "$1$2.$3$4"
        ),
    )


def _estimated(text: pl.Expr, predicted: pl.Expr) -> pl.Expr:
    """Whether pay is a site's estimate rather than the employer's (lower-case pay ``text``,
    :data:`_ESTIMATE_RE`; or a ``predicted`` field that says so, Adzuna's
    ``salary_is_predicted``: ``"1"``, ``true``)."""
    marked = text.str.contains(_ESTIMATE_RE) & ~text.str.contains(_NOT_ESTIMATE_RE)
    said = says_yes(predicted)
    return marked.fill_null(False) | said.fill_null(False)


def _number(text: pl.Expr) -> pl.Expr:
    """A structured amount as a float: ``"$120,000"`` -> 120000.0; non-numbers -> null.

    A single comma before final digits that are not a group of three is a decimal comma, as
    the semicolon CSV of a spreadsheet set to a decimal comma writes it (``"32,5"``,
    ``"94754,50"``, ``"30,7600002288818"``, ``"1.234,50"``, whose dots then group
    thousands): 32.5, never 325 (an hourly 32.5 was read as 676,000 a year). Any other comma
    groups thousands (``"120,000"``). A value without a comma is cast as it is; only those
    with one go through the comma rules (:func:`~newsletter.data.ingest.text.only_where`):
    most structured amounts have none."""
    cleaned = text.str.replace_all(r"[$\s]|usd", "").str.strip_chars()

    def commas(value: pl.Expr) -> pl.Expr:
        decimal = value.str.contains(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+),(?:\d{1,2}|\d{4,})$")
        return (
            pl.when(decimal)
            .then(value.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
            .otherwise(value.str.replace_all(",", "", literal=True))
        )

    with_comma = cleaned.str.contains(",", literal=True)
    return only_where(cleaned, with_comma, commas).cast(pl.Float64, strict=False)


def _scale(suffix: pl.Expr) -> pl.Expr:
    """The factor of an amount's suffix (:data:`_SCALES`): 1 when it has none."""
    return suffix.replace_strict(_SCALES, default=1.0, return_dtype=pl.Float64)


def _period_unit(words: pl.Expr) -> pl.Expr:
    """A period word or label as found (``"/ hr"``, ``"per annum"``, ``"p.a."``, ``"day rate"``,
    ``"bi-weekly"``, ``"jährlich"``) -> its period (``"hour"``, ``"year"``, ...); null when
    none was found."""
    letters = (
        words.str.replace_all(r"\P{L}", "")
        .str.replace(r"^(?:per|pro|par|por|al)", "")
        .str.replace(r"rate$", "")
    )
    return letters.replace_strict(_PERIOD_UNITS, default=None, return_dtype=pl.String)


def _first_match(text: pl.Expr, table: tuple[tuple[str, str], ...]) -> pl.Expr:
    out: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, pattern in reversed(table):
        out = pl.when(text.str.contains(pattern)).then(pl.lit(name)).otherwise(out)
    return out


#: Raw columns that decide the pay of a row; pay is parsed once per distinct combination.
PAY_INPUTS = ("_pay_text", "salary_min", "salary_max", "salary_yearly", "salary_hourly",
              "currency", "period", "salary_predicted")  # fmt: skip
#: What :func:`_parse_distinct` reads from the pay inputs, for :func:`_settled` to finish
#: with the posting's place.
_STATED = ("_lo", "_hi", "_period", "_named", "_from_text", "_parsed", "_had_text", "_roles",
           "_estimated")  # fmt: skip


def _structured(first: str) -> pl.Expr:
    return pl.coalesce(
        _number(pl.col(first)), _number(pl.col("salary_yearly")), _number(pl.col("salary_hourly"))
    )


def _period_given() -> pl.Expr:
    """The period the ``period`` field (or which of ``salary_hourly`` and ``salary_yearly`` is
    given) states, or null."""
    period_field = pl.col("period").str.strip_chars().str.to_lowercase()
    return pl.coalesce(
        period_field.replace_strict(_PERIOD_WORDS, default=None, return_dtype=pl.String),
        # as a period word is read after an amount: "per month", "per annum", "/hr", "p.a."
        # (a monthly 12,000 was taken for 12,000 a year)
        _period_unit(period_field),
        pl.when(pl.col("salary_hourly").is_not_null() & pl.col("salary_yearly").is_null())
        .then(pl.lit("hour"))
        .when(pl.col("salary_yearly").is_not_null())
        .then(pl.lit("year")),
    )


def _currency_field() -> pl.Expr:
    """The ``currency`` field as a code: a sign or a name as in pay text ("$", "€", "C$",
    "Euro") by the same patterns, else a code of three letters as given ("TWD"); other text
    ("US Dollar", "N/A") names none. Never the field verbatim: a sign is no code, and an
    amount in a currency not recognised is never held to the annual range (only to the cap
    of a currency of no known rate)."""
    currency_field = pl.col("currency").str.strip_chars()
    return pl.coalesce(
        _first_match(currency_field.str.to_lowercase(), _CURRENCY_PATTERNS),
        pl.when(currency_field.str.contains(r"^[A-Za-z]{3}$")).then(
            currency_field.str.to_uppercase()
        ),
    )


def _pay_words(text: pl.Expr) -> pl.Expr:
    """Pay text as the pay rules read it: lower case, its dashes one, Japanese words as
    English, decimal commas dots, percentages, numbers that are no amounts and thousands
    separators gone, other languages' ranges read as a dash."""
    return (
        # a JSON object or list (a pay object whose fields no column name knows,
        # {"minValue": ..., "maxValue": ...}) is no text to read amounts from: its first
        # number was read as the pay, the minimum alone
        pl.when(text.str.contains(r"^\s*[\[{]"))
        .then(pl.lit(""))
        .otherwise(text)
        .str.to_lowercase()
        .str.replace_all(r"[–—−]", "-")
        .str.replace_many(_JAPANESE)
        .pipe(_decimal_point)
        .str.replace_all(_PERCENT_RE, "$1 ")
        .str.replace_all(r"every (?:two|2) weeks", "biweekly")
        .str.replace_all(_NOT_PAY_RE, "$1$2$3 ")
        # Indian grouping: "1,20,00,000" (a crore and 20 lakh), "12,00,000" (12 lakh)
        .str.replace_all(r"([0-9]{1,2}),([0-9]{2}),(?:([0-9]{2}),)?([0-9]{3})(?-u:\b)", "$1$2$3$4")
        # thousands separators: commas, Swiss apostrophes ("CHF 120'000") and spaces
        # ("15 000 PLN", "60 000 €"): each was read as 120 or 60 an hour
        .str.replace_all(r"(\d)[,'’ \u00a0\u202f](\d{3})(?-u:\b)", "$1$2")
        .str.replace_all(r"(\d)[,'’ \u00a0\u202f](\d{3})(?-u:\b)", "$1$2")
        # dots between groups of three digits are thousands separators ("€150.000"),
        # never decimals (no pay has three decimals)
        .str.replace_all(r"(\d)\.(\d{3})(?:\b|$)", "$1$2")
        .str.replace_all(r"(\d)\.(\d{3})(?:\b|$)", "$1$2")
        # other languages' ranges: "45000 € à 55000 €", "zwischen 65000 und 80000 €"
        .str.replace_all(_RANGE_WORD_RE, "$1$3$5 -$2$4$6")
    )


_DOLLAR_AT = [name for name, _ in _CURRENCY_PATTERNS].index(_BARE_DOLLAR)
#: :data:`_CURRENCY_PATTERNS` before the bare dollar's, and after it.
_BEFORE_DOLLAR = _CURRENCY_PATTERNS[:_DOLLAR_AT]
_AFTER_DOLLAR = _CURRENCY_PATTERNS[_DOLLAR_AT + 1 :]
#: The pay inputs besides the text: structured amounts, currency, period, an estimate's flag.
_FIELDS = tuple(c for c in PAY_INPUTS if c != "_pay_text")


def _parse_distinct(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Pay inputs (one row per distinct combination) -> what they state (:data:`_STATED`):
    the amounts as written (``_lo`` <= ``_hi``), their period, the currency they name
    (``_named``: a code, :data:`_BARE_DOLLAR`, or null), whether the amounts come from text
    (``_from_text``), whether any was read (``_parsed``), whether there was pay to read
    (``_had_text``), whether the text gives amounts for several roles (``_roles``:
    :func:`_several_roles`) and whether the pay is a site's estimate (``_estimated``:
    :func:`_estimated`). :func:`_settled` makes them pay, given the place.

    One row per input, in any order: the inputs are read in parts, each by the rules it
    needs. The inputs with no field but the text (most: a week of 1,000,000 short postings,
    143,700 of 143,900) are read without the fields' rules, whose values there are known
    (null, false); the rules of the fields read the others. And the currency a text names,
    the first of :data:`_CURRENCY_PATTERNS` that matches, is read by one pass of the
    patterns before the bare dollar together: most texts match none of them, and are a bare
    dollar's when they hold a ``$``, else the first of the patterns after it matches (34
    passes over every text before). (A 200,000-row batch's 48,700 distinct inputs: 0.30 s
    CPU with every rule on every input; 0.23 s without the fields' rules where no field is
    given; 0.22 s with the currency read so too.)"""
    t = pl.col("_t")
    read = (
        lf.with_columns(
            _t=_pay_words(pl.col("_pay_text")),
            _given=pl.any_horizontal(pl.col(c).is_not_null() for c in _FIELDS),
        )
        .with_columns(
            _before=t.str.contains("|".join(p for _, p in _BEFORE_DOLLAR)).fill_null(False),
            _dollar=t.str.contains(_CURRENCY_PATTERNS[_DOLLAR_AT][1]).fill_null(False),
        )
        .collect(engine="in-memory")  # read once: each part below filters it
        .lazy()
    )
    given, before, dollar = pl.col("_given"), pl.col("_before"), pl.col("_dollar")
    no_field = (
        pl.lit(None, dtype=pl.Float64).alias("_s_lo"),
        pl.lit(None, dtype=pl.Float64).alias("_s_hi"),
        pl.lit(None, dtype=pl.String).alias("_p_field"),
        pl.lit(None, dtype=pl.String).alias("_c_field"),
    )
    parts = (
        read.filter(given).with_columns(
            _s_lo=_structured("salary_min"),
            _s_hi=_structured("salary_max"),
            _p_field=_period_given(),
            _c_field=_currency_field(),
            _c_text=_first_match(t, _CURRENCY_PATTERNS),
        ),
        read.filter(~given & before).with_columns(
            *no_field, _c_text=_first_match(t, _BEFORE_DOLLAR)
        ),
        read.filter(~given & ~before & dollar).with_columns(
            *no_field, _c_text=pl.lit(_BARE_DOLLAR)
        ),
        read.filter(~given & ~before & ~dollar).with_columns(
            *no_field, _c_text=_first_match(t, _AFTER_DOLLAR)
        ),
    )
    return _stated(pl.concat(parts, how="vertical"))


def _stated(lf: pl.LazyFrame) -> pl.LazyFrame:
    """:func:`_parse_distinct` of inputs read into ``_t`` (:func:`_pay_words`), with what
    their fields state: the structured amounts (``_s_lo``, ``_s_hi``: :func:`_structured`),
    period (``_p_field``: :func:`_period_given`) and currency (``_c_field``:
    :func:`_currency_field`), and the currency their text names (``_c_text``:
    :func:`_first_match` of :data:`_CURRENCY_PATTERNS`)."""
    t = pl.col("_t")
    rng, one = pl.col("_rng"), pl.col("_one")
    a_sfx, b_sfx = rng.struct.field("2"), rng.struct.field("5")
    a_raw = rng.struct.field("1").cast(pl.Float64, strict=False)
    # "120-150k": the suffix of the second number applies to a small first number
    a = (
        pl.when(a_sfx.is_null() & b_sfx.is_not_null() & (a_raw < 1000))
        .then(a_raw * _scale(b_sfx))
        .otherwise(a_raw * _scale(a_sfx))
    )
    b_raw = rng.struct.field("4").cast(pl.Float64, strict=False)
    # ... and the suffix of the first to a small second ("$100k-120", "$100K - 120": read as
    # 120 to 100,000, ten times apart, no pay)
    b = (
        pl.when(b_sfx.is_null() & a_sfx.is_not_null() & (b_raw < 1000))
        .then(b_raw * _scale(a_sfx))
        .otherwise(b_raw * _scale(b_sfx))
    )
    one_sfx = one.struct.field("2")
    single = one.struct.field("1").cast(pl.Float64, strict=False) * _scale(one_sfx)
    # the period stated with the amounts read: a label before them, else a word after the
    # range (or after its first amount: "$90/hr - $120/hr"), else after the single amount
    after = pl.when(a.is_not_null()).then(rng.struct.field("6")).otherwise(one.struct.field("3"))
    period_stated = pl.coalesce(
        _period_unit(t.str.extract(_PERIOD_BEFORE_RE, 1)),
        _period_unit(after.str.extract(_PERIOD_AFTER_RE, 1)),
        _period_unit(rng.struct.field("3").str.extract(_PERIOD_AFTER_RE, 1)),
    )
    # "$200k salary - $400k total compensation": a base and a total, not a range (the total
    # holds equity and bonus): the base is the pay
    base_to_total = rng.struct.field("3").str.contains(
        r"\b(?:base|basic|salary)\b"
    ) & rng.struct.field("6").str.contains(r"^\s*(?:total|tc\b|ote\b|on[- ]target)")
    # a minus sign on the first number ("-5", "$-50,000", "usd -120000"; not the dash of
    # "doe - 120k"): a negative amount is no pay
    negative = t.str.contains(r"^(?:[^0-9]*[^a-z0-9])?-[$£€¥₹]?[0-9]")
    up_to = t.str.contains(_UP_TO_RE)
    from_ = t.str.contains(_FROM_RE)
    structured_lo, structured_hi = pl.col("_s_lo"), pl.col("_s_hi")
    has_structured = structured_lo.is_not_null() | structured_hi.is_not_null()
    lo, hi = pl.col("_lo"), pl.col("_hi")
    return (
        lf.with_columns(_rng=t.str.extract_groups(_RANGE_RE), _one=t.str.extract_groups(_ONE_RE))
        .with_columns(
            _lo=pl.when(has_structured)
            .then(structured_lo)
            .when(negative)
            .then(None)
            .when(a.is_not_null())
            .then(a)
            .when(up_to & ~from_)
            .then(None)
            .otherwise(single),
            _hi=pl.when(has_structured)
            .then(structured_hi)
            .when(negative)
            .then(None)
            .when(base_to_total)
            .then(a)
            .when(a.is_not_null())
            .then(b)
            .when(from_ & ~up_to)
            .then(None)
            .otherwise(single),
            _period=pl.coalesce(pl.col("_p_field"), period_stated),
            _named=pl.coalesce(
                pl.col("_c_field"),
                pl.col("_c_text"),
                # an amount in lakh or crore is Indian where no currency is named ("35-100L")
                pl.when(
                    pl.any_horizontal(sfx.is_in(_INDIAN) for sfx in (a_sfx, b_sfx, one_sfx))
                ).then(pl.lit("INR")),
            ),
            _from_text=~has_structured,
            _roles=~has_structured & _several_roles(t),
            _had_text=pl.col("_pay_text").is_not_null()
            | has_structured
            | pl.col("salary_min").is_not_null()
            | pl.col("salary_max").is_not_null(),
        )
        .with_columns(_estimated=pl.col("_had_text") & _estimated(t, pl.col("salary_predicted")))
        .with_columns(
            _lo=pl.when(lo > hi).then(hi).otherwise(lo),
            _hi=pl.when(lo > hi).then(lo).otherwise(hi),
            _parsed=lo.is_not_null() | hi.is_not_null(),
        )
        .with_columns(
            _period=pl.coalesce(
                pl.col("_period"),
                pl.when(pl.max_horizontal(lo, hi) < HOURLY_BELOW)
                .then(pl.lit("hour"))
                .when(pl.max_horizontal(lo, hi) >= MIN_ANNUAL)
                .then(pl.lit("year")),
            ),
        )
        .select(*PAY_INPUTS, *_STATED)
    )


_NOT_SITE = pl.lit(False)
_NO_CURRENCY = pl.lit(None, dtype=pl.String)


def _site_country(url: pl.Expr) -> pl.Expr:
    """The country code of the job board's country site a posting link is on
    (:data:`COUNTRY_SITE_RE`: ``https://www.adzuna.co.uk/details/1`` -> ``"GB"``); null for
    any other link. Only links naming the board are searched."""
    board = url.str.contains("adzuna", literal=True).fill_null(False)
    code = only_where(url.fill_null(""), board, lambda u: u.str.extract(COUNTRY_SITE_RE, 1))
    return pl.when(board).then(code.str.to_uppercase()).replace(_SITE_COUNTRIES)


def _settled(
    lf: pl.LazyFrame,
    place: pl.Expr,
    site: pl.Expr = _NOT_SITE,
    site_currency: pl.Expr = _NO_CURRENCY,
) -> pl.LazyFrame:
    """``lf`` with what its pay inputs state (:data:`_STATED`) as pay, given ``place``: the
    currency of the posting's country (:func:`place_currencies`; null: unknown), ``site``:
    whether the posting comes from a job board's country site (:data:`COUNTRY_SITE_RE`), and
    ``site_currency``: that country's currency (null: unknown, or no such site). The currency
    is the one named; a bare dollar sign is the dollar of the site's country, else of the
    place, where it pays in one of :data:`LOCAL_DOLLARS`, else the US dollar; amounts that
    name none, read from text or from a country site's fields, are in the site's currency,
    else the place's; else, from a country site, unknown (no pay), and US dollars otherwise.
    Then the amounts are made annual and held to the
    range (or cap) of their currency; text giving amounts for several roles, and a site's
    estimate, are no pay. Adds
    ``_salary_min``, ``_salary_max``, ``_salary_mid``, ``_currency``, ``currency_source``
    (:data:`CURRENCY_SOURCES`) and ``pay_status``. (Step by step: each expression reads
    columns, never a copy of another's expression.)"""
    named, period, cur = pl.col("_named"), pl.col("_period"), pl.col("_currency")
    local = pl.coalesce(site_currency, place)
    unstated = pl.col("_from_text") | site
    # where the currency comes from decides it (CURRENCY_SOURCES): one decision, two columns
    source = (
        pl.when((named == _BARE_DOLLAR) & local.is_in(LOCAL_DOLLARS))
        .then(pl.lit("place_dollar"))
        .when(named.is_not_null())
        .then(pl.lit("named"))
        .when(unstated & site_currency.is_not_null())
        .then(pl.lit("site"))
        .when(unstated & place.is_not_null())
        .then(pl.lit("place"))
        .when(~site)
        .then(pl.lit("assumed_usd"))
    )
    said = pl.col("currency_source")
    currency = (
        pl.when(said.is_in(["place_dollar", "site"]))
        .then(local)
        .when(said == "place")
        .then(place)
        .when((said == "named") & (named != _BARE_DOLLAR))
        .then(named)
        .when(said.is_not_null())
        .then(pl.lit("USD"))
    )
    factor = pl.col("_factor")
    lo, hi = pl.col("_salary_min"), pl.col("_salary_max")
    in_range = (lo.is_null() | lo.is_between(MIN_ANNUAL, MAX_ANNUAL)) & (
        hi.is_null() | hi.is_between(MIN_ANNUAL, MAX_ANNUAL)
    )
    cap = cur.replace_strict(_ANNUAL_CAP, default=_UNKNOWN_CAP, return_dtype=pl.Float64)
    ok = pl.col("_ok")
    return (
        lf.with_columns(currency_source=source)
        .with_columns(_currency=currency)
        .with_columns(
            _factor=pl.when((period == "hour") & (cur == "GBP"))
            .then(UK_HOURS_PER_YEAR)
            .otherwise(period.replace_strict(PERIOD_FACTORS, default=None, return_dtype=pl.Float64))
        )
        .with_columns(_salary_min=pl.col("_lo") * factor, _salary_max=pl.col("_hi") * factor)
        .with_columns(
            _ok=pl.col("_parsed")
            & cur.is_not_null()
            & ~pl.col("_roles")
            & ~pl.col("_estimated")
            & factor.is_not_null()
            & (lo.is_null() | (lo > 0))
            & pl.when(cur.is_in(RANGE_CHECKED))
            .then(in_range)
            .otherwise(pl.max_horizontal(lo, hi) <= cap)
            & (lo.is_null() | hi.is_null() | (hi <= lo * MAX_SPREAD))
        )
        .with_columns(
            _salary_min=pl.when(ok).then(lo),
            _salary_max=pl.when(ok).then(hi),
            _salary_mid=pl.when(ok).then(pl.mean_horizontal(lo, hi)),
            _currency=pl.when(ok).then(cur),
            currency_source=pl.when(ok).then("currency_source"),
            pay_status=pl.when(ok)
            .then(pl.lit("ok"))
            .when("_estimated")
            .then(pl.lit("estimated"))
            .when("_roles")
            .then(pl.lit("several_roles"))
            .when(pl.col("_parsed") & cur.is_null())  # a country site's, currency unknown
            .then(pl.lit("unparsed"))
            .when("_parsed")
            .then(pl.lit("out_of_range"))
            .when("_had_text")
            .then(pl.lit("unparsed"))
            .otherwise(pl.lit("none")),
        )
        .drop("_factor", "_ok")
    )


def period_of(label: str | None, high: float) -> str:
    """The period of a structured range that states none (Greenhouse's ``pay_input_ranges``):
    hourly when its label says so or its top is under :data:`HOURLY_BELOW`, else yearly."""
    hourly = high < HOURLY_BELOW or "hour" in (label or "").lower()
    return "hour" if hourly else "year"


def pay_lines(ranges: list[tuple[str | None, float, float, str, str]]) -> str:
    """Structured per-location pay (``(label, min, max, currency, period)``, e.g. Greenhouse
    ``pay_input_ranges``, Ashby compensation tiers) as labelled lines that :func:`parse_pay`
    reads with the same per-location rule as pay stated in a description."""
    lines = []
    for label, lo, hi, currency, period in ranges:
        amount = "{:,.2f}" if period == "hour" else "{:,.0f}"
        head = f"{label}: " if label else ""
        lines.append(
            f"{head}{amount.format(lo)} - {amount.format(hi)} {currency.upper()} per {period}"
        )
    return "\n".join(lines)


def _city(location: pl.Expr) -> pl.Expr:
    """The first place of a posting's location, lower case, without its region:
    ``"New York, NY; Seattle, WA"`` -> ``"new york"``."""
    first = location.str.split(";").list.first().str.split(",").list.first()
    city = first.str.to_lowercase().str.strip_chars()
    return pl.when(city.str.len_chars() >= 3).then(city)


_SCRATCH = (
    "salary",
    "_ranges",
    "_row",
    "_place_cur",
)


def _range_source() -> pl.Expr:
    """Where stated ranges are looked for: the salary text, else the description, with its
    decimal commas read as in pay text (:func:`_decimal_point`: a description's ``€30,50 -
    €40,50 per hour`` was no range, as :data:`DESCRIPTION_PAY_RE` knows a decimal point)."""
    return _decimal_point(pl.coalesce(pl.col("salary"), pl.col("description")))


#: The columns :func:`_per_location` returns.
_PER_LOCATION = {
    "_row": pl.UInt32, "_m_roles": pl.Boolean, "_m_min": pl.Float64, "_m_max": pl.Float64,
    "_m_mid": pl.Float64, "_m_currency": pl.String, "_m_currency_source": pl.String,
}  # fmt: skip


def _per_location(
    with_text: pl.DataFrame, site: pl.Expr = _NOT_SITE, site_currency: pl.Expr = _NO_CURRENCY
) -> pl.DataFrame:
    """Pay of rows that state several ranges (``_ranges``), by the per-location rule:

    1. ranges labelled as on-target earnings (OTE) are left out when a base range is stated;
    2. the range whose label (the text before it on its line) names the city of the posting's
       location is the posting's pay;
    3. else the span of all listed ranges: the lowest minimum to the highest maximum, among
       the ranges in the currency of the first one.

    A text whose ranges are for several roles (:func:`_several_roles`) has none of them:
    ``_m_roles``. Returns ``_row`` with the chosen pay columns and ``_m_roles``; rows with
    fewer than two ranges are absent. Each range text is parsed once
    (:func:`_parse_distinct`), however many rows state it. ``site`` and ``site_currency``
    are as :func:`_settled` takes them.
    """
    if not with_text.select((pl.col("_ranges").list.len() >= 2).any()).item():
        # most batches: none (the steps below cost 0.03 s CPU a 200,000-row batch on none)
        return pl.DataFrame(schema=_PER_LOCATION)
    before = pl.col("_text").str.split(pl.col("_pay_text")).list.first()
    rows = (
        with_text.lazy()
        .filter(pl.col("_ranges").list.len() >= 2)
        .select(
            "_row",
            "location",
            "_place_cur",
            "_ranges",
            _text=_range_source(),
            _site=site,
            _site_cur=site_currency,
        )
        .with_columns(_m_roles=_several_roles(pl.col("_text")))
        .collect(engine="in-memory")
    )
    pieces = (
        rows.lazy()
        .filter(~pl.col("_m_roles"))
        .explode("_ranges")
        .rename({"_ranges": "_pay_text"})
        .with_columns(
            # the last LABEL_CHARS characters of the last line (tail first: a short split)
            _label=before.str.tail(LABEL_CHARS).str.split("\n").list.last().str.to_lowercase(),
            _city=_city(pl.col("location")),
        )
        .with_columns(
            _hit=pl.col("_city").is_not_null()
            & pl.col("_label").str.contains(pl.col("_city"), literal=True).fill_null(False),
            _ote=pl.col("_label").str.contains(_OTE_RE).fill_null(False),
        )
        .collect(engine="in-memory")
    )
    inputs = [c for c in PAY_INPUTS if c != "_pay_text"]
    texts = pieces.select(pl.col("_pay_text").unique()).with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in inputs
    )
    parsed = _parse_distinct(texts.lazy()).drop(inputs).collect(engine="in-memory")
    values = (
        pieces.join(parsed, on="_pay_text", how="left", maintain_order="left")
        .lazy()
        .pipe(_settled, pl.col("_place_cur"), pl.col("_site"), pl.col("_site_cur"))
        .filter(pl.col("pay_status") == "ok")
        .filter(~pl.col("_ote") | pl.col("_ote").all().over("_row"))
        .filter(pl.col("_currency") == pl.col("_currency").first().over("_row"))
    )
    chosen = values.group_by("_row").agg(
        _any_hit=pl.col("_hit").any(),
        _hit_min=pl.col("_salary_min").filter("_hit").first(),
        _hit_max=pl.col("_salary_max").filter("_hit").first(),
        _span_min=pl.col("_salary_min").min(),
        _span_max=pl.col("_salary_max").max(),
        _m_currency=pl.col("_currency").first(),
        _m_currency_source=pl.col("currency_source").first(),
    )
    lo = pl.when("_any_hit").then("_hit_min").otherwise("_span_min")
    hi = pl.when("_any_hit").then("_hit_max").otherwise("_span_max")
    picked = chosen.select(
        "_row",
        _m_min=lo,
        _m_max=hi,
        _m_mid=pl.mean_horizontal(lo, hi),
        _m_currency=pl.col("_m_currency"),
        _m_currency_source=pl.col("_m_currency_source"),
    ).collect(engine="in-memory")
    return rows.select("_row", "_m_roles").join(
        picked, on="_row", how="left", maintain_order="left"
    )


#: What :func:`_per_location` picks for a row (dropped once read).
_PICKED = ("_m_min", "_m_max", "_m_mid", "_m_currency", "_m_currency_source", "_m_roles")


def _picked(settled: pl.LazyFrame, rows: pl.DataFrame, several: pl.DataFrame) -> pl.LazyFrame:
    """``settled`` pay with the per-location pick (:func:`_per_location`, for the rows ``_row``
    of ``rows`` it names) in place of the pay of the first range."""
    picks = rows.join(several, on="_row", how="left", maintain_order="left").drop("_row")
    # a site's estimate is no pay, whatever its ranges (status "estimated", from _settled)
    estimated = pl.col("pay_status") == "estimated"
    pick = ~estimated & (pl.col("_m_min").is_not_null() | pl.col("_m_max").is_not_null())
    roles = ~estimated & pl.col("_m_roles").fill_null(False)
    return pl.concat([settled, picks.lazy()], how="horizontal").with_columns(
        # the ranges of a text for several roles (a description's) are no pay, and
        # neither is its first range, read alone as the pay text
        *(
            pl.when(pick).then(chosen).when(~roles).then(own).alias(own)
            for own, chosen in (
                ("_salary_min", "_m_min"),
                ("_salary_max", "_m_max"),
                ("_salary_mid", "_m_mid"),
                ("_currency", "_m_currency"),
                ("currency_source", "_m_currency_source"),
            )
        ),
        pay_status=pl.when(pick)
        .then(pl.lit("ok"))
        .when(roles)
        .then(pl.lit("several_roles"))
        .otherwise("pay_status"),
    )


def parse_pay(
    lf: pl.LazyFrame, currencies: Mapping[str, str] | None = None, memo: Memo | None = None
) -> pl.LazyFrame:
    """Add ``salary_min``, ``salary_max``, ``salary_mid`` (annual), ``currency``,
    ``currency_source`` (where the currency came from: :data:`CURRENCY_SOURCES`) and
    ``pay_status`` from the raw pay columns (replacing the raw ones). ``currencies``
    (:func:`place_currencies`) gives the currency of each ``country`` code: the currency of
    pay text that names none, and whose dollar a bare ``$`` is; without it, US dollars. The
    country of a job board's country site (the ``url``'s, :data:`COUNTRY_SITE_RE`) comes
    first, and its currency is that of its pay fields too.

    Pay text is the ``salary`` field (entities decoded), else (when no structured pay
    either) the first pay range, or labelled amount, stated in the (plain-text)
    ``description`` (:data:`DESCRIPTION_PAY_RE`); it is parsed once
    per distinct set of pay inputs (of the run, with ``memo``: :class:`~.lookup.Memo`) and
    joined back. When the text states two or more ranges (pay per location),
    :func:`_per_location` decides."""
    no_structured = (
        pl.col("salary_min").is_null()
        & pl.col("salary_max").is_null()
        & pl.col("salary_yearly").is_null()
        & pl.col("salary_hourly").is_null()
    )
    salary = plain_text(pl.col("salary"))

    def currency_of(country: pl.Expr) -> pl.Expr:
        if not currencies:
            return pl.lit(None, dtype=pl.String)
        return country.replace_strict(currencies, default=None, return_dtype=pl.String)

    with_text = (
        lf.with_columns(salary=salary, _place_cur=currency_of(pl.col("country")))
        .with_columns(
            _ranges=pl.when(no_structured).then(_range_source().str.extract_all(DESCRIPTION_PAY_RE))
        )
        .with_columns(_pay_text=pl.coalesce(pl.col("salary"), pl.col("_ranges").list.first()))
        .with_row_index("_row")
        .collect(engine="in-memory")  # read three times below: extract the ranges once
    )
    # a job board's country site (COUNTRY_SITE_RE): looked for only where a link names one
    site, site_currency = _NOT_SITE, _NO_CURRENCY
    if with_text.select(pl.col("url").str.contains("adzuna", literal=True).any()).item():
        code = _site_country(pl.col("url"))
        with_text = with_text.with_columns(_site=code.is_not_null(), _site_cur=currency_of(code))
        site, site_currency = pl.col("_site"), pl.col("_site_cur")
    # Frames are collected on the in-memory engine: the default streaming engine runs these
    # steps on a frame already in memory markedly slower (the parse of the distinct inputs
    # of a 200,000-row batch 0.29 s against 0.22 s, the left join of their keys 0.10 s against
    # 0.04 s). The joins run eagerly, on the key columns only.
    keys = with_text.select(PAY_INPUTS)

    def parsed(inputs: pl.DataFrame) -> pl.DataFrame:
        return _parse_distinct(inputs.lazy()).collect(engine="in-memory")

    inputs = keys.unique()
    distinct = parsed(inputs) if memo is None else memo.values("pay", inputs, parsed)
    values = keys.join(
        distinct, on=PAY_INPUTS, how="left", nulls_equal=True, maintain_order="left"
    ).drop(PAY_INPUTS)
    settled = (
        pl.concat([with_text, values], how="horizontal")
        .lazy()
        .pipe(_settled, pl.col("_place_cur"), site, site_currency)
    )
    several = _per_location(with_text, site, site_currency)
    if not several.is_empty():  # most batches have no row that states two ranges
        settled = _picked(settled, with_text.select("_row"), several)
    return (
        settled.drop(*PAY_INPUTS, *_STATED, *_SCRATCH)
        .drop("_site", "_site_cur", *_PICKED, strict=False)
        .rename({f"_{c}": c for c in ("salary_min", "salary_max", "salary_mid", "currency")})
        .collect(engine="in-memory")
        .lazy()
    )
