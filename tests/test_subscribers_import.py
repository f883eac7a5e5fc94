"""CSV import/export on real SQLite files: idempotent, never resurrects, rejects are saved."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.audience.subscribers import SubscriberStore
from newsletter.audience.transfer import IMPORT_MAX_BYTES, export_csv, import_csv
from newsletter.cli import app
from newsletter.config import Config
from newsletter.errors import SubscriberError
from newsletter.store import open_store

ROWS = """email,name,categories,metros,seniority,source
ada@example.com,Ada,Data Scientist;AI/ML Engineer,Seattle,senior,web
BOB@Example.com,Bob,,,,fair
not-an-address,Nope,,,,fair
,Empty email,,,,fair
bob@example.com,Bob again,,,,fair
carol@example.com,Carol,,New York,,fair
"""


@pytest.fixture
def store(config: Config) -> Iterator[SubscriberStore]:
    with open_store(config) as db:
        yield SubscriberStore(db)


def _write(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_import_counts_every_row_and_saves_invalid_ones(
    store: SubscriberStore, tmp_path: Path
) -> None:
    path = _write(tmp_path, ROWS)
    report = import_csv(store, path)
    assert report.total == 6
    assert report.added == 3
    assert report.updated == 0
    assert report.skipped == {"duplicate of an earlier row in the file": 1}
    assert len(report.invalid) == 2
    assert report.added + report.updated + report.skipped_total + len(report.invalid) == 6
    assert report.ignored_columns == ("source",)
    ada = store.get("ada@example.com")
    assert ada.preferences.categories == ("Data Scientist", "AI/ML Engineer")
    assert ada.preferences.metros == ("Seattle",)
    assert ada.consent.source == "import"
    assert ada.consent.text is not None and "list.csv" in ada.consent.text
    assert store.get("bob@example.com").email == "BOB@example.com"
    assert report.rejects_path == tmp_path / "list.rejects.csv"
    text = report.rejects_path.read_text(encoding="utf-8")
    rejects = list(csv.DictReader(text.splitlines()))
    assert [r["line"] for r in rejects] == ["4", "5"]
    assert rejects[0]["email"] == "not-an-address"
    assert "not a valid email address" in rejects[0]["reason"]
    assert rejects[1]["reason"] == "the email address is empty"


def test_importing_the_same_file_twice_changes_nothing(
    store: SubscriberStore, tmp_path: Path
) -> None:
    path = _write(tmp_path, ROWS)
    import_csv(store, path)
    before = [s.to_json() for s in store.list_all()]
    again = import_csv(store, path)
    assert again.added == 0 and again.updated == 0
    assert again.skipped["already on the list, unchanged"] == 3
    assert [s.to_json() for s in store.list_all()] == before


def test_changed_rows_update_names_and_preferences(store: SubscriberStore, tmp_path: Path) -> None:
    import_csv(store, _write(tmp_path, ROWS))
    changed = "email,name,metros\nada@example.com,Ada L.,Boston;Seattle\n"
    report = import_csv(store, _write(tmp_path, changed, "changed.csv"))
    assert (report.added, report.updated) == (0, 1)
    ada = store.get("ada@example.com")
    assert ada.name == "Ada L."
    assert ada.preferences.metros == ("Boston", "Seattle")
    assert ada.preferences.categories == ("Data Scientist", "AI/ML Engineer")  # column absent


def test_import_never_resurrects_stopped_or_suppressed_addresses(
    store: SubscriberStore, tmp_path: Path
) -> None:
    for e in ("u@example.com", "b@example.com", "c@example.com", "gone@example.com"):
        store.add(e)
    store.unsubscribe("u@example.com")
    store.mark_bounced("b@example.com", "550")
    store.mark_complained("c@example.com", "fbl")
    store.remove("gone@example.com")
    store.mark_bounced("never-seen@example.com", "550 from an earlier tool")
    emails = ["U@example.com", "b@example.com", "c@example.com", "gone@example.com"]
    text = "\n".join(["email", *emails, "never-seen@example.com", ""])
    report = import_csv(store, _write(tmp_path, text))
    assert report.added == 0 and report.updated == 0
    assert report.skipped == {
        "on the suppression list (unsubscribed)": 1,
        "on the suppression list (bounced)": 2,
        "on the suppression list (complained)": 1,
        "on the suppression list (erased)": 1,
    }
    assert store.get("u@example.com").status == "unsubscribed"
    assert store.find("gone@example.com") is None
    assert store.find("never-seen@example.com") is None


def test_dry_run_writes_nothing(store: SubscriberStore, tmp_path: Path) -> None:
    path = _write(tmp_path, ROWS)
    report = import_csv(store, path, dry_run=True)
    assert report.added == 3 and len(report.invalid) == 2
    assert store.list_all() == []
    assert not (tmp_path / "list.rejects.csv").exists()


@pytest.mark.parametrize(
    ("text", "match"),
    [("name\nAda\n", "no 'email' column"), ("email,email\na@b.co,x\n", "repeats")],
)
def test_unusable_files_are_refused_before_any_write(
    store: SubscriberStore, tmp_path: Path, text: str, match: str
) -> None:
    with pytest.raises(SubscriberError, match=match):
        import_csv(store, _write(tmp_path, text))
    with pytest.raises(SubscriberError, match="does not exist"):
        import_csv(store, tmp_path / "missing.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00email")
    with pytest.raises(SubscriberError, match="not UTF-8"):
        import_csv(store, tmp_path / "bin.csv")
    assert store.list_all() == []


def test_export_csv_round_trips_through_import(
    store: SubscriberStore, tmp_path: Path, config: Config
) -> None:
    import_csv(store, _write(tmp_path, ROWS))
    exported = _write(tmp_path, export_csv(store.list_all()), "export.csv")
    with open_store(
        config.model_copy(
            update={"database": config.database.model_copy(
                update={"url": f"sqlite:///{tmp_path / 'copy.db'}"})}
        )
    ) as db:  # fmt: skip
        copy = SubscriberStore(db)
        report = import_csv(copy, exported)
        assert report.added == 3 and not report.invalid
        by_email = {s.email: s for s in copy.list_all()}
    for s in store.list_all():
        c = by_email[s.email]
        assert (c.name, c.preferences, c.consent.at) == (s.name, s.preferences, s.consent.at)


def test_cli_import_export_and_list_json(runner: CliRunner, config: Config, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[database]\nurl = "{config.database.url}"\n'
        f'[delivery]\noutbox_dir = "{config.delivery.outbox_dir}"\n',
        encoding="utf-8",
    )
    path = _write(tmp_path, ROWS)
    dry = runner.invoke(
        app, ["--config", str(cfg), "subscribers", "import", str(path), "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.stdout and "would be added: 3" in dry.stdout
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "import", str(path)])
    assert res.exit_code == 0, res.output
    assert "added: 3" in res.stdout and "invalid: 2" in res.stdout
    assert "list.rejects.csv" in res.stdout
    out = runner.invoke(app, ["--config", str(cfg), "subscribers", "list", "--format", "json"])
    data = json.loads(out.stdout)
    assert {d["email"] for d in data} == {"ada@example.com", "BOB@example.com", "carol@example.com"}
    assert all({"email", "name", "status", "preferences"} <= d.keys() for d in data)
    target = tmp_path / "out" / "subs.json"
    exp = runner.invoke(
        app,
        ["--config", str(cfg), "subscribers", "export", "--format", "json", "--out", str(target)],
    )
    assert exp.exit_code == 0, exp.output
    assert json.loads(target.read_text(encoding="utf-8")) == data
    bad = runner.invoke(
        app, ["--config", str(cfg), "subscribers", "import", str(tmp_path / "x.csv")]
    )
    assert bad.exit_code == 1
    assert "error:" in bad.stderr and "does not exist" in bad.stderr
    assert "Traceback" not in bad.output


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("email,name,categories\n", "no subscribers in list.csv: it has a header and no rows"),
        ("\ufeffemail,name\r\n\r\n  \r\n", "no subscribers in list.csv: it has a header"),
        ("sep=;\r\nemail;name\r\n", "no subscribers in list.csv: it has a header"),
        ("", "list.csv is empty: a list is a header line with an 'email' column"),
        ("\ufeff \n", "list.csv is empty"),
    ],
    ids=["header", "header-and-blank-lines", "excel-sep-and-header", "empty", "bom-only"],
)
@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_a_list_without_a_single_row_is_refused_as_ingest_refuses_one(
    runner: CliRunner, config: Config, tmp_path: Path, text: str, says: str, *, dry_run: bool
) -> None:
    """An export with a header and no rows (the wrong file, a filter that matched nobody)
    was imported with exit 0 and "rows read: 0", so a script never learnt that nothing
    came in; `newsletter ingest` refuses such an export. The import says so in one line and
    exits 1, and writes nothing (no rejects file)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    source = _write(tmp_path, text)
    argv = ["--config", str(cfg), "subscribers", "import", str(source)]
    res = runner.invoke(app, argv + (["--dry-run"] if dry_run else []))
    assert res.exit_code == 1, res.output
    assert res.stderr.startswith("error: ")
    assert says.replace("list.csv", str(source)) in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.output
    assert res.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".csv") == ["list.csv"]


