"""House rules of the code base itself: test isolation, layers, public API, start-up cost."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def test_no_test_sees_the_shells_newsletter_variables() -> None:
    """The autouse fixture in conftest.py clears NEWSLETTER_* (make pytest-shifted exports some)."""
    assert [k for k in os.environ if k.startswith("NEWSLETTER_")] == []


# --- layers ------------------------------------------------------------------------------
# The layer table of docs/architecture.md. A module may import its own unit, anything in a
# lower layer, and nothing in its own layer's other units (siblings) or above. L0 is one
# foundation: its units may use each other. cli may start the web app (``serve``).
LAYERS: dict[str, int] = {
    "errors": 0,
    "util": 0,
    "models": 0,
    "config": 1,
    "store": 2,
    "data": 2,
    "delivery": 2,
    "audience": 3,
    "edition": 3,
    "send": 4,
    "web": 5,
    "cli": 5,
}
ALLOWED_SIBLINGS = {("cli", "web")}
#: Imports only for type annotations (``if TYPE_CHECKING:``) that point up, each explained.
TYPE_ONLY_EXCEPTIONS = {
    # ProviderError carries the per-recipient results recorded before the provider refused
    # (the one error tree lives in errors.py; SendResult is a delivery value).
    ("newsletter.errors", "newsletter.delivery.models"),
}


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "newsletter" and len(parts) > 1 else None


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(path: Path, root: Path = REPO) -> list[tuple[str, int, bool]]:
    """Every ``newsletter`` module ``path`` imports (module level, inside functions, under
    TYPE_CHECKING), as (module, line, type-only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_lines(tree)
    me = _module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            if name.split(".")[0] == "newsletter":
                found.append((name, node.lineno, node.lineno in typing_only))
    return found


def layer_violations(root: Path = REPO) -> list[str]:
    """Every import of a module under ``root/newsletter`` that breaks the layer rule."""
    out: list[str] = []
    for path in sorted((root / "newsletter").rglob("*.py")):
        me = _module_name(path, root)
        unit = _unit(me)
        if unit is None or unit == "__main__":
            continue  # the package root (public API) and ``python -m`` sit on top
        for name, line, type_only in imports_of(path, root):
            other = _unit(name)
            if other is None or other == unit or other not in LAYERS:
                if other == "__main__" or (other is None and name == "newsletter"):
                    out.append(f"{me}:{line} imports the package root {name}")
                continue
            up = LAYERS[other] > LAYERS[unit]
            sibling = LAYERS[other] == LAYERS[unit] > 0 and (unit, other) not in ALLOWED_SIBLINGS
            excused = type_only and any(
                me == src and (name == dst or name.startswith(dst + "."))
                for src, dst in TYPE_ONLY_EXCEPTIONS
            )
            if (up or sibling) and not excused:
                what = "a layer above" if up else "a sibling"
                out.append(
                    f"{me}:{line} (L{LAYERS[unit]} {unit}) imports {name}, {what} "
                    f"(L{LAYERS[other]} {other})"
                )
            private = [p for p in name.split(".")[2:] if p.startswith("_") and p != "__init__"]
            if private and other != unit:
                out.append(f"{me}:{line} imports {name}, a private module of {other}")
    return out


def test_every_module_is_in_the_layer_table() -> None:
    modules = (REPO / "newsletter").rglob("*.py")
    units = {_unit(_module_name(p, REPO)) for p in modules} - {None, "__main__"}
    assert units <= LAYERS.keys(), f"add {sorted(units - LAYERS.keys())} to LAYERS (and docs)"


def test_imports_only_point_down_the_layers() -> None:
    assert layer_violations() == []


def test_the_layer_check_catches_what_it_is_for(tmp_path: Path) -> None:
    """A check that cannot fail proves nothing: a tree with one crossing of each kind."""
    files = {
        "newsletter/util/x.py": "def f() -> None:\n    from newsletter.send import service\n",
        "newsletter/data/y.py": "from newsletter.delivery.models import SendResult\n",
        "newsletter/edition/z.py": "from ..audience import tokens\n",
        "newsletter/send/w.py": "import newsletter.delivery._mime\n",
        "newsletter/delivery/v.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from newsletter.cli import app\n"
        ),
        "newsletter/cli/ok.py": "from newsletter.web import app\nfrom newsletter.cli import _app\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    got = "\n".join(layer_violations(tmp_path))
    assert "newsletter.util.x:2 (L0 util) imports newsletter.send, a layer above" in got
    assert "newsletter.data.y:1 (L2 data) imports newsletter.delivery.models, a sibling" in got
    assert "newsletter.edition.z:1 (L3 edition) imports newsletter.audience, a sibling" in got
    assert "newsletter.send.w:1 imports newsletter.delivery._mime, a private module" in got
    assert "newsletter.delivery.v:3 (L2 delivery) imports newsletter.cli, a layer above" in got
    assert "newsletter.cli.ok" not in got


# --- secrets and the environment are read at the edges only -------------------------------
#: Where Secrets.from_env() may be called: the command line (every command reads the secrets
#: through its CliState) and the scheduler's job.
SECRET_EDGES = {"newsletter.cli._app", "newsletter.send.jobs"}


def test_the_environment_is_read_in_config_py_only_and_secrets_at_the_edges() -> None:
    environ, from_env = set(), set()
    for path in (REPO / "newsletter").rglob("*.py"):
        me = _module_name(path, REPO)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "from_env"):
                (from_env if node.attr == "from_env" else environ).add(me)
    from_env.discard("newsletter.config")  # where it is defined (and used by tests)
    assert environ == {"newsletter.config"}
    assert from_env == SECRET_EDGES


