"""The issue says which comparison produced the skill and pay moves, in words (two snapshots:
new vs removed postings; longer history: new vs earlier new postings), and names significant
category pay shifts."""

from __future__ import annotations

from newsletter.config import Config
from newsletter.data.signals.models import PayShift, Signals
from newsletter.edition.view import build_view
from tests.signals_sim import Plant, market, signals_of


def _two_snapshot(rich: Signals) -> Signals:
    shifts = [
        PayShift(name="Data Scientist", n=310, n_prev=290, median=205_000, median_prev=170_000,
                 change_pct=0.206, ci_low=0.12, ci_high=0.30, p_value=1e-6, significant=True),
        PayShift(name="MLOps Engineer", n=120, n_prev=80),
    ]  # fmt: skip
    pay = rich.pay.model_copy(
        update={"method": "new-vs-removed", "shift_window_weeks": 1,
                "shift_window_weeks_prev": 1, "category_shifts": shifts}
    )  # fmt: skip
    skills = rich.skills.model_copy(
        update={"method": "new-vs-removed", "n_new": 2115, "n_baseline": 1703, "baseline_weeks": 1}
    )
    return rich.model_copy(update={"pay": pay, "skills": skills})


def test_two_snapshot_methods_are_named_in_the_note_list_and_summary(
    rich_signals: Signals, email_config: Config
) -> None:
    view = build_view(_two_snapshot(rich_signals), email_config)
    note = " ".join(view.health)
    assert (
        "With only two snapshots so far, skill moves compare this week's 2,115 new postings "
        "with the 1,703 that closed this week" in note
    )
    assert "The pay shift compares the median of this week's new postings with that of the " \
        "postings that closed this week" in note  # fmt: skip
    rising = view.skill_lists[0]
    assert "this week's new postings against the postings that closed this week" in rising.note
    summary = " ".join(view.summary_text)
    assert (
        "in this week's new postings it rose 5.7% against the postings that closed this week"
        in summary
    )
    assert "by role, Data Scientist pay rose 20.6% (95% CI +12.0% to +30.0%)" in summary
    assert "MLOps" not in summary


def test_longer_history_methods_are_named(rich_signals: Signals, email_config: Config) -> None:
    view = build_view(rich_signals, email_config)
    note = " ".join(view.health)
    assert "Skill moves compare this week's new postings with those of the previous 4 weeks" in note
    assert "new postings of the last 4 weeks with the 4 weeks before" in note
    assert "closed this week" not in note


def test_a_real_two_snapshot_market_reads_end_to_end(email_config: Config) -> None:
    plant = Plant(rates={"S03": 0.10}, pay={"Data Scientist": 1.2})
    s = signals_of(market(2000, weeks=2, n_open=20_000, plant=plant))
    view = build_view(s, email_config)
    assert [line.name for line in view.skill_lists[0].lines] == ["S03"]
    note = " ".join(view.health)
    assert "With only two snapshots so far" in note
    assert "by role, Data Scientist pay rose" in " ".join(view.summary_text)
    # the joint test of the week's moves, in words, with the number of candidates it tested
    assert s.moves.tested == 35
    assert (
        "A skill or pay move is reported only if it stands out among all 35 candidate moves "
        "tested together this week (Benjamini–Hochberg at 5%), so a week in which nothing "
        "really changed reports none at least 19 times in 20." in note
    )


def test_no_joint_test_no_sentence(rich_signals: Signals, email_config: Config) -> None:
    assert rich_signals.moves.tested == 0
    assert "candidate moves" not in " ".join(build_view(rich_signals, email_config).health)
