"""A seeded generator of realistic AI/ML job-market snapshots (sample data, benchmarks, tests).

It simulates a stock of open postings that evolves week by week: postings close with a
weekly hazard, new ones arrive, some closed ones are reposted under a new id, and a few
skills trend up or down so the signals have something real to find. Everything is
synthetic and reproducible from the seed.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from newsletter.data.snapshots import SNAPSHOT_SCHEMA, write_snapshot
from newsletter.util.weeks import monday_of

# category -> (weight, base median pay, title stems, core skills with probabilities)
CATEGORIES: dict[str, tuple[float, int, tuple[str, ...], dict[str, float]]] = {
    "AI/ML Engineer": (0.26, 185_000, ("Machine Learning Engineer", "ML Engineer", "AI Engineer",
        "LLM Engineer", "NLP Engineer", "Computer Vision Engineer"),
        {"Python": 0.85, "PyTorch": 0.55, "TensorFlow": 0.22, "LLMs": 0.40, "AWS": 0.30,
         "Kubernetes": 0.18, "Docker": 0.25, "SQL": 0.25, "Hugging Face": 0.22, "RAG": 0.20,
         "Deep Learning": 0.35, "NLP": 0.20, "Computer Vision": 0.12, "Fine-tuning": 0.14}),
    "AI Software Engineer": (0.16, 175_000, ("Software Engineer, AI", "Software Engineer - Machine Learning",
        "AI Software Engineer", "Full Stack Engineer, AI Products", "Backend Engineer, LLM Platform"),
        {"Python": 0.70, "TypeScript": 0.35, "Go": 0.15, "LLMs": 0.45, "RAG": 0.25, "AWS": 0.35,
         "Kubernetes": 0.20, "LangChain": 0.15, "Vector databases": 0.15, "React": 0.15,
         "Java": 0.12, "SQL": 0.25}),
    "Data Scientist": (0.18, 160_000, ("Data Scientist", "Applied Data Scientist",
        "Data Scientist, Machine Learning", "Product Data Scientist"),
        {"Python": 0.85, "SQL": 0.75, "R": 0.25, "Statistics": 0.45, "scikit-learn": 0.30,
         "pandas": 0.30, "Machine Learning": 0.50, "Tableau": 0.15, "Spark": 0.15,
         "A/B testing": 0.25, "LLMs": 0.12}),
    "Data Engineer": (0.12, 155_000, ("Data Engineer", "Data Engineer, ML Platform",
        "Analytics Engineer", "Big Data Engineer"),
        {"SQL": 0.85, "Python": 0.75, "Spark": 0.45, "Airflow": 0.35, "dbt": 0.25, "AWS": 0.40,
         "Snowflake": 0.30, "Kafka": 0.25, "Databricks": 0.25, "GCP": 0.15, "Scala": 0.12}),
    "MLOps Engineer": (0.07, 178_000, ("MLOps Engineer", "ML Platform Engineer",
        "ML Infrastructure Engineer", "LLMOps Engineer"),
        {"Kubernetes": 0.65, "Python": 0.75, "Docker": 0.50, "AWS": 0.45, "Terraform": 0.35,
         "MLflow": 0.30, "Kubeflow": 0.15, "vLLM": 0.12, "Ray": 0.15, "CI/CD": 0.30}),
    "Research Scientist": (0.08, 215_000, ("Research Scientist", "Research Engineer",
        "Applied Scientist", "Member of Technical Staff, Research"),
        {"PyTorch": 0.75, "Python": 0.85, "Deep Learning": 0.60, "LLMs": 0.45, "JAX": 0.18,
         "Reinforcement learning": 0.20, "NLP": 0.25, "CUDA": 0.12, "Transformers": 0.30}),
    "AI Architect": (0.03, 200_000, ("AI Architect", "Machine Learning Architect",
        "Generative AI Solutions Architect"),
        {"AWS": 0.55, "Azure": 0.40, "LLMs": 0.50, "Python": 0.50, "RAG": 0.30,
         "Generative AI": 0.45, "Kubernetes": 0.25}),
    "AI Product Manager": (0.04, 180_000, ("AI Product Manager", "Product Manager, Machine Learning",
        "Product Manager, Generative AI"),
        {"LLMs": 0.40, "Generative AI": 0.40, "SQL": 0.25, "A/B testing": 0.20, "Python": 0.10}),
    "AI Engineering Manager": (0.03, 235_000, ("Engineering Manager, Machine Learning",
        "Manager, AI Engineering", "Engineering Manager, ML Platform"),
        {"Python": 0.45, "LLMs": 0.35, "Kubernetes": 0.15, "AWS": 0.25, "PyTorch": 0.20}),
    "AI Safety": (0.015, 210_000, ("AI Safety Researcher", "Alignment Researcher",
        "Responsible AI Engineer", "Trust & Safety ML Engineer"),
        {"Python": 0.70, "LLMs": 0.60, "PyTorch": 0.40, "Interpretability": 0.30,
         "Red teaming": 0.25}),
    "Prompt Engineer": (0.01, 140_000, ("Prompt Engineer", "LLM Prompt Engineer"),
        {"LLMs": 0.80, "Prompt engineering": 0.85, "Python": 0.40, "OpenAI API": 0.35}),
    "Other": (0.035, 130_000, ("Solutions Engineer", "Technical Program Manager",
        "Business Intelligence Analyst", "Software Developer"),
        {"SQL": 0.40, "Python": 0.30, "Excel": 0.25, "Tableau": 0.15, "AWS": 0.15}),
}  # fmt: skip

# Skills whose arrival rate drifts week over week (per-week multiplicative factor; for
# TensorFlow the factor of a one-time step down in the last two weeks).
TRENDS: dict[str, float] = {"vLLM": 1.25, "MCP": 1.35, "Agents": 1.12, "TensorFlow": 0.35}
TREND_BASE: dict[str, float] = {"vLLM": 0.03, "MCP": 0.02, "Agents": 0.10, "TensorFlow": 0.0}

SENIORITY: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "entry": (0.12, 0.72, ("Junior ", "Associate ", "New Grad ")),
    "mid": (0.38, 1.0, ("",)),
    "senior": (0.40, 1.22, ("Senior ", "Staff ", "Principal ", "Lead ", "Sr. ")),
    "leadership": (0.10, 1.45, ("Director, ", "Head of ", "VP, ")),
}

# metro -> (weight, pay multiplier, spellings, country)
METROS: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "San Francisco Bay Area": (0.22, 1.18, ("San Francisco, CA", "SF", "Mountain View, CA",
                                             "Palo Alto, CA", "San Jose, CA", "Bay Area")),
    "New York": (0.14, 1.10, ("New York, NY", "NYC", "Brooklyn, NY")),
    "Seattle": (0.08, 1.10, ("Seattle, WA", "Bellevue, WA", "Redmond, WA")),
    "Boston": (0.06, 1.03, ("Boston, MA", "Cambridge, MA")),
    "Austin": (0.04, 0.97, ("Austin, TX",)),
    "Los Angeles": (0.04, 1.0, ("Los Angeles, CA", "LA", "Santa Monica, CA")),
    "Washington DC": (0.04, 0.98, ("Washington, DC", "Arlington, VA", "McLean, VA")),
    "Chicago": (0.03, 0.93, ("Chicago, IL",)),
    "Denver": (0.02, 0.93, ("Denver, CO", "Boulder, CO")),
    "Atlanta": (0.02, 0.90, ("Atlanta, GA",)),
    "San Diego": (0.015, 0.97, ("San Diego, CA",)),
    "Dallas": (0.02, 0.90, ("Dallas, TX", "Plano, TX")),
    "Pittsburgh": (0.01, 0.88, ("Pittsburgh, PA",)),
    "Raleigh": (0.01, 0.88, ("Raleigh, NC", "Durham, NC")),
}  # fmt: skip

COMPANIES = (
    "OpenAI", "Anthropic", "Google", "Meta", "Microsoft", "Amazon", "Apple", "NVIDIA",
    "Databricks", "Scale AI", "Cohere", "Mistral AI", "Hugging Face", "Perplexity", "xAI",
    "Salesforce", "Snowflake", "Stripe", "Airbnb", "Uber", "Netflix", "LinkedIn", "Adobe",
    "IBM", "Oracle", "Intel", "AMD", "Qualcomm", "Tesla", "Waymo", "Cruise", "Aurora",
    "Anduril", "Palantir", "Capital One", "JPMorgan Chase", "Goldman Sachs", "Two Sigma",
    "Citadel", "Jane Street", "Bloomberg", "Spotify", "Pinterest", "Snap", "DoorDash",
    "Instacart", "Roblox", "Figma", "Notion", "Ramp", "Brex", "Plaid", "Robinhood",
    "Coinbase", "Character.AI", "Runway", "Glean", "Harvey", "Writer", "Jasper", "Replit",
    "Vercel", "Pinecone", "Weaviate", "Modal", "Together AI", "Fireworks AI", "Anyscale",
    "Cerebras", "SambaNova", "Groq", "Lambda", "CoreWeave", "Datadog", "ServiceNow",
    "Workday", "Intuit", "PayPal", "Visa", "Mastercard", "Walmart", "Target", "Deloitte",
    "Accenture", "McKinsey", "Booz Allen Hamilton", "Lockheed Martin", "Boeing", "Pfizer",
    "Moderna", "Genentech", "Tempus AI", "Recursion", "Insitro", "Duolingo", "Grammarly",
    "Canva", "Atlassian", "HubSpot", "Zillow", "Expedia", "Wayfair",
)  # fmt: skip

REMOTE_SHARE = 0.22
HYBRID_SHARE = 0.18
PAY_DISCLOSURE = 0.58
#: Employment types (the rest do not say): drawn from the posting's own id, not from the
#: generator's sequence, so every other value of the samples stays as it was.
EMPLOYMENT_SHARES = (("contract", 0.09), ("part_time", 0.01), ("full_time", 0.45))


@dataclass(frozen=True, slots=True)
class SynthParams:
    seed: int = 20261123
    weeks: int = 8
    end_week: date = date(2026, 11, 23)
    initial_open: int = 4200
    weekly_close_rate: float = 0.11
    weekly_new: int = 480
    repost_rate: float = 0.06


def _employment(source_id: str) -> str | None:
    """The posting's employment type, from its id (see :data:`EMPLOYMENT_SHARES`)."""
    u = int(source_id, 16) / 16 ** len(source_id)
    for kind, share in EMPLOYMENT_SHARES:
        if u < share:
            return kind
        u -= share
    return None


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names], k=1)[0]


