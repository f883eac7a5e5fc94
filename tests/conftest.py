"""Shared fixtures: tiny hand-made snapshots, a config pointing at temp folders, the CLI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from newsletter.config import Config, parse_config
from newsletter.data.snapshots import SNAPSHOT_SCHEMA, write_snapshot
from newsletter.util.clock import FixedClock

REPO = Path(__file__).resolve().parent.parent
SHARED_REAL = REPO.parent / "shared" / "data" / "real"

#: The instant tests run "at": Monday 2026-11-23 09:00 UTC, the week of the latest bundled
#: snapshot. Tests never read the wall clock; they pass this (or a FixedClock of it).
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def posting(pid: str, **over: Any) -> dict[str, Any]:
    """One canonical posting with sensible defaults; override any field."""
    row: dict[str, Any] = {
        "posting_id": f"t:{pid}",
        "source": "t",
        "fingerprint": f"fp-{pid}",
        "title": "Machine Learning Engineer",
        "company": "Acme AI",
        "location": "San Francisco, CA",
        "metro": "San Francisco Bay Area",
        "country": "US",
        "work_mode": "onsite",
        "remote": False,
        "category": "AI/ML Engineer",
        "seniority": "mid",
        "salary_min": None,
        "salary_max": None,
        "salary_mid": None,
        "currency": None,
        "skills": ["Python"],
        "posted_at": date(2026, 11, 2),
        "url": None,
    }
    row.update(over)
    return row


def frame(rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=dict(SNAPSHOT_SCHEMA))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the shell's NEWSLETTER_* variables (a config path, a secret key...).

    A test that needs one sets it with ``monkeypatch.setenv``; subprocesses started by a
    test inherit the cleaned environment.
    """
    for name in [k for k in os.environ if k.startswith("NEWSLETTER_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def make_snapshots(tmp_path: Path) -> Callable[[dict[date, list[dict[str, Any]]]], Path]:
    """Write {week: rows} as canonical snapshots into a temp folder; returns the folder."""

    def _make(weeks: dict[date, list[dict[str, Any]]]) -> Path:
        d = tmp_path / "snapshots"
        for week, rows in weeks.items():
            write_snapshot(frame(rows), d, week)
        return d

    return _make


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config whose state lives under tmp_path."""
    return parse_config(
        {
            "data": {"snapshots_dir": str(tmp_path / "snapshots"), "state_dir": str(tmp_path)},
            "database": {"url": f"sqlite:///{tmp_path / 'newsletter.db'}"},
            "delivery": {"outbox_dir": str(tmp_path / "outbox")},
        }
    )


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at NOW; move it with ``clock.advance(...)``."""
    return FixedClock(NOW)


@pytest.fixture(scope="session")
def shared_real() -> Path:
    """The real job-posting data beside the repo; skips cleanly where it is absent."""
    if not SHARED_REAL.is_dir():
        pytest.skip(f"real data not available at {SHARED_REAL}")
    return SHARED_REAL


# ---- subscribers, store and web (issue 6) ------------------------------------------------
import subprocess  # noqa: E402
from collections.abc import Iterator  # noqa: E402


@pytest.fixture
def serve_app() -> Iterator[Callable[[Any], str]]:
    """Serve an ASGI app with uvicorn on a free loopback port; returns its base URL."""
    from tests.http_support import start_uvicorn

    running: list[tuple[Any, Any]] = []

    def _serve(asgi_app: Any) -> str:
        server, thread, url = start_uvicorn(asgi_app)
        running.append((server, thread))
        return url

    yield _serve
    for server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """An RSA key file for DKIM signing and its DNS TXT record."""
    import base64

    d = tmp_path_factory.mktemp("dkim")
    key = d / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    pub = subprocess.run(
        ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return key, b"v=DKIM1; k=rsa; p=" + base64.b64encode(pub)


def _pg_run(cmd: list[str], as_postgres: bool) -> None:
    if as_postgres:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL server on a Unix socket (no TCP port); skips where unavailable."""
    import pwd
    import shutil
    import tempfile

    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install '.[postgres]')")
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_postgres = os.geteuid() == 0
    if as_postgres and (shutil.which("runuser") is None or not _has_user("postgres")):
        pytest.skip("running as root without a 'postgres' user to start the server")
    base = Path(tempfile.mkdtemp(prefix="nlpg-"))
    if as_postgres:
        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
    data = base / "data"
    try:
        _pg_run(
            [initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"], as_postgres
        )
        opts = f"-k {base} -c listen_addresses='' -F"
        _pg_run([pg_ctl, "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"],
                as_postgres)  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"could not start a PostgreSQL server: {exc}")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={base}"
    finally:
        _pg_run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], as_postgres)
        shutil.rmtree(base, ignore_errors=True)


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# --- email (issue 5) -----------------------------------------------------------------------

SIGNALS_FIXTURE = REPO / "tests" / "data" / "signals-2026-11-23.json"


@pytest.fixture
def rich_signals() -> Any:
    """A hand-made, fully populated Signals (tests/data/make_signals_fixture.py)."""
    from newsletter.data.signals.models import Signals

    return Signals.model_validate_json(SIGNALS_FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def email_config(tmp_path: Path) -> Config:
    """A config for rendering tests: fixed sender, postal address and base URL."""
    return parse_config(
        {
            "newsletter": {
                "title": "AI Jobs Weekly",
                "postal_address": "AI Jobs Weekly, 548 Market St #12345, San Francisco, CA 94104",
                "base_url": "https://news.example.com",
            },
            "data": {"snapshots_dir": str(tmp_path / "snapshots"), "state_dir": str(tmp_path)},
            "database": {"url": f"sqlite:///{tmp_path / 'newsletter.db'}"},
        }
    )


@pytest.fixture
def rich_new_roles() -> Any:
    """New-role candidates from hand-made postings, built by the real pipeline."""
    from tests.readers_support import sample_new_roles

    return sample_new_roles()


@pytest.fixture
def full_config(email_config: Config) -> Config:
    """The rendering config with every optional block on (a sponsor)."""
    sponsor = {"name": "Acme Compute", "text": "GPU clusters by the hour.",
               "url": "https://acme.example/gpus?utm=nl&x=1"}  # fmt: skip
    email = email_config.email.model_copy(
        update={"sponsor": email_config.email.sponsor.model_validate(sponsor)}
    )
    return email_config.model_copy(update={"email": email})


@pytest.fixture
def full_issue(rich_signals: Any, full_config: Config, rich_new_roles: Any) -> Any:
    """The preview of the issue with every section on (note, new roles, sponsor...)."""
    from newsletter.edition.issue import compile_issue, preview_recipient
    from tests.readers_support import sample_note

    issue = compile_issue(rich_signals, full_config, new_roles=rich_new_roles, note=sample_note())
    return issue.personalize(preview_recipient(full_config))


# --- a config file for CLI tests: state under tmp_path, the bundled snapshots --------------
@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A config.toml whose database, outbox and state live under tmp_path."""
    p = tmp_path / "config.toml"
    p.write_text(
        f'[data]\nsnapshots_dir = "{REPO / "snapshots"}"\nstate_dir = "state"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "newsletter.db"}"\n'
        f'[delivery]\noutbox_dir = "outbox"\n',
        encoding="utf-8",
    )
    return p


@pytest.fixture(scope="session")
def ingest_rules() -> Any:
    """The shipped rules (rules/*.yaml), loaded once per test session."""
    from newsletter.data.ingest import load_rules

    return load_rules(REPO / "rules")


# --- a headless Chromium (Debian's chromium, driven by Playwright); skips where none runs ----
@pytest.fixture(scope="module")
def chromium() -> str:
    from newsletter.edition.screenshot import BrowserUnavailableError, find_chromium

    try:
        return find_chromium()
    except BrowserUnavailableError as exc:
        pytest.skip(str(exc))


def launched_browser(chromium: str) -> Iterator[Any]:
    """Playwright's Chromium, running until the generator is closed; skips where it does not
    start."""
    from newsletter.edition.screenshot import CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        except sync_api.Error as exc:
            pytest.skip(f"headless Chromium does not start here: {str(exc).splitlines()[0]}")
        yield b
        b.close()


@pytest.fixture
def browser(chromium: str) -> Iterator[Any]:
    """A browser per test: Playwright's sync API allows one running instance per thread,
    and some tests start their own (the screenshot command). A module none of whose tests
    does may share one (``launched_browser`` in a module-scoped ``browser`` fixture)."""
    yield from launched_browser(chromium)