@pytest.mark.parametrize("first", ["\ufeff", "sep=;\r\n"], ids=["excel-bom", "excel-sep-line"])
def test_a_list_saved_by_excel_with_semicolons_imports_as_the_comma_file_does(
    store: SubscriberStore, tmp_path: Path, first: str
) -> None:
    """Excel writes a semicolon between fields where the decimal mark is a comma (and may
    name it on a first ``sep=;`` line); a field holding the list separator is quoted."""
    rows = [
        "email;name;categories;metros",
        'ada@example.com;"Lovelace; Ada";"Data Scientist;AI/ML Engineer";Seattle',
        "bob@example.com;Bob;;",
    ]
    path = tmp_path / "excel.csv"
    path.write_bytes((first + "\r\n".join(rows) + "\r\n").encode("utf-8"))
    report = import_csv(store, path)
    assert (report.total, report.added, len(report.invalid)) == (2, 2, 0)
    ada = store.get("ada@example.com")
    assert ada.name == "Lovelace; Ada"
    assert ada.preferences.categories == ("Data Scientist", "AI/ML Engineer")
    assert ada.preferences.metros == ("Seattle",)
    assert store.get("bob@example.com").preferences.categories == ()


@pytest.mark.parametrize("kind", ["named pipe", "device"])
def test_a_pipe_or_a_device_is_refused_before_it_is_opened(
    runner: CliRunner, config: Config, tmp_path: Path, kind: str
) -> None:
    """Reading a named pipe blocks until something writes to it, and /dev/zero never ends:
    the import refuses both with one line instead of hanging or filling the memory."""
    source = tmp_path / "list.csv"
    if kind == "named pipe":
        os.mkfifo(source)
    else:
        source = Path("/dev/zero")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "import", str(source)])
    assert res.exit_code == 1, res.output
    assert res.stderr.startswith("error:") and "is not a regular file" in res.stderr
    assert "Traceback" not in res.output and len(res.stderr.strip().splitlines()) == 1


