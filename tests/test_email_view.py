"""The presentation model: formatting, gates, the generated headline, quiet weeks, order."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from newsletter.config import Config, parse_config
from newsletter.data.signals.models import DataHealth, HealthWarning, Pay, Share, Signals, Totals
from newsletter.edition.formatting import DASH, Formatter, whole_percents
from newsletter.edition.headline import is_quiet
from newsletter.edition.view import build_view


def test_formatter_en_us() -> None:
    f = Formatter("en_US")
    assert f.count(26159) == "26,159"
    assert f.money(184_000.0) == "$184,000"
    assert f.money(171_400.0) == "$171,000"
    assert f.money_k(171_400.0) == "$171k"
    # halves round up as a reader rounds them (a $5k range's midpoint ends in 500)
    assert (f.money(222_500.0), f.money(223_500.0)) == ("$223,000", "$224,000")
    assert (f.money_k(222_500.0), f.money_k(1_940_000.0)) == ("$223k", "$1.9M")
    # an interval never reads as no uncertainty: ends that round alike get more digits
    assert f.money_k_range(171_400.0, 190_000.0) == "$171k–$190k"
    assert f.money_k_range(89_861.0, 90_197.0) == "$89.9k–$90.2k"
    assert f.money_k_range(89_950.0, 90_040.0) == "$89,950–$90,040"
    assert f.money_k_range(None, 90_000.0) == DASH
    assert f.ends(f.pct, 0.22061, 0.22139) == ("22.06%", "22.14%")
    assert f.ends(f.pct, 0.20, 0.25) == ("20.0%", "25.0%")
    assert f.ends(f.change_pct, 0.0161, 0.0164) == ("+1.61%", "+1.64%")
    assert f.money(-12_500.0) == "−$13,000"
    assert f.money(None, 22) == f"{DASH} (n=22)"
    assert f.pct(0.071, 1) == "7.1%"
    assert f.pp(0.021) == "+2.1\u00a0pp"
    assert f.pp(-0.019) == "−1.9\u00a0pp"
    assert f.change_pct(0.016) == "+1.6%"
    assert f.signed(-4) == "−4"
    assert f.day(date(2026, 11, 23)) == "Nov 23, 2026"


def test_formatter_follows_locale() -> None:
    f = Formatter("de_DE")
    assert f.count(26159) == "26.159"
    assert f.pct(0.071, 1) == "7,1\u00a0%"
    assert f.day(date(2026, 11, 23), "d. MMMM y") == "23. November 2026"


def _minimal(**totals: int | None) -> Signals:
    t = {"open": 100, "open_prev": 99, "new": 5, "removed": 4, "net_change": 1, **totals}
    return Signals(
        week=date(2026, 11, 23),
        previous_week=date(2026, 11, 16),
        totals=Totals.model_validate(t),
        pay=Pay(n=12, disclosure_rate=0.12),
        remote=Share(),
        data_health=DataHealth(snapshot_rows=100),
    )


def test_minimal_signals_render_dashes_with_n(email_config: Config) -> None:
    view = build_view(_minimal(open=150, net_change=51), email_config)
    pay = next(k for k in view.kpis if k.label == "Median pay")
    assert pay.value == DASH and pay.notes == ("n=12, needs\u00a030",)
    # Sections with no data collapse into one line that says why.
    assert [t.empty for t in view.pay_tables] == [
        "no open posting has a role category this week.",
        "no open posting has a seniority level this week.",
    ]
    assert all(t.rows == () for t in view.pay_tables)
    assert view.metros is not None and view.metros.lines == () and "metro" in view.metros.empty
    assert view.companies is not None and view.companies.rows == ()
    assert view.companies.empty == "no company had 5 or more open roles this week."
    assert view.mix is not None and view.mix.empty
    text = " ".join(view.summary_text)
    assert "Median pay is held back this week: only 12 postings" in text
    assert "$" not in text  # no pay figure is published below the gate


def test_headline_names_biggest_moves_with_evidence(
    rich_signals: Signals, email_config: Config
) -> None:
    view = build_view(rich_signals, email_config)
    assert not view.quiet
    text = " ".join(view.summary_text)
    assert "Open roles rose 1.6% to 26,159" in text
    assert (
        "Rust is the week's fastest-rising skill "
        "(29.3% of new postings, +2.1\u00a0pp, z\u00a0=\u00a04.8)" in text
    )
    assert "TensorFlow fades the most" in text
    assert (
        "in new postings of the last 4 weeks it rose 5.7% against the 4 weeks before "
        "(95% CI +2.1% to +9.3%)" in text
    )
    assert "data-health warning" in text
    assert "(2,115 new, 211 of them reposts, and 1,703 removed)" in text  # KPI: 1,904 new
    # figures and names are the strong parts of the sentences
    strong = {fr.text for s in view.summary for fr in s if fr.strong}
    assert {"1.6%", "26,159", "Rust", "TensorFlow", "$184,000", "5.7%"} <= strong


def test_pay_tiers_gate_and_compact_money(rich_signals: Signals, email_config: Config) -> None:
    view = build_view(rich_signals, email_config)
    roles = view.pay_tables[0]
    assert roles.columns == ("Open", "Median", "P75", "P90") and not roles.empty
    assert roles.value("AI/ML Engineer", "Median").text == "$171k"
    assert roles.value("AI/ML Engineer", "Open").text == "23,752"
    assert roles.value("AI Engineering Manager", "Median").text == DASH
    # a figure held back says why: the row's n once, beside the median, and the n it needs
    assert roles.value("AI Engineering Manager", "Median").note == "n=22, needs\u00a030"
    assert roles.value("AI Engineering Manager", "P75").note == "needs\u00a040"
    assert roles.value("AI Architect", "Median").text == "$293k"
    assert roles.value("AI Architect", "Median").note == "n=38"
    assert roles.value("AI Architect", "P75").text == DASH
    assert roles.value("AI Architect", "P75").note == "needs\u00a040"
    assert roles.value("AI Architect", "P90").text == DASH
    assert roles.value("AI Architect", "P90").note == "needs\u00a0100"
    assert roles.value("AI/ML Engineer", "Median").note == ""  # nothing held back
    # the spotlight's pay range below its gate (10 postings with pay)
    spot = rich_signals.company_detail.spotlight
    assert spot is not None
    few = spot.model_copy(update={"pay_low": None, "pay_high": None, "n_pay": 6})
    detail = rich_signals.company_detail.model_copy(update={"spotlight": few})
    view = build_view(rich_signals.model_copy(update={"company_detail": detail}), email_config)
    assert view.spotlight is not None
    assert view.spotlight.grid.value("Pay range", "").note == "n=6, needs\u00a010"
    levels = [r.head for r in view.pay_tables[1].rows]
    assert levels == ["Entry", "Mid", "Senior", "Leadership"]


def test_kpis_and_mix(rich_signals: Signals, email_config: Config) -> None:
    view = build_view(rich_signals, email_config)
    kpi = {k.label: k for k in view.kpis}
    assert kpi["Open roles"].value == "26,159"
    assert kpi["Open roles"].change.text == "+412 (+1.6%)" and kpi["Open roles"].direction == "up"
    assert kpi["New this week"].value == "1,904"  # 2,115 new less 211 reposts
    assert "211 reposts excluded" in kpi["New this week"].notes
    assert kpi["Remote share"].direction == "down"
    spark = kpi["Open roles"].spark
    assert spark is not None and len(spark.heights) == 8
    assert spark.heights[-1] == max(spark.heights)  # the latest week is the highest
    assert view.mix is not None and sum(s.width_pct for s in view.mix.segments) == 100
    assert spark.values[-1] == "26,159" and len(spark.values) == 8  # the values as text
    assert view.trend_label == "Last 8 weeks, Oct 5 to Nov 23, oldest first"
    assert len(view.kpi_rows) == 2 and all(len(r) == 2 for r in view.kpi_rows)


def test_quiet_week_variant(rich_signals: Signals, email_config: Config) -> None:
    calm = rich_signals.model_copy(
        update={
            "totals": rich_signals.totals.model_copy(
                update={"open": 25_800, "net_change": 53, "open_prev": 25_747}
            ),
            "skills": rich_signals.skills.model_copy(update={"rising": [], "falling": []}),
            "pay": rich_signals.pay.model_copy(update={"significant": False}),
        }
    )
    assert is_quiet(calm, email_config)
    view = build_view(calm, email_config)
    assert view.quiet
    assert view.sections == ("summary", "note", "kpis", "new_roles", "pay", "pay_ranks",
                             "skills", "sponsor", "data_health")  # fmt: skip
    assert view.summary_text[0].startswith("A quiet week: open roles held at 25,800")
    assert view.skill_lists == ()
    assert view.top_skills is not None and view.top_skills.note.startswith("No skill moved")
    loud = email_config.model_copy(
        update={"email": email_config.email.model_copy(update={"quiet_max_abs_change_pct": 0.1})}
    )
    assert not is_quiet(calm, loud)  # the threshold is the editor's


def test_section_order_comes_from_config(rich_signals: Signals, tmp_path: object) -> None:
    cfg = parse_config({"email": {"sections": ["metros", "summary", "kpis"]}})
    assert build_view(rich_signals, cfg).sections == ("metros", "summary", "kpis")


def test_company_drop_warnings_are_capped_in_the_email(email_config: Config) -> None:
    warnings = [
        HealthWarning(kind="source_drop", name="src", before=400, after=0, message="Source src.")
    ] + [
        HealthWarning(kind="company_drop", name=f"C{i}", before=40, after=0, removed=40,
                      message=f"Company C{i}.")
        for i in range(6)
    ]  # fmt: skip
    s = _minimal().model_copy(
        update={"data_health": DataHealth(snapshot_rows=100, warnings=warnings)}
    )
    lines = [x for x in build_view(s, email_config).health if x.startswith("Data health:")]
    assert lines == [
        "Data health: Source src.",
        "Data health: Company C0.",
        "Data health: Company C1.",
        "Data health: Company C2.",
        "Data health: 3 more companies lost over half their postings at once"
        " (120 postings in all).",
    ]


def test_a_warning_without_its_full_stop_is_printed_with_one(email_config: Config) -> None:
    warnings = [
        HealthWarning(
            kind="source_failed", name="s", before=0, after=0, message="Source s failed "
        ),
        HealthWarning(kind="source_empty", name="t", before=9, after=0, message="Source t: empty."),
    ]
    s = _minimal().model_copy(
        update={"data_health": DataHealth(snapshot_rows=100, warnings=warnings)}
    )
    lines = [x for x in build_view(s, email_config).health if x.startswith("Data health:")]
    assert lines == ["Data health: Source s failed.", "Data health: Source t: empty."]


def test_percent_changes_below_their_base_are_not_printed(email_config: Config) -> None:
    """The signals gate a % change on both counts (>= 20); the email must not print one
    the signals withheld (10 open roles against 40: "−30", never "−75.0%")."""
    from newsletter.data.signals.models import GroupRow

    shrunk = GroupRow(name="AI Architect", open=2, open_prev=30, new=0, removed=28)
    s = _minimal(open=10, open_prev=40, net_change=-30, new=0, removed=30).model_copy(
        update={"categories": [shrunk]}
    )
    assert s.totals.change_pct is None and shrunk.change_pct is None
    view = build_view(s, email_config)
    kpi = next(k for k in view.kpis if k.label == "Open roles")
    assert kpi.change.text == "−30"
    headline = view.summary_text[0]
    assert headline.startswith("Open roles fell by 30 to 10")
    assert "%" not in headline
    assert "led by AI Architect (−28)" in headline


def test_a_change_in_open_roles_that_rounds_to_zero_is_said_as_a_count(
    rich_signals: Signals, email_config: Config
) -> None:
    """3 more open roles on 20,000 is +0.015%: the headline read "Open roles rose 0.0% to
    20,003" (a rise of nothing) and the tile "up +3 (±0.0%)"; a change that prints as 0.0%
    is said by its count."""
    t = rich_signals.totals.model_copy(
        update={"open": 20_003, "open_prev": 20_000, "net_change": 3, "change_pct": 3 / 20_000}
    )
    s = rich_signals.model_copy(update={"totals": t})
    assert s.skills.rising  # a moving week: not the quiet variant
    view = build_view(s, email_config)
    assert view.summary_text[0].startswith("Open roles rose by 3 to 20,003 (")
    assert "%" not in view.summary_text[0].split("), led by")[0]
    kpi = next(k for k in view.kpis if k.label == "Open roles")
    assert kpi.change.text == "+3"
    # the role that led it, the same way: "led by AI/ML Engineer (+3)", not "(+3, ±0.0%)"
    from newsletter.data.signals.models import GroupRow

    led = GroupRow(name="AI/ML Engineer", open=20_003, open_prev=20_000, new=3, removed=0)
    view = build_view(s.model_copy(update={"categories": [led]}), email_config)
    assert view.summary_text[0].endswith("led by AI/ML Engineer (+3).")
    down = t.model_copy(update={"open": 19_997, "net_change": -3, "change_pct": -3 / 20_000})
    view = build_view(rich_signals.model_copy(update={"totals": down}), email_config)
    assert view.summary_text[0].startswith("Open roles fell by 3 to 19,997 (")


def _source_drop_week(signals: Signals, name: str = "csv") -> Signals:
    """``signals`` in a week where one source lost most of its postings at once (the
    summary's drop clause), as a reviewer's probe week did."""
    drop = HealthWarning(kind="source_drop", name=name, before=400, after=120, removed=280,
                         message=f"Source {name} lost 280 of 400 postings.")  # fmt: skip
    t = signals.totals.model_copy(update={"removed": 300, "removed_in_drops": 280})
    dh = signals.data_health.model_copy(update={"warnings": [drop]})
    return signals.model_copy(update={"totals": t, "data_health": dh})


def test_a_source_drop_is_no_pay_or_remote_move_in_the_tiles(email_config: Config) -> None:
    """Board b (better paid, half remote) lost 290 of its 300 postings at once: a scrape
    failure, as the headline says. The tiles read "Median pay $125,000 · −16.4%, too few to
    test" and "Remote share 0.0% · down −48.3 pp": a pay cut and a fall in remote work that
    are only the lost board. A stock change over a source's drop is not compared."""
    from tests.conftest import posting
    from tests.signals_support import run

    def paid(pid: str, source: str, pay: float, **over: object) -> dict[str, object]:
        return posting(pid, source=source, company=f"{source}{pid[-1]}", currency="USD",
                       salary_min=pay - 10_000, salary_max=pay + 10_000, salary_mid=pay,
                       **over)  # fmt: skip

    a = [paid(f"a{i}", "board-a", 100_000 + 1_000 * (i % 50)) for i in range(300)]
    b = [paid(f"b{i}", "board-b", 150_000 + 1_000 * (i % 50), remote=i % 2 == 0,
              work_mode="remote" if i % 2 == 0 else "onsite") for i in range(300)]  # fmt: skip
    s = run([a + b, a + b[:10]])
    assert [w.name for w in s.data_health.warnings if w.kind == "source_drop"] == ["board-b"]
    kpi = {k.label: k for k in build_view(s, email_config).kpis}
    pay, remote = kpi["Median pay"], kpi["Remote share"]
    assert pay.change.text == "−16.4%, after a source's mass removal" and pay.direction == "none"
    assert remote.change.text.endswith(", after a source's mass removal")
    assert remote.direction == "none"
    assert "too few to test" not in pay.detail and "down" not in remote.detail


def test_the_first_week_claims_no_removals_and_no_change_on_last_week(
    rich_signals: Signals, email_config: Config
) -> None:
    """The first issue of a feed (HN's who-is-hiring posts) said "so 0 of this week's removals
    aged out of that window rather than closed" and "Most-requested skills ... with its change
    in pp on last week's share" above a column of dashes: there is no last week yet."""
    t = rich_signals.totals.model_copy(
        update={
            "open_prev": None,
            "net_change": None,
            "change_pct": None,
            "removed": 0,
            "new": 0,
            "reposted": 0,
            "removed_aged_out": 0,
        }
    )
    top = [
        r.model_copy(update={"share_prev": None, "postings_prev": None})
        for r in rich_signals.skills.top
    ]
    dh = rich_signals.data_health.model_copy(
        update={"source_kinds": {"hn": "new"}, "open_window_days": 30, "warnings": []}
    )
    first = rich_signals.model_copy(
        update={
            "previous_week": None,
            "totals": t,
            "data_health": dh,
            "skills": rich_signals.skills.model_copy(
                update={"top": top, "rising": [], "falling": [], "tested": 0}
            ),
        }
    )
    view = build_view(first, email_config)
    feed = [x for x in view.health if x.startswith("Source hn delivers")]
    assert feed == [
        "Source hn delivers only new postings: each counts as open for 30 days after it was "
        "first seen."
    ]
    assert view.top_skills is not None
    assert "last week's share" not in view.top_skills.note
    assert "with its change in pp" not in view.top_skills.note


def test_only_short_figures_in_the_summary_are_kept_on_one_line(
    rich_signals: Signals, email_config: Config
) -> None:
    """A strong phrase or name must wrap on a phone (a 455px clause scrolled sideways);
    only figures (a number with its sign and unit) stay whole."""
    view = build_view(_source_drop_week(rich_signals), email_config)
    text = " ".join(view.summary_text)
    assert "; 280 of the removals came at once from source csv (70% of its 400" in text
    frags = [fr for s in view.summary for fr in s if fr.strong]
    kept = {fr.text for fr in frags if fr.nowrap}
    assert {"280", "1.6%", "26,159", "$184,000", "5.7%"} <= kept
    assert all(len(t) <= 24 and not any(c.isalpha() for c in t) for t in kept)
    assert {"csv", "Rust", "TensorFlow"} <= {fr.text for fr in frags if not fr.nowrap}


def test_the_new_roles_note_counts_one_posting_in_the_singular() -> None:
    from newsletter.data.newroles import NewRoles
    from newsletter.edition.formatting import Formatter
    from newsletter.edition.picks import new_roles_view

    one = new_roles_view(NewRoles(week=date(2026, 11, 23), count=1), Formatter())
    assert one is not None and one.note.startswith("Picked from 1 posting first seen")
    many = new_roles_view(NewRoles(week=date(2026, 11, 23), count=2400), Formatter())
    assert many is not None and many.note.startswith("Picked from 2,400 postings first seen")


def test_the_new_roles_note_says_which_new_postings_the_picks_leave_out(
    rich_signals: Signals, email_config: Config
) -> None:
    """The real Simplify rollover week: "New this week: 100" beside "Picked from 37
    postings first seen this week", two counts of the same thing that disagree. The note now
    says the 37 are of the 100 and why the others are not candidates; when every new posting
    is one, it reads as before."""
    from newsletter.data.newroles import NewRoles

    totals = rich_signals.totals.model_copy(update={"new": 102, "reposted": 2,
                                                    "new_excluding_reposts": 100})  # fmt: skip
    signals = rich_signals.model_copy(update={"totals": totals})
    roles = NewRoles(week=rich_signals.week, count=37)
    view = build_view(signals, email_config, new_roles=roles)
    assert view.new_roles is not None and view.new_roles.note.startswith(
        "Picked from 37 of this week's 100 new postings (the others were posted or open before "
        "last week's snapshot, or lack a title or company): disclosed pay first"
    )
    every = NewRoles(week=rich_signals.week, count=100)
    view = build_view(signals, email_config, new_roles=every)
    assert view.new_roles is not None
    assert view.new_roles.note.startswith("Picked from 100 postings first seen this week:")


def test_held_back_figures_are_named_in_words_not_json_keys() -> None:
    from newsletter.edition.heldback import held_back

    assert (
        held_back("categories.p90_pay: 6 of 12 rows with n_pay < 100")
        == "P90 pay by role (6 of 12)"
    )
    assert held_back("company_detail.spotlight.median_pay: n_pay=18 < 30") == (
        "the spotlight company's median pay"
    )
    assert held_back("skills.rising/falling: needs two snapshots") == (
        "rising and falling skills (first week)"
    )
    assert held_back("remote.by_category.share: 1 of 6 rows with n < 30") == (
        "remote share by role (1 of 6)"
    )
    assert held_back("some.new_key: why") == "some new key"


def test_the_seniority_mix_prints_shares_that_add_up(
    rich_signals: Signals, email_config: Config
) -> None:
    """Three levels of a third each print 33% · 33% · 33%: equal levels print alike (the
    bar's widths, 34 · 33 · 33, fill it; the printed shares read 34% · 33% · 33%)."""
    thirds = [
        r.model_copy(update={"share": s})
        for r, s in zip(rich_signals.seniority, (1 / 3, 1 / 3, 1 / 3, 0.0), strict=True)
    ]
    view = build_view(rich_signals.model_copy(update={"seniority": thirds}), email_config)
    assert view.mix is not None
    shares = [seg.share for seg in view.mix.segments]
    # (the fourth level, with postings last week and none now, stays at 0% with its fall)
    assert sorted(shares) == ["0%", "33%", "33%", "33%"]
    assert sum(seg.width_pct for seg in view.mix.segments) == 100


def test_the_seniority_mix_of_a_few_postings_shows_its_n_and_no_change(
    rich_signals: Signals, email_config: Config
) -> None:
    """On 3 postings one posting moves a share by 33 pp: the mix then says what its shares
    are of and prints no change in pp (it needs 30 open roles in each week)."""

    def mix(open_: int, open_prev: int | None) -> tuple[str, list[str]]:
        totals = rich_signals.totals.model_copy(update={"open": open_, "open_prev": open_prev})
        view = build_view(rich_signals.model_copy(update={"totals": totals}), email_config)
        assert view.mix is not None and view.mix.segments
        return view.mix.note, [seg.change for seg in view.mix.segments]

    note, changes = mix(3, 4362)
    assert note == "Shares of 3 open roles, so no change is shown (it needs 30 in each week)."
    assert changes == ["", "", "", ""]
    note, changes = mix(4335, 3)
    assert note == (
        "Shares of 4,335 open roles; last week had 3, so no change is shown (it needs 30 in "
        "each week)."
    )
    assert changes == ["", "", "", ""]
    assert mix(3, None) == ("Shares of 3 open roles.", ["", "", "", ""])
    note, changes = mix(30, 30)  # both weeks at the gate: the changes, no note
    assert note == "" and all(changes)


def test_top_skills_print_no_change_on_a_week_of_a_few_postings(
    rich_signals: Signals, email_config: Config
) -> None:
    """Against a previous week of 3 postings, every top skill "moved" by tens of pp (one
    posting is 33 pp): the change column then reads a dash and the note says why."""
    assert rich_signals.skills.top and all(s.share_prev for s in rich_signals.skills.top)
    totals = rich_signals.totals.model_copy(update={"open_prev": 3})
    view = build_view(rich_signals.model_copy(update={"totals": totals}), email_config)
    table = view.top_skills
    assert table is not None and table.rows
    assert {row.cells[1].text for row in table.rows} == {DASH}
    assert table.note.endswith(
        "with its change in pp on last week's share (shown from 30 open postings in each "
        "week: this week 26,159, last week 3)."
    )
    table = build_view(rich_signals, email_config).top_skills
    assert table is not None and DASH not in {row.cells[1].text for row in table.rows}


def test_a_metro_median_of_few_postings_prints_its_n(
    rich_signals: Signals, email_config: Config
) -> None:
    """A metro's median from 31 postings printed as "$118k" like one from 1,011: it now
    carries its n under 100 (where a pay table's row shows n: its P90 is held back)."""
    small = rich_signals.metros[0].model_copy(update={"n_pay": 31})
    metros = [small, *rich_signals.metros[1:]]
    view = build_view(rich_signals.model_copy(update={"metros": metros}), email_config)
    extras = {line.name: line.extra for line in view.metros.lines}
    assert extras[small.name] == "$178k (n=31)"
    assert extras["New York"] == "$200k"  # n = 1,011
    assert "with its n under 100" in view.metros.note


def test_the_median_pay_kpi_never_points_against_the_tested_shift(
    rich_signals: Signals, email_config: Config
) -> None:
    """New postings pay 5.7% more (a shift that passed the test) while the stock's median
    slipped 0.5%: the KPI printed "−0.5%" with a down arrow, a move the other way than the
    one found. It now gives both figures and no arrow; a stock median that moved with the
    shift keeps its arrow."""
    pay = rich_signals.pay
    assert pay.significant and not pay.mix_driven and pay.change_pct == 0.057
    slipped = pay.model_copy(update={"median": 180_900.0, "median_prev": 181_800.0})
    view = build_view(rich_signals.model_copy(update={"pay": slipped}), email_config)
    kpi = {k.label: k for k in view.kpis}["Median pay"]
    assert kpi.direction == "none" and kpi.change.text == "−0.5%; new postings +5.7%"
    kpi = {k.label: k for k in build_view(rich_signals, email_config).kpis}["Median pay"]
    assert kpi.direction == "up" and kpi.change.text == "+1.2%"


def test_whole_percents_add_up_and_print_equal_parts_alike() -> None:
    assert whole_percents([0.4, 0.35, 0.25]) == [40, 35, 25]
    # largest remainder: 33.5 + 32.3 + 34.2 rounded each alone is 34 + 32 + 34 = 100...
    assert whole_percents([0.335, 0.323, 0.342]) == [34, 32, 34]
    # ...34.6 + 32.7 + 32.7 is 35 + 33 + 33 = 101: the smallest remainder gives way
    assert whole_percents([0.346, 0.327, 0.327]) == [34, 33, 33]
    # equal parts are equal: three thirds 99, six sixths 102, two eighths by 75% half up,
    # two of 33.6% beside 32.8% 101 (the 34% · 33% · 33% of largest remainder misprints them)
    assert whole_percents([0.336, 0.336, 0.328]) == [34, 34, 33]
    assert whole_percents([1 / 3] * 3) == [33, 33, 33]
    assert whole_percents([1 / 6] * 6) == [17] * 6
    assert whole_percents([0.125, 0.75, 0.125]) == [13, 75, 13]
    # a drawn bar fills exactly: the points go in order
    assert whole_percents([1 / 3] * 3, split_ties=True) == [34, 33, 33]
    assert whole_percents([0.0, 0.0]) == [0, 0]
    f = Formatter("en_US")
    assert f.shares([1 / 3] * 3) == ["33%"] * 3
    assert f.shares([1 / 420, 219 / 420, 200 / 420]) == ["<1%", "52%", "48%"]
    assert f.shares([0.996, 0.004]) == [">99%", "<1%"]
    assert f.shares([1.0, 0.0]) == ["100%", "0%"]
    assert f.shares([0.2, 0.2]) == ["20%", "20%"]  # no one whole: each rounded alone


def test_shares_with_decimals_add_up_to_100_too() -> None:
    """The same rule in tenths of a percent (signals --format table prints one decimal)."""
    assert whole_percents([1 / 6, 1 / 6, 2 / 3], digits=1) == [167, 167, 666]
    assert whole_percents([1 / 3] * 3, digits=1) == [333] * 3  # equal parts alike
    assert sum(whole_percents([0.1234, 0.4567, 0.4199], digits=2)) == 10_000
    f = Formatter("en_US")
    assert f.shares([1 / 6, 1 / 6, 2 / 3], 1) == ["16.7%", "16.7%", "66.6%"]
    assert f.shares([0.99999, 0.00001], 1) == [">99.9%", "<0.1%"]
    assert f.shares([0.2, 0.2], 1) == ["20.0%", "20.0%"]  # no one whole: each alone


def test_the_subject_counts_one_open_role_in_the_singular(tmp_path: Path) -> None:
    """The default subject read "1 open roles"; {open_roles_counted} carries the noun with
    the number, and a template of one's own that writes {open_roles} still works."""
    one, many = _minimal(open=1, net_change=-98), _minimal(open=2000, net_change=1901)
    default = parse_config({"data": {"state_dir": str(tmp_path)}})
    assert build_view(one, default).subject == "AI jobs, week of Nov 23: 1 open role"
    assert build_view(many, default).subject.startswith("AI jobs, week of Nov 23: 2,000 open roles")
    own = parse_config(
        {
            "newsletter": {
                "subject_template": "{open_roles_counted} ({open_roles}) on {week_start}"
            },
            "data": {"state_dir": str(tmp_path)},
        }
    )
    assert build_view(one, own).subject == "1 open role (1) on Nov 23"
    assert build_view(many, own).subject == "2,000 open roles (2,000) on Nov 23"


def test_a_subject_never_shows_a_placeholder_in_a_week_without_pay(
    rich_signals: Signals, tmp_path: Path
) -> None:
    """In a week where no posting gave USD pay the subject read "AI jobs, week of Nov 23:
    2,000 open roles, median —"; the clause holding {median_pay} is now left out, with its
    separator, wherever it stands in the template, and a week with pay keeps it."""
    unpaid = rich_signals.model_copy(
        update={"pay": rich_signals.pay.model_copy(update={"median": None, "n": 0})}
    )
    week, count = "Nov 23", f"{rich_signals.totals.open:,} open roles"
    config = parse_config({"data": {"state_dir": str(tmp_path)}})
    subject = build_view(unpaid, config).subject
    assert subject == f"AI jobs, week of {week}: {count}"
    assert "—" not in subject and "median" not in subject
    paid = build_view(rich_signals, config).subject
    assert paid.startswith(f"AI jobs, week of {week}: {count}, median $")
    templates = {
        "Median {median_pay} · {open_roles_counted} this week": f"{count} this week",
        "{week_start} — median {median_pay:>6} — {open_roles_counted}": f"{week} — {count}",
        "Pay: median {median_pay}": f"Week of {week}: {count}",  # nothing left: the facts
    }
    for template, expected in templates.items():
        own = parse_config(
            {"newsletter": {"subject_template": template}, "data": {"state_dir": str(tmp_path)}}
        )
        assert build_view(unpaid, own).subject == expected, template


def test_the_pay_sentence_says_when_its_window_lacks_a_snapshot(
    rich_signals: Signals, email_config: Config
) -> None:
    """The recent window's four snapshots cover five weeks: "in new postings of the last 4
    weeks" read as four consecutive weeks."""
    pay = rich_signals.pay.model_copy(update={"shift_window_span": 5, "shift_window_span_prev": 4})
    view = build_view(rich_signals.model_copy(update={"pay": pay}), email_config)
    assert (
        "in new postings of the last 4 weekly snapshots over 5 weeks (1 week without one) it "
        "rose 5.7% against the 4 weeks before (95% CI" in " ".join(view.summary_text)
    )


def test_counts_of_one_in_the_note_and_the_first_summary_are_singular(
    email_config: Config,
) -> None:
    """ "1 duplicates removed", "1 closed or hidden listings skipped", "1 rows read" in the
    data-health note, and "counts 1 open roles" in a first issue's summary."""
    health = DataHealth(
        snapshot_rows=1,
        ingest_rows_read=1,
        ingest_rejected=2,
        ingest_rejected_by_reason={"closed": 1, "missing title": 1},
        ingest_duplicates=1,
    )
    first = _minimal(open=1, open_prev=None, new=0, removed=0, net_change=None)
    s = first.model_copy(update={"previous_week": None, "data_health": health})
    view = build_view(s, email_config)
    ingest = next(line for line in view.health if line.startswith("Ingest:"))
    assert ingest == (
        "Ingest: 1 row read, 1 closed or hidden listing skipped, 1 rejected as invalid, "
        "1 duplicate removed."
    )
    assert "This first issue counts 1 open role; week-over-week" in " ".join(view.summary_text)


def test_the_spotlights_pay_range_never_reads_as_one_figure(
    rich_signals: Signals, email_config: Config
) -> None:
    """Ends that print alike in thousands (119,800 and 120,300) read "$120k–$120k" in the
    spotlight's table and paragraph, as if every posting paid the same: the range's ends
    are told apart as every other range's are (``money_k_range``)."""
    spot = rich_signals.company_detail.spotlight
    assert spot is not None
    close = spot.model_copy(update={"pay_low": 119_800.0, "pay_high": 120_300.0})
    detail = rich_signals.company_detail.model_copy(update={"spotlight": close})
    view = build_view(rich_signals.model_copy(update={"company_detail": detail}), email_config)
    assert view.spotlight is not None
    assert view.spotlight.grid.value("Pay range", "").text == "$119.8k–$120.3k"
    assert "disclose $119.8k–$120.3k" in view.spotlight.text