class _Generator:
    def __init__(self, p: SynthParams) -> None:
        self.p = p
        self.rng = random.Random(p.seed)
        self.serial = 0
        zipf = [1 / (i + 1) ** 0.85 for i in range(len(COMPANIES))]
        self.company_w = dict(zip(COMPANIES, zipf, strict=True))

    def posting(self, week_idx: int, posted: date) -> dict[str, Any]:
        rng = self.rng
        self.serial += 1
        cat = _pick(rng, {k: v[0] for k, v in CATEGORIES.items()})
        _, base, stems, skills_p = CATEGORIES[cat]
        sen = _pick(rng, {k: v[0] for k, v in SENIORITY.items()})
        _, mult, prefixes = SENIORITY[sen]
        title = rng.choice(prefixes) + rng.choice(stems)
        company = _pick(rng, self.company_w)
        u = rng.random()
        mode = (
            "remote"
            if u < REMOTE_SHARE
            else ("hybrid" if u < REMOTE_SHARE + HYBRID_SHARE else "onsite")
        )
        if mode == "remote":
            metro, location, pay_mult = (
                None,
                rng.choice(("Remote", "Remote - US", "United States")),
                1.0,
            )
        else:
            metro = _pick(rng, {k: v[0] for k, v in METROS.items()})
            _, pay_mult, spellings = METROS[metro]
            location = rng.choice(spellings)
            if rng.random() < 0.04:  # unknown small town
                metro, location = None, rng.choice(("Huntsville, AL", "Boise, ID", "Omaha, NE"))
        skills = {s for s, pr in skills_p.items() if rng.random() < pr}
        for s, factor in TRENDS.items():
            prob = TREND_BASE[s] * factor**week_idx if TREND_BASE[s] else 0.20 * factor**week_idx
            if s == "TensorFlow":  # a step down in the last two weeks: a clear fading skill
                step = 1.0 if week_idx < self.p.weeks - 2 else factor
                prob = (skills_p.get("TensorFlow", 0.0) + 0.08) * step
                skills.discard("TensorFlow")
            if rng.random() < min(prob, 0.9):
                skills.add(s)
        smin = smax = smid = None
        currency = None
        if rng.random() < PAY_DISCLOSURE:
            mid = base * mult * pay_mult * math.exp(rng.gauss(0, 0.22))
            spread = rng.uniform(0.10, 0.35)
            smin = round(mid * (1 - spread / 2), -3)
            smax = round(mid * (1 + spread / 2), -3)
            smid = (smin + smax) / 2
            currency = "USD"
        source_id = hashlib.sha1(f"{self.p.seed}:{self.serial}".encode()).hexdigest()[:12]
        return {
            "posting_id": f"synth:{source_id}",
            "source": "synth",
            "fingerprint": hashlib.sha1(
                f"{company.casefold()}|{title.casefold()}|{(metro or location).casefold()}".encode()
            ).hexdigest(),
            "title": title,
            "company": company,
            "location": location,
            "metro": metro,
            "country": "US",
            "work_mode": mode,
            "remote": mode == "remote",
            "category": cat,
            "seniority": sen,
            "salary_min": smin,
            "salary_max": smax,
            "salary_mid": smid,
            "currency": currency,
            "employment": _employment(source_id),
            "skills": sorted(skills),
            "posted_at": posted,
            "url": f"https://jobs.example.com/{source_id}",
        }

    def repost(self, old: dict[str, Any], posted: date) -> dict[str, Any]:
        self.serial += 1
        source_id = hashlib.sha1(f"{self.p.seed}:{self.serial}".encode()).hexdigest()[:12]
        return {**old, "posting_id": f"synth:{source_id}", "posted_at": posted,
                "url": f"https://jobs.example.com/{source_id}"}  # fmt: skip


