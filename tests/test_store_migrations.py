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
from newsletter.store.engine import MIGRATIONS, head_revision, sqlite_file

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


def test_head_revision_is_0006_and_ships_inside_the_package() -> None:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    assert head_revision() == "0006"
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", MIGRATIONS)  # a package resource, as shipped
    scripts = ScriptDirectory.from_config(cfg)
    assert scripts.get_current_head() == head_revision()  # the file names tell the head
    where = Path(scripts.dir)
    assert (where / "env.py").is_file()
    assert where.is_relative_to(Path(__file__).resolve().parent.parent / "newsletter")


def test_open_store_migrates_a_new_file_with_wal_and_busy_timeout(config: Config) -> None:
    with open_store(config) as db, db.read() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0006"
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
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [("0006",)]


def test_bad_database_url_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        open_database("no-such-scheme")
    with pytest.raises(StoreError, match="cannot"):
        open_database("nosuchdialect://x")
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match=r"cannot use database .* is a folder, not a file"):
        open_database(f"sqlite:///{tmp_path / 'dir.db'}")


def _round_trip_0005(url: str) -> None:
    """0004 -> 0005 keeps a half-sent issue's rows (new columns empty, partial indexes in
    place); 0005 -> 0004 drops the columns and keeps the rows."""
    from alembic import command

    from newsletter.store.engine import _alembic_config

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0004")
            conn.execute(
                sa.text(
                    "INSERT INTO issues (issue_key, week, status, subject, recipients, sent, "
                    "failed, unknown, skipped, created_at, updated_at) VALUES ('2026-W48', "
                    "'2026-11-23', 'sending', 's', 1, 0, 0, 0, 0, :t, :t)"
                ),
                {"t": "2026-11-23 07:00:00+00:00"},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO sends (issue_key, subscriber_id, email, message_id, status, "
                    "retryable, attempts, updated_at) VALUES ('2026-W48', 1, 'a@example.org', "
                    "'<m@x>', 'queued', false, 0, :t)"
                ),
                {"t": "2026-11-23 07:00:00+00:00"},
            )
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0005")
            row = conn.execute(sa.text("SELECT status, claimed_by, attempt_run FROM sends")).one()
            assert tuple(row) == ("queued", None, None)
            assert conn.execute(sa.text("SELECT run_id FROM issues")).scalar() is None
            names = {i["name"] for i in sa.inspect(conn).get_indexes("sends")}
            assert {"ix_sends_to_send", "ix_sends_claimed"} <= names
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
            assert {d[1].name for d in diffs} == {  # what 0006 adds
                "webhook_nonces",
                "ix_webhook_nonces_expires_at",
            }
        with engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "0004")
            columns = {c["name"] for c in sa.inspect(conn).get_columns("sends")}
            assert "claimed_by" not in columns and "attempt_run" not in columns
            assert conn.execute(sa.text("SELECT count(*) FROM sends")).scalar() == 1
    finally:
        engine.dispose()


def _round_trip_0006(url: str) -> None:
    """0005 -> 0006 adds the empty ``webhook_nonces`` table and matches the declared schema;
    0006 -> 0005 drops it again."""
    from alembic import command

    from newsletter.store.engine import _alembic_config

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0005")
            assert not sa.inspect(conn).has_table("webhook_nonces")
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0006")
            assert conn.execute(sa.text("SELECT count(*) FROM webhook_nonces")).scalar() == 0
            names = {i["name"] for i in sa.inspect(conn).get_indexes("webhook_nonces")}
            assert "ix_webhook_nonces_expires_at" in names
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        with engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "0005")
            assert not sa.inspect(conn).has_table("webhook_nonces")
    finally:
        engine.dispose()


#: The round trips of the migrations after the first (each checks its own table or columns).
ROUND_TRIPS = {"0005": _round_trip_0005, "0006": _round_trip_0006}


@pytest.mark.parametrize("revision", sorted(ROUND_TRIPS))
def test_migration_round_trip_on_sqlite(tmp_path: Path, revision: str) -> None:
    ROUND_TRIPS[revision](f"sqlite:///{tmp_path / 'n.db'}")


@pytest.mark.postgres
@pytest.mark.parametrize("revision", sorted(ROUND_TRIPS))
def test_migration_round_trip_on_postgres(postgres_url: str, revision: str) -> None:
    from tests.test_store_postgres import _fresh

    ROUND_TRIPS[revision](_fresh(postgres_url, f"migrate_{revision}"))


def test_sqlite_file_uri_urls_lock_the_database_file_across_processes(tmp_path: Path) -> None:
    """A ``file:`` URI filename names the same file as its plain path: the send lock is the
    file's flock (which another process sees), not a lock inside this one process."""
    path = tmp_path / "newsletter.db"
    plain = f"sqlite:///{path}"
    uris = [f"sqlite:///file:{path}?uri=true", f"sqlite:///file://{path}?uri=true&cache=private"]
    with open_database(plain):
        pass  # create and migrate the file
    for uri in uris:
        with open_database(uri) as first, open_database(plain) as second:
            with first.exclusive("send") as held:
                assert held
                with second.exclusive("send") as other:
                    assert not other  # what a second `send` (another process) sees
            with second.exclusive("send") as held:
                assert held  # released with the block
    assert (tmp_path / "newsletter.db.send.lock").exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".lock"] == [
        "newsletter.db.send.lock"
    ]
    # in-memory databases keep a lock inside the process (no file to lock)
    for memory in ("sqlite://", "sqlite:///:memory:", "sqlite:///file:m?mode=memory&uri=true"):
        assert sqlite_file(sa.make_url(memory)) is None
    assert sqlite_file(sa.make_url(uris[1])) == str(path)
