"""`newsletter signals --format table` on postings whose names hold Rich markup: printed as
they are, never read as markup."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.data.signals.models import Signals
from tests.conftest import REPO, SIGNALS_FIXTURE
from tests.test_ingest_cli import write_config

HEADER = "id,title,company,location\n"
COMPANIES = ("Acme [/] Labs", "[bold red]Evil[/bold red] Inc")


def _week(path: Path, first_id: int, per_company: int) -> Path:
    rows = [
        f'{first_id + i * 10 + k},Data Scientist,{name},"Austin, TX"\n'
        for i, name in enumerate(COMPANIES)
        for k in range(per_company)
    ]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_markup_in_company_names_prints_as_text(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    cfg = write_config(tmp_path)
    for week, raw in (("2026-11-16", _week(tmp_path / "a.csv", 100, 5)),
                      ("2026-11-23", _week(tmp_path / "b.csv", 200, 6))):  # fmt: skip
        res = runner.invoke(app, ["--config", str(cfg), "ingest", str(raw), "--week", week])
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["--config", str(cfg), "signals", "--format", "table"])
    assert res.exit_code == 0, res.output
    for name in COMPANIES:
        assert name in res.output


def test_figures_are_never_cut_on_an_80_column_terminal(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'$202,0…' reads as another number: the names wrap, the figures stay whole."""
    from newsletter.cli._app import console

    monkeypatch.setattr(console, "_width", 80)
    result = runner.invoke(app, ["signals", "--snapshots", str(REPO / "snapshots")])
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    assert "$202,000" in result.stdout and "significant" in result.stdout


def test_the_remote_share_is_the_issues_of_known_work_mode() -> None:
    """The table's "remote share" was of all postings (20.4% on the real lukebarousse weeks)
    while the issue prints it of the postings with a known work mode (21.9%, 7% unknown):
    one name, two figures. The table now leads with the issue's figure and its gated change,
    then the unknown share and the share of all postings, each named."""
    from rich.console import Console

    from newsletter.cli.signals_table import signals_tables
    from newsletter.data.signals.models import Share

    remote = Share(share=0.2037, share_prev=0.1938, n=1306, n_prev=609, share_of_known=0.21875,
                   share_of_known_prev=0.2063, unknown_share=0.0689, unknown_share_prev=0.0608,
                   n_known=1216, n_known_prev=572, known_change=0.01245)  # fmt: skip
    signals = Signals.model_validate_json(SIGNALS_FIXTURE.read_text(encoding="utf-8"))
    out = Console(width=160, record=True, file=io.StringIO())
    out.print(signals_tables(signals.model_copy(update={"remote": remote}), "en_US"))
    rows = {
        line.split("│")[0].strip(): [c.strip().replace("\u00a0", " ") for c in line.split("│")[1:]]
        for line in out.export_text().splitlines()
        if "│" in line
    }
    assert rows["remote share (known work mode)"] == ["21.9%", "20.6%", "+1.2 pp", "1,216"]
    assert rows["unknown work mode"] == ["6.9%", "6.1%", "+0.8 pp", ""]
    assert rows["remote, of all postings"] == ["20.4%", "19.4%", "+1.0 pp", "1,306"]
    gated = remote.model_copy(update={"known_change": None})
    out = Console(width=160, record=True, file=io.StringIO())
    out.print(signals_tables(signals.model_copy(update={"remote": gated}), "en_US"))
    line = next(x for x in out.export_text().splitlines() if "known work mode)" in x)
    assert line.split("│")[3].strip() == "—"


def test_roles_counted_apart_have_their_own_table(rich_signals: Any) -> None:
    """Contract and other non-full-time roles: a table of their own, only when there are any."""
    from rich.console import Console

    from newsletter.cli.signals_table import signals_tables

    def printed(signals: Any) -> str:
        out = Console(width=80, record=True, file=io.StringIO())
        out.print(signals_tables(signals, "en_US"))
        return out.export_text()

    text = printed(rich_signals)
    assert "Not full-time, counted apart from pay (1,245 open, 322" in text
    contract = next(line for line in text.splitlines() if line.startswith(" contract "))
    assert contract.split() == ["contract", "│", "1,204", "│", "96", "│", "310", "│",
                                "$129,000", "│", "$62"]  # fmt: skip
    pay = rich_signals.pay.model_copy(update={"apart": [], "apart_open": 0, "apart_n": 0})
    assert "counted apart" not in printed(rich_signals.model_copy(update={"pay": pay}))


@pytest.mark.parametrize(
    ("opens", "printed"),
    [
        # each alone: 16.7% + 16.7% + 66.7% = 100.1%
        ((100, 100, 400), ["16.7%", "16.7%", "66.6%"]),
        # each alone: 14.3% + 28.6% + 57.1% = 100.0% already; kept
        ((1, 2, 4), ["14.3%", "28.6%", "57.1%"]),
        # each alone: 11.1% x 9 = 99.9%: equal parts print alike, nearest 100 (the owner's rule)
        ((1,) * 9, ["11.1%"] * 9),
        # 1 of 20,001 is neither none nor 0.0%
        ((1, 10_000, 10_000), ["<0.1%", "50.0%", "50.0%"]),
    ],
)
def test_a_mix_prints_shares_adding_up_to_100(
    rich_signals: Any, opens: tuple[int, ...], printed: list[str]
) -> None:
    """The seniority levels and the categories are one whole each: their share column was
    rounded each alone at one decimal, and read 16.7% + 16.7% + 66.7% = 100.1% for a mix of
    1/6, 1/6 and 2/3. Now the column is the owner's (Formatter.shares) at one decimal."""
    from rich.console import Console

    from newsletter.cli.signals_table import signals_tables

    total = sum(opens)
    row = rich_signals.seniority[0]
    rows = [
        row.model_copy(update={"name": f"level{i}", "open": n, "share": n / total})
        for i, n in enumerate(opens)
    ]
    for field in ("seniority", "categories"):
        signals = rich_signals.model_copy(update={field: rows})
        out = Console(width=200, record=True, file=io.StringIO())
        out.print(signals_tables(signals, "en_US"))
        lines = [ln for ln in out.export_text().splitlines() if ln.startswith(" level")]
        assert [ln.split("│")[5].strip() for ln in lines] == printed, field