def generate(params: SynthParams = SynthParams()) -> dict[date, pl.DataFrame]:
    """Weekly snapshots, oldest first, keyed by their Monday."""
    g = _Generator(params)
    end = monday_of(params.end_week)
    weeks = [end - timedelta(weeks=params.weeks - 1 - i) for i in range(params.weeks)]
    start = weeks[0]
    stock = [
        g.posting(0, start - timedelta(days=g.rng.randint(0, 60)))
        for _ in range(params.initial_open)
    ]
    closed: list[dict[str, Any]] = []
    out: dict[date, pl.DataFrame] = {}
    for i, week in enumerate(weeks):
        if i > 0:
            keep: list[dict[str, Any]] = []
            gone: list[dict[str, Any]] = []
            for row in stock:
                (gone if g.rng.random() < params.weekly_close_rate else keep).append(row)
            closed.extend(gone)
            arrivals = int(params.weekly_new * g.rng.uniform(0.9, 1.1))
            n_repost = int(arrivals * params.repost_rate)
            new_rows = [
                g.posting(i, week + timedelta(days=g.rng.randint(0, 6)))
                for _ in range(arrivals - n_repost)
            ]
            recent = closed[-3000:]
            new_rows += [
                g.repost(g.rng.choice(recent), week) for _ in range(min(n_repost, len(recent)))
            ]
            stock = keep + new_rows
        out[week] = pl.DataFrame(stock, schema=dict(SNAPSHOT_SCHEMA))
    return out


