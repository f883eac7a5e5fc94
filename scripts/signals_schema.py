"""Regenerate docs/signals.schema.json from the signals models (or check it with --check)."""

from __future__ import annotations

import sys
from pathlib import Path

from newsletter.data.signals.schema import schema_text
from newsletter.util.files import atomic_write_text

TARGET = Path(__file__).resolve().parent.parent / "docs" / "signals.schema.json"


def main(argv: list[str]) -> int:
    text = schema_text()
    if "--check" in argv:
        same = TARGET.exists() and TARGET.read_text(encoding="utf-8") == text
        state = "up to date" if same else "OUT OF DATE (run scripts/signals_schema.py)"
        print(f"{TARGET}: {state}")
        return 0 if same else 1
    atomic_write_text(TARGET, text)
    print(TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