# --- the public API and a cheap start ------------------------------------------------------
PUBLIC_API = [
    "SYSTEM_CLOCK",
    "Clock",
    "CompiledIssue",
    "Config",
    "FixedClock",
    "IssueContent",
    "NewsletterError",
    "OutgoingMessage",
    "Preferences",
    "Recipient",
    "Secrets",
    "SendReport",
    "SendResult",
    "SendStatus",
    "Signals",
    "SubscriberStore",
    "build_archive",
    "build_signals",
    "compile_issue",
    "copy_week",
    "dry_run_week",
    "get_sender",
    "ingest",
    "link_signer",
    "load_config",
    "load_rules",
    "open_store",
    "parse_config",
    "prepare_issue",
    "preview",
    "preview_reader",
    "render_issue",
    "send_issue",
    "send_week",
]


def test_the_public_api_is_what_the_package_root_names() -> None:
    import newsletter

    # sorted as ruff sorts __all__: CONSTANTS, then Classes, then functions
    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert newsletter.__all__ == sorted(newsletter.__all__, key=kind) == PUBLIC_API
    assert set(newsletter._HOMES) == set(PUBLIC_API)  # every name has one home
    for name in newsletter.__all__:
        value = getattr(newsletter, name)
        assert getattr(value, "__name__", name) == name or name == "SYSTEM_CLOCK"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = newsletter.nope  # type: ignore[attr-defined]


#: What `newsletter --help` must not load (each costs 0.1 to 1 s of start-up).
HEAVY = ("polars", "sqlalchemy", "alembic", "starlette", "mjml")


def _loaded_by(code: str, cwd: Path | None = None) -> set[str]:
    """Top-level packages a fresh interpreter imports to run ``code`` (python -X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=cwd,
    )
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", done.stderr, re.M)
    assert names, done.stderr[-500:]  # the report was read (a check that sees nothing passes)
    return {n.split(".")[0] for n in names}


def test_the_command_line_leaves_its_objects_to_the_os_on_exit() -> None:
    """``main`` freezes the garbage collector on the way out (the last collections would walk
    every object of the imported modules); exit handlers still run and see it."""
    code = (
        "import atexit, gc, sys; sys.argv = ['newsletter', '--help']\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
        "from newsletter.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert "Usage" in done.stdout
    assert done.stdout.rstrip().endswith("frozen True")


def test_newsletter_help_imports_none_of_the_heavy_dependencies() -> None:
    help_run = (
        "import sys; sys.argv = ['newsletter', '--help']\n"
        "from newsletter.cli import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
    )
    loaded = _loaded_by(help_run)
    assert "typer" in loaded and "newsletter" in loaded
    assert sorted(loaded & set(HEAVY)) == []
    assert sorted(_loaded_by("import newsletter") & set(HEAVY)) == []
    # and the check sees them where they are imported: a command's own dependencies
    assert {"polars", "sqlalchemy"} <= _loaded_by("import newsletter.send.service")


def test_signals_as_json_imports_what_it_uses_only(tmp_path: Path) -> None:
    """``signals --format json`` (in a folder without config.toml) reads the snapshots and
    prints JSON: no table (Babel), no store, no text repair (ftfy), no address to check
    (email_validator), no renderer."""
    run = (
        "import sys\n"
        f"sys.argv = ['newsletter', 'signals', '--snapshots', {str(REPO / 'snapshots')!r}, "
        "'--format', 'json']\n"
        "from newsletter.cli import main\n"
        "main()\n"
    )
    loaded = _loaded_by(run, cwd=tmp_path)
    assert "polars" in loaded
    unused = {"babel", "email_validator", "ftfy", "jinja2", *HEAVY} - {"polars"}
    assert sorted(loaded & unused) == []


def test_an_ingest_of_clean_text_leaves_ftfy_unloaded(tmp_path: Path) -> None:
    """ftfy is imported for the first value that looks like mojibake, so an export without
    any never loads it (the ingest step is still recorded: SQLAlchemy is loaded)."""
    (tmp_path / "week.csv").write_text(
        "title,company,location,salary,description\n"
        'ML Engineer,Acme,"Berlin, Germany","€70,000 - €90,000",<p>Build &amp; ship.</p>\n',
        encoding="utf-8",
    )
    run = (
        "import sys\n"
        "sys.argv = ['newsletter', 'ingest', 'week.csv', '--week', '2026-11-16', "
        "'--snapshots', 'out']\n"
        "from newsletter.cli import main\n"
        "main()\n"
    )
    loaded = _loaded_by(run, cwd=tmp_path)
    assert (tmp_path / "out" / "2026-11-16.parquet").is_file()
    assert {"polars", "sqlalchemy"} <= loaded
    assert "ftfy" not in loaded