def write_samples(directory: Path, params: SynthParams = SynthParams()) -> list[Path]:
    return [write_snapshot(frame, directory, week) for week, frame in generate(params).items()]


# --- raw exports (what `newsletter ingest` reads), for benchmarks and end-to-end tests -------

_PAY_FORMATS = (
    lambda lo, hi: f"${lo:,.0f} - ${hi:,.0f}",
    lambda lo, hi: f"${lo / 1000:.0f}K-${hi / 1000:.0f}K",
    lambda lo, hi: f"{lo / 1000:.0f}k–{hi / 1000:.0f}k",
    lambda lo, hi: f"{lo:.0f}-{hi:.0f} USD per year",
    lambda lo, hi: f"${lo / 2080:.0f} - ${hi / 2080:.0f} per hour",
    lambda lo, hi: f"${(lo + hi) / 24:,.0f}/month",
)
_BLURBS = (
    "You will design, build and ship production systems used by millions of people.",
    "Join a small team that owns the full lifecycle from research to deployment.",
    "We value clear writing, careful measurement and kind, direct feedback.",
    "Help our customers turn messy data into reliable, well-tested products.",
)


def _raw_row(g: _Generator) -> dict[str, Any]:
    p = g.posting(0, g.p.end_week - timedelta(days=g.rng.randint(0, 6)))
    rng = g.rng
    salary = None
    if p["salary_min"] is not None:
        salary = rng.choice(_PAY_FORMATS)(p["salary_min"], p["salary_max"])
    skills = ", ".join(p["skills"]) or "Python"
    description = (
        f"{p['company']} is hiring a {p['title']}. {rng.choice(_BLURBS)} "
        f"You bring {rng.randint(1, 9)}+ years of experience with {skills}. "
        f"{rng.choice(_BLURBS)}"
    )
    return {
        "job_title": p["title"],
        "company_name": p["company"],
        "location": p["location"] if p["work_mode"] != "hybrid" else f"{p['location']} (Hybrid)",
        "salary": salary,
        "description": description,
        "remote": "true" if p["work_mode"] == "remote" else "false",
        "posted_at": p["posted_at"].isoformat(),
        "url": p["url"],
    }