def test_a_list_over_the_size_limit_is_refused_before_it_is_read(
    runner: CliRunner, config: Config, tmp_path: Path
) -> None:
    """A list is read whole, so its size is checked first: one line, nothing read (the file
    here is sparse: its size costs no disk)."""
    source = tmp_path / "huge.csv"
    with source.open("wb") as f:
        f.write(b"email\nok@example.com\n")
        f.truncate(IMPORT_MAX_BYTES + 1)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "import", str(source)])
    assert res.exit_code == 1, res.output
    assert res.stderr.startswith("error:") and "split it and import the parts" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    source.write_text("email\nok@example.com\n", encoding="utf-8")  # under it: imported
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "import", str(source)])
    assert res.exit_code == 0, res.output


def test_a_cell_past_the_csv_modules_field_limit_is_judged_with_its_row(
    store: SubscriberStore, tmp_path: Path
) -> None:
    """Python's csv reader refuses a field over 131,072 characters; one such cell (a pasted
    page in a name, a runaway quote) costs its row at most, never the whole list."""
    huge = "x" * 200_000
    path = _write(
        tmp_path,
        f"email,name\nok1@example.com,A\nlong@example.com,Lee {huge}\n{huge}@example.com,B\n"
        "ok2@example.com,C\n",
    )
    report = import_csv(store, path)
    assert report.total == 4 and report.added == 3
    [bad] = report.invalid
    assert bad.line == 4 and "longer than 320 characters" in bad.reason
    assert store.get("long@example.com").name == ("Lee " + huge)[:100]
    assert {s.email for s in store.list_all()} == {
        "ok1@example.com",
        "long@example.com",
        "ok2@example.com",
    }


