"""Raw exports of job postings in shapes the project's own generator does not make.

Used by ``bench_ingest.py`` (and ``bench_scale.py``) to find where ingest time goes on varied
input, not on one generator's habits. Every shape is seeded and built with polars
expressions (no Python loop per row), so 10,000,000 rows take seconds, chunk by chunk:

- ``html``: Greenhouse-style postings. Descriptions of 1.5-4 KB of HTML (headings, lists,
  ``&nbsp;``, ``&rsquo;``, ``&mdash;``, links with attributes); two in five escaped once
  more (``&lt;p&gt;``, as the Greenhouse API sends them), one in fifty with markup the fast
  path leaves to the parser (a table, a comment, unclosed ``<li>``), one in two hundred with
  mojibake (``weâ€™re``). Pay stated in the description, often per location. ~3,000
  companies, ~1,500 location spellings, ~2,000 titles.
- ``short``: aggregator-style rows. Plain descriptions of 80-250 bytes (a few with
  ``&amp;`` or ``AT&T``), ~250,000 distinct companies, ~60,000 distinct location texts
  (cities with ZIP codes, countries, "Remote (US)", "Hybrid - Austin, TX", "London or
  Remote"), ~150,000 distinct titles (requisition numbers, "(Remote)", levels) and pay text
  in two dozen formats (ranges, k, hourly, monthly, per annum, pounds, euros, rupees, "up
  to", "from", "DOE"), with structured min/max on some rows.
- ``synth``: the project's own raw generator (:func:`newsletter.data.synth.write_raw_csv`).

    python benchmarks/shapes.py html /tmp/html.csv 1000000 [START]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl

from newsletter.data.synth import write_raw_csv

#: Rows generated (and written) per chunk: bounds the generator's memory at 10M rows.
CHUNK = 500_000


def _pick(idx: pl.Expr, values: list[str], salt: int) -> pl.Expr:
    """A pseudo-random element of ``values`` per row (a seeded integer hash of the row
    number, stable across polars versions: plain wrapping integer arithmetic)."""
    return pl.lit(pl.Series(values, dtype=pl.String)).gather(_rand(idx, salt) % len(values))


def _rand(idx: pl.Expr, salt: int) -> pl.Expr:
    x = (idx.cast(pl.UInt64) + pl.lit(salt * 0x9E3779B97F4A7C15 % 2**64, pl.UInt64)) * pl.lit(
        0xBF58476D1CE4E5B9, pl.UInt64
    )
    x = (x ^ (x // pl.lit(2**31, pl.UInt64))) * pl.lit(0x94D049BB133111EB, pl.UInt64)
    return x // pl.lit(2**29, pl.UInt64)


def _chance(idx: pl.Expr, salt: int, per_mille: int) -> pl.Expr:
    return (_rand(idx, salt) % 1000) < per_mille


CITIES = [
    ("San Francisco", "CA", "94105"), ("New York", "NY", "10001"), ("Seattle", "WA", "98101"),
    ("Austin", "TX", "78701"), ("Boston", "MA", "02110"), ("Chicago", "IL", "60601"),
    ("Los Angeles", "CA", "90012"), ("Denver", "CO", "80202"), ("Atlanta", "GA", "30303"),
    ("Washington", "DC", "20001"), ("San Jose", "CA", "95113"), ("Mountain View", "CA", "94043"),
    ("Palo Alto", "CA", "94301"), ("Cambridge", "MA", "02139"), ("Pittsburgh", "PA", "15222"),
    ("Raleigh", "NC", "27601"), ("Miami", "FL", "33101"), ("Dallas", "TX", "75201"),
    ("Houston", "TX", "77002"), ("Phoenix", "AZ", "85004"), ("Portland", "OR", "97204"),
    ("San Diego", "CA", "92101"), ("Minneapolis", "MN", "55401"), ("Detroit", "MI", "48226"),
    ("Salt Lake City", "UT", "84101"), ("Philadelphia", "PA", "19103"), ("McLean", "VA", "22102"),
    ("Richmond", "VA", "23219"), ("Columbus", "OH", "43215"), ("Nashville", "TN", "37203"),
]  # fmt: skip
ABROAD = [
    "London, UK", "London, United Kingdom", "Berlin, Germany", "Paris, France",
    "Toronto, ON", "Toronto, Canada", "Bangalore, India", "Bengaluru, Karnataka, India",
    "Singapore", "Amsterdam, Netherlands", "Dublin, Ireland", "Zurich, Switzerland",
    "Tel Aviv, Israel", "Sydney, NSW, Australia", "Tokyo, Japan", "Munich, Germany",
    "Vancouver, BC", "Montreal, QC, Canada", "Stockholm, Sweden", "Warsaw, Poland",
]  # fmt: skip
STEMS = [
    "Machine Learning Engineer", "ML Engineer", "AI Engineer", "LLM Engineer",
    "Data Scientist", "Applied Scientist", "Research Scientist", "Research Engineer",
    "MLOps Engineer", "ML Platform Engineer", "Data Engineer", "Analytics Engineer",
    "Software Engineer, AI", "Backend Engineer, LLM Platform", "AI Product Manager",
    "Product Manager, Machine Learning", "Engineering Manager, ML", "Prompt Engineer",
    "AI Safety Researcher", "Computer Vision Engineer", "NLP Engineer", "Solutions Architect",
    "Business Intelligence Analyst", "Technical Program Manager", "Data Analyst",
    "Member of Technical Staff", "Head of AI", "Director, Data Science", "AI Trainer",
    "Full Stack Engineer", "Site Reliability Engineer", "Security Engineer",
]  # fmt: skip
LEVELS = ["", "", "", "Senior ", "Sr. ", "Staff ", "Principal ", "Junior ", "Lead ",
          "Associate ", "Intern - ", "New Grad "]  # fmt: skip
SUFFIXES = ["", "", "", " II", " III", " (Remote)", " - Hybrid", " (m/w/d)", ", Platform",
            ", Search", " - Contract", " L5"]  # fmt: skip
WORDS = [
    "Acme", "Nimbus", "Vector", "Quantum", "Blue", "River", "Cedar", "Atlas", "Nova", "Pixel",
    "Signal", "Harbor", "Summit", "Orbit", "Lumen", "Forge", "Delta", "Echo", "Pine", "Granite",
    "Helix", "Prism", "Spark", "Tidal", "Arbor", "Beacon", "Cobalt", "Drift", "Ember", "Fjord",
]  # fmt: skip
KINDS = ["Labs", "AI", "Systems", "Health", "Robotics", "Analytics", "Bank", "Energy",
         "Networks", "Bio", "Capital", "Studio", "Logistics", "Cloud", "Data"]  # fmt: skip
LEGAL = ["", "", "", " Inc.", " Inc", ", Inc.", " LLC", " Ltd", " GmbH", " Corp."]
SKILL_WORDS = [
    "Python", "PyTorch", "TensorFlow", "JAX", "Kubernetes", "Docker", "AWS", "GCP", "Azure",
    "SQL", "Spark", "Airflow", "dbt", "Snowflake", "Kafka", "LLMs", "RAG", "LangChain",
    "Hugging Face", "scikit-learn", "pandas", "C++", "Go", "Rust", "Java", "TypeScript",
    "React", "Terraform", "MLflow", "Ray", "CUDA", "vLLM", "Databricks", "Tableau", "R",
]  # fmt: skip


def _company(idx: pl.Expr, distinct: int) -> pl.Expr:
    k = _rand(idx, 11) % distinct
    return pl.concat_str(
        _pick(k, WORDS, 1), _pick(k, KINDS, 2),
        pl.when(k >= len(WORDS) * len(KINDS)).then(pl.lit(" ") + (k // 450).cast(pl.String))
        .otherwise(pl.lit("")),
        _pick(k, LEGAL, 3), separator=" ", ignore_nulls=True,
    ).str.replace_all("  +", " ").str.replace(" ,", ",", literal=True)  # fmt: skip


def _title(idx: pl.Expr, req_every: int) -> pl.Expr:
    req = pl.when(_rand(idx, 21) % req_every == 0).then(
        pl.lit(" - Req ") + (100_000 + _rand(idx, 22) % 900_000).cast(pl.String)
    )
    return pl.concat_str(
        _pick(idx, LEVELS, 23), _pick(idx, STEMS, 24), _pick(idx, SUFFIXES, 25), req,
        ignore_nulls=True,
    )  # fmt: skip


def _us_place(idx: pl.Expr, salt: int) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    c = _rand(idx, salt) % len(CITIES)
    city = pl.lit(pl.Series([x[0] for x in CITIES])).gather(c)
    state = pl.lit(pl.Series([x[1] for x in CITIES])).gather(c)
    zipc = pl.lit(pl.Series([x[2] for x in CITIES])).gather(c)
    return city, state, zipc


REGIONS = ["USA", "Canada", "EMEA", "Europe"]


def _location_short(idx: pl.Expr) -> pl.Expr:
    city, state, zipc = _us_place(idx, 31)
    form = _rand(idx, 32) % 12
    plus4 = (1000 + _rand(idx, 33) % 2000).cast(pl.String)
    other = _pick(idx, ABROAD, 34)
    return (
        pl.when(form == 0).then(city + ", " + state)
        .when(form == 1).then(city + ", " + state + " " + zipc)
        .when(form == 2).then(city + ", " + state + " " + zipc + "-" + plus4)
        .when(form == 3).then(pl.lit("Remote (US)"))
        .when(form == 4).then(pl.lit("Hybrid - ") + city + ", " + state)
        .when(form == 5).then(other)
        .when(form == 6).then(other + " or Remote")
        .when(form == 7).then(city + ", " + state + ", United States")
        .when(form == 8).then("Remote - " + _pick(idx, REGIONS, 35))
        .when(form == 9).then(city + ", " + state + "; " + _pick(idx, ABROAD, 36))
        .when(form == 10).then(pl.lit("Multiple Locations"))
        .otherwise(city.str.to_uppercase() + ", " + state)
    )  # fmt: skip


def _money(x: pl.Expr) -> pl.Expr:
    """12345 -> "12,345" (for whole thousands-ish amounts of 4-7 digits)."""
    s = x.cast(pl.Int64).cast(pl.String)
    n = s.str.len_chars()
    return (
        pl.when(n > 6)
        .then(s.str.slice(0, n - 6) + "," + s.str.slice(n - 6, 3) + "," + s.str.tail(3))
        .when(n > 3).then(s.str.slice(0, n - 3) + "," + s.str.tail(3))
        .otherwise(s)
    )  # fmt: skip


def _pay_text(idx: pl.Expr) -> pl.Expr:
    lo = (60 + _rand(idx, 41) % 160) * 1000
    hi = lo + (10 + _rand(idx, 42) % 90) * 1000
    lk, hk = (lo // 1000).cast(pl.String), (hi // 1000).cast(pl.String)
    hr_lo, hr_hi = (lo // 2080).cast(pl.String), (hi // 2080).cast(pl.String)
    form = _rand(idx, 43) % 26
    forms = [
        "$" + _money(lo) + " - $" + _money(hi), "$" + lk + "K-$" + hk + "K", lk + "k–" + hk + "k",
        lo.cast(pl.String) + "-" + hi.cast(pl.String) + " USD per year",
        "$" + hr_lo + " - $" + hr_hi + " per hour", "$" + hr_lo + "/hr",
        "$" + _money(lo // 12) + "/month", "USD " + _money(lo) + " - " + _money(hi),
        "Up to $" + hk + "K", "From $" + _money(lo), "$" + lk + "k+",
        "£" + _money(lo) + " per annum",
        "€" + lk + "k - €" + hk + "k", "CAD " + _money(lo) + " - " + _money(hi),
        "₹" + (lo // 5000).cast(pl.String) + " LPA",
        "$" + _money(lo) + ".00 - $" + _money(hi) + ".00/yr",
        pl.lit("Competitive"), pl.lit("DOE"), "$" + lk + "-" + hk + "k",
        lk + ",000 to " + hk + ",000",
        "$" + _money(lo) + " &mdash; $" + _money(hi) + " USD",
        "Between $" + lk + "k and $" + hk + "k",
        "$" + _money(lo), "$" + hr_lo + "-" + hr_hi + "/h", "€" + _money(lo) + " brutto/Jahr",
        "$" + _money(lo) + " - $" + _money(hi) + " + equity",
    ]  # fmt: skip
    out: pl.Expr = pl.lit(None, dtype=pl.String)
    for i, f in reversed(list(enumerate(forms))):
        out = pl.when(form == i).then(f).otherwise(out)
    return out


BLURBS = [
    "Build and ship models used by millions.", "Own the data platform end to end.",
    "Work with research & product on LLM features.", "Help customers like AT&T scale ML.",
    "Small team, real impact, kind feedback.", "You write clear code and measure carefully.",
]  # fmt: skip


def short_frame(start: int, n: int) -> pl.DataFrame:
    """Aggregator rows: short plain text, many companies and places, varied pay."""
    idx = pl.int_range(start, start + n, dtype=pl.Int64)
    sk = pl.concat_str(_pick(idx, SKILL_WORDS, 51), _pick(idx, SKILL_WORDS, 52),
                       _pick(idx, SKILL_WORDS, 53), separator=", ")  # fmt: skip
    structured = _chance(idx, 61, 120)
    pay = pl.when(_chance(idx, 62, 550) & ~structured).then(_pay_text(idx))
    lo = (60 + _rand(idx, 41) % 160) * 1000
    frame = pl.select(
        id=pl.when(idx % 250 == 249).then(idx - 1).otherwise(idx).cast(pl.String),
        title=pl.when(idx % 997 == 3).then(pl.lit("")).otherwise(_title(idx, 7)),
        company=pl.when(idx % 1009 == 5).then(None).otherwise(_company(idx, 250_000)),
        location=pl.when(_chance(idx, 63, 30)).then(None).otherwise(_location_short(idx)),
        salary=pay,
        salary_min=pl.when(structured).then(lo.cast(pl.String)),
        salary_max=pl.when(structured).then((lo + 30_000).cast(pl.String)),
        currency=pl.when(structured).then(pl.lit("USD")),
        description=pl.concat_str(
            _pick(idx, BLURBS, 54),
            pl.lit(" Stack: "),
            sk,
            pl.lit(". "),
            (1 + _rand(idx, 55) % 9).cast(pl.String),
            pl.lit("+ years of experience. "),
            _pick(idx, BLURBS, 56),
        ),
        posted_at=pl.lit("2026-11-") + (16 + _rand(idx, 57) % 7).cast(pl.String),
        url=pl.lit("https://jobs.example.org/p/") + idx.cast(pl.String),
    )
    return frame


HTML_INTRO = [
    "<div class=\"content-intro\"><p><strong>About us</strong></p><p>We&rsquo;re building "
    "reliable AI systems for people who can&rsquo;t afford surprises. Our team of 200 works "
    "across research &amp; engineering.</p></div>",
    "<p><strong>Who we are</strong></p><p>Our mission is to make machine learning useful, "
    "safe and boring&nbsp;&mdash; in the best way. We ship every week.</p>",
    "<h2>About the company</h2><p>We are a fast-growing team (Series&nbsp;C) backed by "
    "<a href=\"https://example.com/?a=1&amp;b=2\" target=\"_blank\">great investors</a>.</p>",
]  # fmt: skip
HTML_ROLE = [
    "<h3>What you&rsquo;ll do</h3><ul><li>Design, train and evaluate models with "
    "<strong>PyTorch</strong> and JAX</li><li>Build data pipelines on Spark &amp; "
    "Airflow</li><li>Deploy services on Kubernetes in AWS</li><li>Partner with product "
    "to define metrics&hellip;</li></ul>",
    "<h3>Responsibilities</h3><ul><li><p>Own our retrieval stack (RAG, vector databases, "
    "LangChain)</p></li><li><p>Fine-tune LLMs with LoRA and measure them carefully</p></li>"
    "<li><p>Write clear design docs</p></li></ul>",
    "<h3>The role</h3><p>You will join the platform team and work on model serving with "
    "vLLM, Triton and CUDA. You&#39;ll also mentor engineers.</p><p>Tools: Python, Go, "
    "Terraform, Docker.</p>",
]  # fmt: skip
HTML_REQS = [
    "<h3>You might be a fit if you have</h3><ul><li>5+ years of experience in machine "
    "learning</li><li>Strong Python &amp; SQL</li><li>Experience with Snowflake or "
    "Databricks</li></ul>",
    "<h3>Requirements</h3><ul><li>3+ years of professional experience</li><li>Fluency "
    "in Python, C++ or Rust</li><li>Bonus: Ray, MLflow, Kafka</li></ul>",
    "<p><strong>Qualifications</strong></p><ul><li>BS/MS in CS or a related field</li>"
    "<li>8+ years of software experience, including 3+ years with ML systems</li></ul>",
]  # fmt: skip
HTML_BENEFITS = (
    "<h3>Benefits</h3><ul><li>Medical, dental &amp; vision</li><li>401(k) with a 4% "
    "match</li><li>Flexible PTO&nbsp;&ndash; take what you need</li><li>$2,000 yearly "
    'learning budget</li></ul><div class="content-conclusion"><p><em>We are an equal '
    "opportunity employer. All qualified applicants will receive consideration for "
    "employment without regard to race, color, religion, sex, sexual orientation, gender "
    "identity, national origin, disability or veteran status.</em></p><p>Please read our "
    '<a href="https://example.com/privacy">privacy notice</a> &copy; 2026.</p></div>'
)
#: Markup the fast path leaves to the parser (1 in 50 rows).
HTML_ODD = [
    "<table><tr><td>Level</td><td>Senior</td></tr></table>",
    "<!-- edited in Word --><p>Hybrid, 3 days a week</p>",
    "<ul><li>Python<li>SQL<li>Spark</ul>",
    "<p>First<p>Second<div>Third</div>",
]  # fmt: skip


def _html_pay(idx: pl.Expr, city: pl.Expr, state: pl.Expr) -> pl.Expr:
    lo = (120 + _rand(idx, 71) % 120) * 1000
    hi = lo + (30 + _rand(idx, 72) % 60) * 1000
    form = _rand(idx, 73) % 6
    one = (
        "<p>The base salary range for this role is $" + _money(lo) + " &mdash; $"
        + _money(hi) + " USD.</p>"
    )  # fmt: skip
    per_loc = (
        "<p>The salary range depends on location:</p><p>" + city + ", " + state + ": $"
        + _money(lo) + " - $" + _money(hi) + "</p><p>New York, NY: $" + _money(lo + 15_000)
        + " - $" + _money(hi + 15_000) + "</p><p>Remote (US): $" + _money(lo - 10_000)
        + " - $" + _money(hi - 10_000) + "</p>"
    )  # fmt: skip
    return (
        pl.when(form <= 1).then(one)
        .when(form == 2).then(per_loc)
        .when(form == 3).then("<p>Compensation: $" + (lo // 2080).cast(pl.String) + "/hr - $"
                              + (hi // 2080).cast(pl.String) + "/hr</p>")
        .when(form == 4).then("<p>Base pay: " + (lo // 1000).cast(pl.String) + "k-"
                              + (hi // 1000).cast(pl.String) + "k USD + equity</p>")
        .otherwise(pl.lit(""))
    )  # fmt: skip


def html_frame(start: int, n: int) -> pl.DataFrame:
    """Greenhouse-style rows: long HTML descriptions (some escaped), pay in the text."""
    idx = pl.int_range(start, start + n, dtype=pl.Int64)
    city, state, _ = _us_place(idx, 81)
    body = pl.concat_str(
        _pick(idx, HTML_INTRO, 82), _pick(idx, HTML_ROLE, 83),
        pl.when(_chance(idx, 84, 20)).then(_pick(idx, HTML_ODD, 85)).otherwise(pl.lit("")),
        _pick(idx, HTML_REQS, 86), pl.lit("<p>Req ") + idx.cast(pl.String) + pl.lit("</p>"),
        _html_pay(idx, city, state), pl.lit(HTML_BENEFITS),
        pl.when(_chance(idx, 87, 400)).then(pl.lit(HTML_BENEFITS)).otherwise(pl.lit("")),
    )  # fmt: skip
    mojibake = body.str.replace("We&rsquo;re", "We\u00e2\u20ac\u2122re", literal=True)
    body = pl.when(_chance(idx, 88, 5)).then(mojibake).otherwise(body)
    escaped = (
        body.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
    )
    remote = _chance(idx, 89, 150)
    return pl.select(
        id=pl.when(idx % 300 == 299).then(idx - 1).otherwise(idx).cast(pl.String),
        title=pl.when(idx % 1999 == 7).then(None).otherwise(_title(idx, 40)),
        company=_company(idx, 3_000),
        location=pl.when(remote).then(pl.lit("Remote - US"))
        .when(_chance(idx, 90, 100)).then(city + ", " + state + "; New York, NY")
        .otherwise(city + ", " + state),
        description=pl.when(_chance(idx, 91, 400)).then(escaped).otherwise(body),
        posted_at=pl.lit("2026-11-") + (16 + _rand(idx, 92) % 7).cast(pl.String) + "T09:30:00Z",
        url=pl.lit("https://boards.example.com/jobs/") + idx.cast(pl.String),
    )  # fmt: skip


SHAPES: dict[str, Callable[[int, int], pl.DataFrame]] = {"html": html_frame, "short": short_frame}


def write_shape(shape: str, path: Path, rows: int, *, start: int = 0) -> Path:
    """Write ``rows`` postings of ``shape`` (``html``, ``short`` or ``synth``) as CSV: the
    postings numbered ``start`` .. ``start + rows`` (two weeks that overlap share postings,
    so the later one has new and removed ones; ``synth`` ignores ``start``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if shape == "synth":
        return write_raw_csv(path, rows)
    make = SHAPES[shape]
    with path.open("wb") as fh:
        for at in range(start, start + rows, CHUNK):
            make(at, min(CHUNK, start + rows - at)).write_csv(fh, include_header=at == start)
    return path


if __name__ == "__main__":
    write_shape(
        sys.argv[1],
        Path(sys.argv[2]),
        int(sys.argv[3]),
        start=int((sys.argv[4:5] and sys.argv[4]) or 0),
    )
