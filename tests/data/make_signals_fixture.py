"""Writes tests/data/signals-2026-11-23.json: a hand-made, fully populated Signals snapshot.

The figures are illustrative (in the spirit of the design mock), chosen so every section and
every edge shows: gated values, an empty P90, a warning, a suppressed figure, 8 weeks of
history, a name that needs escaping. Run: python tests/data/make_signals_fixture.py
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from newsletter.data.signals.models import (
    Companies,
    CompanyRow,
    DataHealth,
    GroupRow,
    HealthWarning,
    NamedCount,
    Pay,
    PayApart,
    PayRank,
    RemoteRow,
    Share,
    Signals,
    SkillMove,
    SkillRow,
    Skills,
    Spotlight,
    Totals,
    TrendPoint,
)  # fmt: skip

WEEK = date(2026, 11, 23)


def fixture() -> Signals:
    cats = [
        GroupRow(
            name="AI/ML Engineer",
            open=23752,
            open_prev=23410,
            new=1710,
            removed=1368,
            share=0.908,
            share_prev=0.906,
            median_pay=171000,
            median_pay_prev=169500,
            p75_pay=226000,
            p90_pay=289000,
            n_pay=12950,
        ),
        GroupRow(
            name="Research Scientist",
            open=612,
            open_prev=598,
            new=61,
            removed=47,
            share=0.023,
            median_pay=212000,
            p75_pay=262000,
            p90_pay=320000,
            n_pay=402,
        ),
        GroupRow(
            name="Data Scientist",
            open=1290,
            open_prev=1302,
            new=88,
            removed=100,
            share=0.049,
            median_pay=158000,
            p75_pay=189000,
            p90_pay=226000,
            n_pay=610,
        ),
        GroupRow(
            name="AI Architect",
            open=108,
            open_prev=101,
            new=9,
            removed=2,
            share=0.004,
            median_pay=292900,
            p75_pay=None,
            p90_pay=None,
            n_pay=38,
        ),
        GroupRow(
            name="AI Engineering Manager",
            open=28,
            open_prev=27,
            new=3,
            removed=2,
            share=0.001,
            median_pay=None,
            n_pay=22,
        ),
        GroupRow(
            name="MLOps Engineer",
            open=369,
            open_prev=311,
            new=70,
            removed=12,
            share=0.014,
            median_pay=198000,
            p75_pay=231000,
            p90_pay=268000,
            n_pay=214,
        ),
    ]
    seniority = [
        GroupRow(
            name="entry",
            open=2354,
            share=0.09,
            share_prev=0.094,
            median_pay=132000,
            p75_pay=151000,
            p90_pay=170000,
            n_pay=1203,
        ),
        GroupRow(
            name="mid",
            open=16219,
            share=0.62,
            share_prev=0.618,
            median_pay=176000,
            p75_pay=214000,
            p90_pay=251000,
            n_pay=8490,
        ),
        GroupRow(
            name="senior",
            open=5232,
            share=0.20,
            share_prev=0.199,
            median_pay=214000,
            p75_pay=258000,
            p90_pay=302000,
            n_pay=3120,
        ),
        GroupRow(
            name="leadership",
            open=2354,
            share=0.09,
            share_prev=0.089,
            median_pay=251000,
            p75_pay=305000,
            p90_pay=362000,
            n_pay=968,
        ),
    ]
    metros = [
        GroupRow(name="Los Angeles", open=1695, open_prev=1650, median_pay=178000, n_pay=902),
        GroupRow(name="New York", open=1670, open_prev=1702, median_pay=200000, n_pay=1011),
        GroupRow(
            name="San Francisco Bay Area", open=1059, open_prev=1001, median_pay=244000, n_pay=730
        ),
        GroupRow(name="Seattle", open=611, open_prev=598, median_pay=205000, n_pay=344),
        GroupRow(name="Austin", open=402, open_prev=410, median_pay=None, n_pay=24),
        GroupRow(name="Boston", open=388, open_prev=380, median_pay=190000, n_pay=201),
    ]
    companies = [
        CompanyRow(name="Capital One", open=48, new=9, removed=3, open_prev=42, net=6),
        CompanyRow(name="Anthropic", open=41, new=11, removed=2, open_prev=32, net=9),
        CompanyRow(name="Databricks", open=37, new=2, removed=6, open_prev=41, net=-4),
        CompanyRow(name="Smith & Wesson <AI>", open=12, new=1, removed=0, open_prev=11, net=1),
    ]
    skills = Skills(
        top=[
            SkillRow(name="Python", postings=19100, share=0.730, share_prev=0.728),
            SkillRow(name="RAG", postings=16742, share=0.640, share_prev=0.617),
            SkillRow(name="PyTorch", postings=9940, share=0.380, share_prev=0.382),
            SkillRow(name="LLMs", postings=8371, share=0.320, share_prev=0.301),
            SkillRow(name="Rust", postings=7665, share=0.293, share_prev=0.281),
            SkillRow(name="Kubernetes", postings=4709, share=0.180, share_prev=0.183),
            SkillRow(name="TensorFlow", postings=2878, share=0.110, share_prev=0.121),
            SkillRow(name="vLLM", postings=1622, share=0.062, share_prev=0.051),
        ],
        rising=[
            SkillMove(name="Rust", share=0.293, share_prev=0.272, z=4.8, postings=558, lift=1.08),
            SkillMove(name="RAG", share=0.640, share_prev=0.617, z=3.9, postings=1218),
            SkillMove(name="vLLM", share=0.062, share_prev=0.048, z=3.1, postings=118),
        ],
        falling=[
            SkillMove(name="TensorFlow", share=0.110, share_prev=0.129, z=-3.4, postings=209),
            SkillMove(name="Hadoop", share=0.021, share_prev=0.027, z=-2.7, postings=40),
        ],
        tested=212,
        method="new-vs-earlier-new",
        baseline_weeks=4,
        baseline_span_weeks=4,
    )
    spotlight = Spotlight(
        name="Anthropic",
        open=41,
        open_prev=32,
        new=11,
        removed=2,
        net=9,
        change_pct=0.281,
        categories=[
            NamedCount(name="AI/ML Engineer", open=19),
            NamedCount(name="Research Scientist", open=12),
            NamedCount(name="AI Safety", open=6),
        ],
        places=[
            NamedCount(name="San Francisco Bay Area", open=22),
            NamedCount(name="New York", open=9),
            NamedCount(name="Remote", open=6),
        ],
        remote=6,
        n_pay=38,
        pay_low=240000,
        pay_high=560000,
        median_pay=355000,
    )
    top_categories = [
        PayRank(name="AI Architect", median=292900, n=38, open=108, ci_low=271000, ci_high=318000),
        PayRank(
            name="Research Scientist", median=212000, n=402, open=612, ci_low=207500, ci_high=217000
        ),
        PayRank(
            name="MLOps Engineer", median=198000, n=214, open=369, ci_low=191000, ci_high=204500
        ),
        PayRank(
            name="AI/ML Engineer", median=171000, n=12950, open=23752, ci_low=170000, ci_high=172000
        ),
        PayRank(
            name="Data Scientist", median=158000, n=610, open=1290, ci_low=154000, ci_high=161500
        ),
    ]
    by_seniority = [
        RemoteRow(
            name="entry",
            n=2354,
            remote=94,
            share=0.040,
            ci_low=0.033,
            ci_high=0.049,
            vs_market="below",
        ),
        RemoteRow(
            name="mid",
            n=16219,
            remote=1135,
            share=0.070,
            ci_low=0.066,
            ci_high=0.074,
            vs_market="level",
        ),
        RemoteRow(
            name="senior",
            n=5232,
            remote=523,
            share=0.100,
            ci_low=0.092,
            ci_high=0.108,
            vs_market="above",
        ),
        RemoteRow(
            name="leadership",
            n=2354,
            remote=106,
            share=0.045,
            ci_low=0.037,
            ci_high=0.054,
            vs_market="below",
        ),
    ]
    by_category = [
        RemoteRow(
            name="AI/ML Engineer",
            n=23752,
            remote=1663,
            share=0.070,
            ci_low=0.067,
            ci_high=0.073,
            vs_market="level",
        ),
        RemoteRow(
            name="Data Scientist",
            n=1290,
            remote=142,
            share=0.110,
            ci_low=0.094,
            ci_high=0.128,
            vs_market="above",
        ),
        RemoteRow(
            name="Research Scientist",
            n=612,
            remote=18,
            share=0.029,
            ci_low=0.019,
            ci_high=0.046,
            vs_market="below",
        ),
        RemoteRow(
            name="MLOps Engineer",
            n=369,
            remote=37,
            share=0.100,
            ci_low=0.073,
            ci_high=0.135,
            vs_market="level",
        ),
        RemoteRow(
            name="AI Architect",
            n=108,
            remote=9,
            share=0.083,
            ci_low=0.045,
            ci_high=0.151,
            vs_market="level",
        ),
        RemoteRow(name="AI Engineering Manager", n=28, remote=1),
    ]
    opens = [24810, 25102, 25390, 25211, 25530, 25802, 25747, 26159]
    pays = [179000, 180500, 181000, 182000, 181500, 182500, 181800, 184000]
    remote = [0.081, 0.079, 0.078, 0.077, 0.076, 0.075, 0.074, 0.071]
    history = [
        TrendPoint(week=WEEK - timedelta(weeks=7 - i), open=o, median_pay=p, remote_share=r)
        for i, (o, p, r) in enumerate(zip(opens, pays, remote, strict=True))
    ]
    return Signals(
        week=WEEK,
        previous_week=WEEK - timedelta(weeks=1),
        totals=Totals(open=26159, open_prev=25747, new=1904 + 211, removed=1703, reposted=211,
                      net_change=412, change_pct=0.016, open_avg_4w=25809.5),
        pay=Pay(n=13781, n_prev=13590, disclosure_rate=0.53, median=184000, p75=226000,
                p90=289000, median_prev=181800, change_pct=0.057, ci_low=0.021, ci_high=0.093,
                significant=True, method="new-vs-earlier-new", shift_window_weeks=4,
                shift_window_weeks_prev=4, shift_window_span=4, shift_window_span_prev=4,
                top_categories=top_categories,
                apart=[PayApart(name="contract", open=1204, new=96, n=310, median=129000,
                                median_hourly=129000 / 2080),
                       PayApart(name="internship", open=41, new=12, n=12)],
                apart_open=1245, apart_n=322),
        remote=Share(share=0.071, share_prev=0.074, n=26159, n_prev=25747,
                     share_of_known=0.071, share_of_known_prev=0.074, unknown_share=0.0,
                     unknown_share_prev=0.0, n_known=26159, n_known_prev=25747,
                     known_change=0.071 - 0.074,
                     by_seniority=by_seniority, by_category=by_category),
        seniority=seniority,
        categories=cats,
        metros=metros,
        companies=companies,
        company_detail=Companies(top=companies, spotlight=spotlight),
        skills=skills,
        history=history,
        data_health=DataHealth(
            snapshot_rows=26159, snapshot_rows_prev=25747, ingest_rows_read=27311,
            ingest_rejected=240, ingest_duplicates=912, share_other_category=0.031,
            share_unknown_metro=0.12, share_without_pay=0.47,
            warnings=[HealthWarning(kind="source_drop", name="greenhouse", before=3100,
                                    after=1200, message="source greenhouse lost 61% of its "
                                    "postings (3,100 to 1,200); held out of the removals.")],
            suppressed=["median pay of AI Engineering Manager (n=22 < 30)",
                        "median pay in Austin (n=24 < 30)",
                        "remote.by_category.share: 1 of 6 rows with n < 30",
                        "pay.apart.median: 1 of 2 types with n < 30 USD-paid"],
        ),
    )  # fmt: skip


if __name__ == "__main__":
    out = Path(__file__).with_name("signals-2026-11-23.json")
    out.write_text(fixture().model_dump_json(indent=2) + "\n", encoding="utf-8")
    print(out)
