"""The store opens real SQLite files, applies the packaged migrations once, even when
several processes start at the same time, and its tables match the declared schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from newsletter.config import Config
from newsletter.errors import StoreError
from newsletter.store import metadata, open_database, open_store
from newsletter.store.engine import MIGRATIONS, head_revision

OPEN_SCRIPT = """
import sys, time
from pathlib import Path
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
from newsletter.store import open_database
with open_database(sys.argv[1]) as db:
    pass
"""


def test_head_revision_is_0005_and_ships_inside_the_package() -> None:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    assert head_revision() == "0005"
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", MIGRATIONS)  # a package resource, as shipped
    where = Path(ScriptDirectory.from_config(cfg).dir)
    assert (where / "env.py").is_file()
    assert where.is_relative_to(Path(__file__).resolve().parent.parent / "newsletter")


def test_open_store_migrates_a_new_file_with_wal_and_busy_timeout(config: Config) -> None:
    with open_store(config) as db, db.read() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0005"
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == [], "migrations and newsletter/store/tables.py disagree"


def test_reopening_is_a_no_op(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with open_database(url) as db, db.write() as conn:
        conn.execute(sa.text("CREATE TABLE marker (x INTEGER)"))
    with open_database(url) as db, db.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM marker")).scalar() == 0


def test_concurrent_starts_apply_migrations_exactly_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_SCRIPT, url, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    go.touch()
    for p in procs:
        _out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    with open_database(url) as db, db.read() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [("0005",)]


def test_bad_database_url_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        open_database("no-such-scheme")
    with pytest.raises(StoreError, match="cannot"):
        open_database("nosuchdialect://x")
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match="cannot open database"):
        open_database(f"sqlite:///{tmp_path / 'dir.db'}")