def raw_postings(n: int, *, seed: int = 20261123, pool: int = 20_000) -> pl.DataFrame:
    """``n`` raw postings as a job board would export them (text salaries, descriptions of
    ~300 bytes, location spellings), drawn from a seeded pool of distinct postings; every row
    gets its own ``id``. About 1 in 500 rows has a blank title or company (to be rejected)
    and 1 in 200 repeats an id (a duplicate)."""
    g = _Generator(SynthParams(seed=seed))
    base = pl.DataFrame([_raw_row(g) for _ in range(min(pool, n))])
    rows = base.sample(n, with_replacement=n > base.height, seed=seed, shuffle=True)
    idx = pl.int_range(pl.len(), dtype=pl.Int64)
    return rows.with_columns(
        id=pl.when(idx % 200 == 199).then(idx - 1).otherwise(idx).cast(pl.String),
        job_title=pl.when(idx % 1000 == 500).then(pl.lit(" ")).otherwise("job_title"),
        company_name=pl.when(idx % 1000 == 750).then(None).otherwise("company_name"),
        description=pl.col("description") + pl.lit(" Req ") + idx.cast(pl.String) + pl.lit("."),
    ).select("id", pl.exclude("id"))


def write_raw_csv(path: Path, n: int, *, seed: int = 20261123) -> Path:
    """Write :func:`raw_postings` as a CSV (gzip when the name ends in ``.gz``)."""
    frame = raw_postings(n, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, compression="gzip" if path.suffix == ".gz" else "uncompressed")
    return path
