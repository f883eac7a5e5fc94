"""Open the database: engine, SQLite pragmas, and migrations applied safely on start.

``open_store(config)`` creates the engine from ``[database] url``. On SQLite it turns on WAL
and a busy timeout, and write transactions start with ``BEGIN IMMEDIATE`` so two processes
never deadlock upgrading a read lock. Migrations (packaged in ``newsletter/store/migrations``)
are applied inside one transaction that first takes a lock (SQLite: the write lock;
PostgreSQL: an advisory lock), so concurrent starts apply them exactly once.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from newsletter.config import Config
from newsletter.errors import StoreError
from newsletter.util.files import output_problem
from newsletter.util.text import shown_path

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

#: The packaged Alembic scripts, as a package resource (Alembic reads it with
#: importlib.resources, so an installed wheel finds them).
MIGRATIONS = "newsletter.store:migrations"
BUSY_TIMEOUT_MS = 30_000
#: Arbitrary constant naming the PostgreSQL advisory lock that serializes migrations.
_PG_MIGRATION_LOCK = 7_402_026_001
_IMMEDIATE = "newsletter_immediate"
#: :meth:`Database.exclusive` locks of in-memory databases, by (URL, name).
_PROCESS_LOCKS: dict[tuple[str, str], threading.Lock] = {}


def _alembic_config(connection: Connection | None = None) -> AlembicConfig:
    # alembic is imported only to migrate: opening an up-to-date database never needs it.
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", MIGRATIONS)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest packaged migration: each file in ``migrations/versions`` is named after its
    revision id (``0005_send_workers.py`` is revision ``0005``, each revising the one before;
    a test checks this against alembic's own reading of the scripts)."""
    names = [
        f.name.split("_", 1)[0]
        for f in (files("newsletter.store.migrations") / "versions").iterdir()
        if f.name[:1].isdigit() and f.name.endswith(".py")
    ]
    if not names:  # pragma: no cover - the package always ships 0001
        raise StoreError("no database migrations are packaged")
    return max(names)


def current_revision(conn: Connection) -> str | None:
    """The database's revision (alembic's version table), None before the first migration
    or when it holds several heads."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return str(rows[0]) if len(rows) == 1 else None


def _sqlite_events(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _begin)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(url: str) -> Engine:
    """An engine for ``url`` with the project's SQLite settings; clear errors for bad URLs."""
    try:
        parsed = sa.make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a malformed host ("[::1/db")
        raise StoreError(f"[database] url {url!r} is not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            # a part of the path that is a file ("File exists"), the path a folder ("unable
            # to open database file"): named as every output path of a command is
            problem = output_problem(Path(db), folder=False)
            if problem is not None:
                raise StoreError(f"cannot use database {shown_path(db)}: {problem}")
            try:
                Path(db).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot make the folder of database {db}: {exc.strerror or exc}"
                ) from None
    try:
        engine = sa.create_engine(parsed)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StoreError(f"cannot use database URL {parsed!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_events(engine)
    return engine


@contextmanager
def locked_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction: BEGIN IMMEDIATE on SQLite, a plain transaction elsewhere."""
    with engine.connect() as conn:
        conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn


def migrate(engine: Engine) -> str:
    """Bring the schema to the packaged head revision; safe to call from many processes."""
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return head
    with locked_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        if current_revision(conn) != head:
            from alembic import command

            command.upgrade(_alembic_config(conn), "head")
    return head


@dataclass(frozen=True, slots=True)
class Database:
    """An open, migrated database. Close it (or use ``with``) to release connections."""

    engine: Engine

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; a database that refuses the write (a read-only file, a full
        disk, a lock held past the busy timeout) is a StoreError naming it, one line at the
        command line, the transaction rolled back."""
        try:
            with locked_transaction(self.engine) as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(f"cannot write to database {self.engine.url!r}: {exc.orig}") from None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """Try to hold the cross-process lock ``name`` for the block; yields whether it is held.

        SQLite: ``flock`` on ``<database file>.<name>.lock``; PostgreSQL: a session advisory
        lock; an in-memory database: a lock in this process. The kernel or the server drops
        them when the process dies, so a killed run never blocks the next one.
        """
        url = self.engine.url
        if self.shared:
            key = lock_key(name)
            with self.engine.connect() as conn:
                held = bool(conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
                conn.commit()
                try:
                    yield held
                finally:
                    if held:
                        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
            return
        db = sqlite_file(url)
        if db is None:
            lock = _PROCESS_LOCKS.setdefault((str(url), name), threading.Lock())
            held = lock.acquire(blocking=False)
            try:
                yield held
            finally:
                if held:
                    lock.release()
            return
        with open(f"{db}.{name}.lock", "a+b") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
            else:
                yield True  # released when the file is closed

    @property
    def shared(self) -> bool:
        """Whether processes on several hosts may work on this database at once (PostgreSQL:
        row locks with SKIP LOCKED, advisory locks); SQLite is one machine's file."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session_lock(self, name: str) -> Iterator[Connection]:
        """Hold the PostgreSQL session advisory lock ``name`` on a connection of its own for
        the block, waiting for it if needed; yields that connection (use it only from one
        thread at a time). The server drops the lock when the session ends, so other
        sessions see a dead holder at once with :func:`lock_is_free`."""
        if not self.shared:
            raise StoreError("session locks need PostgreSQL")
        key = lock_key(name)
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
            try:
                yield conn
            finally:
                if not conn.invalidated:
                    conn.rollback()
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def lock_key(name: str) -> int:
    """The PostgreSQL advisory lock key of ``name`` (64 bits of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def lock_is_free(conn: Connection, name: str) -> bool:
    """Whether no session holds the advisory lock ``name`` (PostgreSQL; inside the caller's
    transaction: the probe takes it for that transaction only)."""
    key = lock_key(name)
    return bool(conn.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))


def open_database(url: str) -> Database:
    engine = create_engine(url)
    try:
        migrate(engine)
    except (OperationalError, DatabaseError) as exc:  # DatabaseError: "file is not a database"
        engine.dispose()
        raise StoreError(f"cannot open database {engine.url!r}: {exc.orig}") from None
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)


def open_store(config: Config, *, existing: bool = False) -> Database:
    """Open (and migrate) the database named by ``[database] url``. With ``existing`` (a
    command that only reads), a SQLite file that is not there is a StoreError naming the
    config in use, rather than a new empty database (a command run in the wrong folder)."""
    if existing:
        path = sqlite_file(sa.make_url(config.database.url))
        if path is not None and not Path(path).exists():
            used = (
                shown_path(config.path) if config.path else "no config.toml here: built-in defaults"
            )
            raise StoreError(f"no database at {shown_path(path)} ({used}); nothing to read")
    return open_database(config.database.url)


def sqlite_file(url: sa.URL) -> str | None:
    """The file of a SQLite database URL (a plain path, or the path of a ``file:`` URI
    filename as in ``sqlite:///file:/srv/newsletter.db?uri=true``), or None for an in-memory
    database (``:memory:``, ``mode=memory``, no name)."""
    db = url.database
    if not db or db == ":memory:":
        return None
    if not db.startswith("file:"):
        return db
    parts = urlsplit(db)
    given = url.query.get("mode")
    modes = parse_qs(parts.query).get("mode", [])
    modes += [given] if isinstance(given, str) else list(given or ())
    path = unquote(parts.path)
    if "memory" in modes or not path or path == ":memory:":
        return None
    return path
