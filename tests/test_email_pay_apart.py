"""The pay section: its figures are full-time roles, and other kinds are counted apart in
one short line each (both parts of the email), only when there are any."""

from __future__ import annotations

from typing import Any

import pytest

from newsletter.config import Config
from newsletter.data.signals.models import Signals
from newsletter.edition.formatting import Formatter
from newsletter.edition.heldback import held_back
from newsletter.edition.issue import render_issue
from newsletter.edition.view import PAY_LABEL, build_view
from tests.conftest import posting
from tests.signals_support import run

CONTRACT = (
    "Contract roles are counted apart: 1,204 open, median $62 an hour ($129,000 a year) "
    "from 310 with pay."
)
INTERNSHIPS = (
    "Internships are counted apart: 41 open; median held back, 12 with pay (the gate is 30)."
)


def _with_apart(signals: Signals, *rows: dict[str, Any]) -> Signals:
    """``signals`` with only the ``rows`` counted apart (and no line withheld for them)."""
    pay = signals.pay.model_validate(signals.pay.model_dump() | {"apart": list(rows)})
    dh = signals.data_health
    held = [x for x in dh.suppressed if not x.startswith("pay.apart")]
    health = dh.model_copy(update={"suppressed": held})
    return signals.model_copy(update={"pay": pay, "data_health": health})


def _one_line(text: str) -> str:
    """The text part wraps at 78 columns: its lines joined back."""
    return " ".join(text.split())


def test_the_pay_section_says_full_time_and_counts_contract_roles_apart(
    rich_signals: Signals, email_config: Config
) -> None:
    view = build_view(rich_signals, email_config)
    assert view.pay_tables[0].note == PAY_LABEL and "full-time" in PAY_LABEL
    assert view.pay_apart == (CONTRACT, INTERNSHIPS)
    issue = render_issue(rich_signals, email_config)
    html = issue.html.replace("&#39;", "'")
    text = _one_line(issue.text)
    for line in (PAY_LABEL, CONTRACT, INTERNSHIPS):
        assert line in html and line in text
    # after the pay tables, before the next section
    pay = html.split("Pay tiers by seniority")[1].split("Highest-paying roles")[0]
    assert CONTRACT in pay and INTERNSHIPS in pay
    # the withheld median is named with the rest of the week's withheld figures
    assert "median pay of roles counted apart (1 of 2)" in text


def test_no_line_when_every_role_is_full_time(rich_signals: Signals, email_config: Config) -> None:
    signals = _with_apart(rich_signals)
    view = build_view(signals, email_config)
    assert view.pay_apart == ()
    assert view.pay_tables[0].note == PAY_LABEL  # the label stays: the figures are full-time
    issue = render_issue(signals, email_config)
    for body in (issue.html, issue.text):
        assert "counted apart" not in body
    assert PAY_LABEL in _one_line(issue.text)


@pytest.mark.parametrize(
    ("row", "line"),
    [
        (
            {"name": "contract", "open": 1, "new": 1, "n": 1},
            "Contract roles are counted apart: 1 open; median held back, 1 with pay "
            "(the gate is 30).",
        ),
        (
            {"name": "temporary", "open": 2, "n": 0},
            "Temporary roles are counted apart: 2 open, none with annual USD pay.",
        ),
        (
            {"name": "temporary", "open": 45, "n": 31, "median": 93_600.0,
             "median_hourly": 45.0},
            "Temporary roles are counted apart: 45 open, median $45 an hour ($94,000 a year) "
            "from 31 with pay.",
        ),
        # a part-timer's or an intern's year is not 2,080 hours: the hourly figure only
        (
            {"name": "part_time", "open": 40, "n": 30, "median": 62_400.0,
             "median_hourly": 30.0},
            "Part-time roles are counted apart: 40 open, median $30 an hour from 30 with pay.",
        ),
        (
            {"name": "internship", "open": 1_500, "n": 300, "median": 49_920.0,
             "median_hourly": 24.0},
            "Internships are counted apart: 1,500 open, median $24 an hour from 300 with pay.",
        ),
        (
            {"name": "per_diem", "open": 3, "n": 0},
            "Per diem roles are counted apart: 3 open, none with annual USD pay.",
        ),
    ],
)  # fmt: skip
def test_each_kind_in_words(
    rich_signals: Signals, email_config: Config, row: dict[str, Any], line: str
) -> None:
    assert build_view(_with_apart(rich_signals, row), email_config).pay_apart == (line,)


def test_hourly_pay_in_whole_dollars() -> None:
    f = Formatter("en_US")
    assert (f.hourly(62.0192), f.hourly(62.5), f.hourly(1234.4)) == ("$62", "$63", "$1,234")


def test_held_back_names_the_apart_median() -> None:
    line = "pay.apart.median: 2 of 3 types with n < 30 USD-paid"
    assert held_back(line) == "median pay of roles counted apart (2 of 3)"


def test_the_issue_prints_the_series_computed_from_postings(email_config: Config) -> None:
    staff = [posting(f"f{j}", currency="USD", salary_mid=100_000.0 + 1_000 * j) for j in range(40)]
    gigs = [
        posting(f"c{j}", currency="USD", salary_mid=(60.0 + j) * 2080, employment="contract")
        for j in range(31)
    ]
    signals = run([staff, staff + gigs])
    view = build_view(signals, email_config)
    assert view.pay_apart == (
        "Contract roles are counted apart: 31 open, median $75 an hour ($156,000 a year) "
        "from 31 with pay.",
    )
    kpi = next(k for k in view.kpis if k.label == "Median pay")
    assert kpi.value == "$120,000" and kpi.notes == ("n=40",)  # $119,500, full-time only
