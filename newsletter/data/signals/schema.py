"""The JSON Schema of the signals contract, generated from the pydantic models.

``python scripts/signals_schema.py`` rewrites ``docs/signals.schema.json``; a test checks that
the checked-in file equals :func:`schema_text`.
"""

from __future__ import annotations

import json

from newsletter.data.signals.models import DEFINITION_VERSION, Signals


def schema_text() -> str:
    """The schema of :class:`Signals` as stable, pretty JSON (sorted keys, trailing newline)."""
    schema = Signals.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"signals.schema.json#v{DEFINITION_VERSION}"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