def test_a_rejected_rows_line_is_its_line_in_the_file(
    store: SubscriberStore, tmp_path: Path
) -> None:
    """The line number is the file's, where the row starts: after Excel's ``sep=;`` line and
    a name quoted over two lines, 'not-an-address' (line 5) was reported as line 3."""
    path = _write(
        tmp_path,
        'sep=;\nemail;name\nada@example.com;"Ada\nLovelace"\nnot-an-address;Nope\n\nbo@example.com;Bo\n',
    )
    report = import_csv(store, path)
    assert (report.added, [(r.line, r.group) for r in report.invalid]) == (
        2,
        [(5, "invalid email address"), (6, "empty row")],
    )


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_a_list_of_nothing_but_invalid_rows_exits_non_zero_with_its_counts(
    runner: CliRunner, config: Config, tmp_path: Path, *, dry_run: bool
) -> None:
    """A list whose every row was invalid (the wrong column under "email", a file of
    typos) printed its counts and exited 0, so a script never learnt that nobody came in.
    The counts and the rejects file stay; one error line says nothing was imported, exit 1.
    A list with a single good row among bad ones still exits 0 (its rejects are saved)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    source = _write(tmp_path, "email,name\nnot-an-address,A\n,B\n\nstill@wrong@x,C\n")
    argv = ["--config", str(cfg), "subscribers", "import", str(source)]
    res = runner.invoke(app, argv + (["--dry-run"] if dry_run else []))
    assert res.exit_code == 1, res.output
    assert "rows read: 4" in res.stdout and "invalid: 4" in res.stdout
    assert "invalid email address: 3" in res.stdout and "empty row: 1" in res.stdout
    verb = "would be imported" if dry_run else "imported"
    assert res.stderr.startswith(f"error: nothing {verb}: all 4 row(s) of {source} are invalid")
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.output
    rejects = tmp_path / "list.rejects.csv"
    if dry_run:
        assert not rejects.exists()
    else:
        assert f"they are in {rejects}" in res.stderr
        rows = list(csv.reader(rejects.read_text(encoding="utf-8").splitlines()))
        assert [r[0] for r in rows] == ["line", "2", "3", "4", "5"]
    good = _write(tmp_path, "email,name\nnot-an-address,A\nok@example.com,B\n", "some.csv")
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "import", str(good)])
    assert res.exit_code == 0, res.output
    assert "added: 1" in res.stdout and "invalid: 1" in res.stdout and res.stderr == ""


def test_the_rejects_path_of_a_list_named_with_an_escape_sequence_prints_as_escapes(
    runner: CliRunner, config: Config, tmp_path: Path
) -> None:
    """The rejects file is named after the list: a list named ``a\\x1b[2J.csv`` had its
    rejects path printed with the escape dropped and ``[2J`` kept, a name no file has. The
    report shows it with the escape written out, the file where it names."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    source = _write(tmp_path, "email\nok@example.com\nnope\n", "a\x1b[2J.csv")
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "import", str(source)])
    assert res.exit_code == 0, res.output
    rejects = tmp_path / "a\x1b[2J.rejects.csv"
    assert rejects.is_file()
    shown = str(rejects).replace("\x1b", "\\x1b")
    assert f"invalid rows saved to {shown}\n" in res.stdout


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_list_without_a_byte_order_mark_is_refused_as_one_with_it(
    runner: CliRunner, config: Config, tmp_path: Path, encoding: str
) -> None:
    """A UTF-16 file without its byte-order mark was read as UTF-8: its header's NUL bytes
    were cleaned away, so "e\\0m\\0a\\0i\\0l\\0" passed for the email column, and every row
    was "imported" as an invalid one (an address with NUL bytes, a name that is not UTF-8),
    where one with the mark is refused in one line. The same line refuses it now, before any
    row is judged, and no rejects file is written."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    source = tmp_path / "list.csv"
    source.write_bytes("email,name\nann@example.com,Zoë\n".encode(encoding))
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "import", str(source)])
    assert res.exit_code == 1, res.output
    assert res.stderr == (
        f"error: {source}: its header (line 1) holds NUL bytes, as UTF-16 text without a "
        "byte-order mark does, not UTF-8: save it as UTF-8 (Excel: CSV UTF-8) and import it "
        "again\n"
    )
    assert res.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".csv") == ["list.csv"]


@pytest.mark.parametrize(
    ("name", "shown"),
    [("l\udcff.csv", "l\\xff.csv"), ("l\x1b[2J.csv", "l\\x1b[2J.csv")],
    ids=["latin1-byte", "escape-sequence"],
)
def test_a_list_named_with_a_byte_or_an_escape_is_named_as_it_is_in_the_error(
    runner: CliRunner, config: Config, tmp_path: Path, name: str, shown: str
) -> None:
    """``subscribers import $'l\\xff.csv'`` (a file named in Latin-1) that does not exist
    said "file l.csv does not exist": the byte was dropped from the error line, which then
    named another file, perhaps one that exists. The byte (or an escape sequence) is
    written out as ``\\xff`` (``\\x1b``) now."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    (tmp_path / "l.csv").write_text("email\na@example.com\n", encoding="utf-8")
    missing = tmp_path / name
    res = runner.invoke(app, ["--config", str(cfg), "subscribers", "import", str(missing)])
    assert res.exit_code == 1, res.output
    assert res.stderr == f"error: file {tmp_path / shown} does not exist\n"


def test_an_import_without_invalid_rows_removes_an_earlier_imports_rejects(
    runner: CliRunner, config: Config, tmp_path: Path
) -> None:
    """A list fixed and imported again left the first run's ``list.rejects.csv`` beside it,
    which read as this run's rejects. The rejects file an import wrote (its ``line,reason``
    header) goes, and the report says so (a dry run says it would); another file of that
    name is no import's, and stays."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    source = _write(tmp_path, "email\nfirst@example.com\nnot-an-address\n")
    rejects = tmp_path / "list.rejects.csv"
    argv = ["--config", str(cfg), "subscribers", "import", str(source)]
    assert runner.invoke(app, argv).exit_code == 0
    assert rejects.exists()
    _write(tmp_path, "email\nfirst@example.com\nfixed@example.com\n")

    res = runner.invoke(app, [*argv, "--dry-run"])
    assert res.exit_code == 0, res.output
    said = f"would remove {rejects}, an earlier import's rejects: this one has no invalid rows"
    assert said in res.stdout
    assert rejects.exists()  # a dry run writes and removes nothing

    res = runner.invoke(app, argv)
    assert res.exit_code == 0, res.output
    assert "added: 1" in res.stdout and "invalid: 0" in res.stdout
    assert f"removed {rejects}, an earlier import's rejects: this one had no invalid rows" in (
        res.stdout
    )
    assert not rejects.exists()

    # a file of the user's own under that name (or --rejects PATH): left as it is, unnamed
    rejects.write_text("email,note\nkeep@example.com,mine\n", encoding="utf-8")
    res = runner.invoke(app, argv)
    assert res.exit_code == 0, res.output
    assert "rejects" not in res.stdout
    assert rejects.read_text(encoding="utf-8") == "email,note\nkeep@example.com,mine\n"


def test_an_earlier_rejects_file_named_by_rejects_is_removed_too(
    store: SubscriberStore, tmp_path: Path
) -> None:
    source = _write(tmp_path, "email\nnot-an-address\nok@example.com\n")
    chosen = tmp_path / "out" / "bad.csv"
    assert import_csv(store, source, rejects_path=chosen).rejects_path == chosen
    _write(tmp_path, "email\nok@example.com\n")
    report = import_csv(store, source, rejects_path=chosen)
    assert report.stale_rejects == chosen and report.rejects_path is None
    assert not chosen.exists()
