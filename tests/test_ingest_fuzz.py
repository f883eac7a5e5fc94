"""Random bytes never crash the ingest: either a snapshot or one clean IngestError."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.data.ingest import ingest
from newsletter.data.ingest.rules import Rules
from newsletter.errors import IngestError
from tests.conftest import NOW

SUFFIXES = [".csv", ".tsv", ".json", ".jsonl", ".parquet", ".csv.gz", ".txt"]
PREFIXES = [b"", b"title,company,location,salary\n", b"[{", b'{"jobs": [', b"PAR1", b"\x1f\x8b"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    suffix=st.sampled_from(SUFFIXES),
    prefix=st.sampled_from(PREFIXES),
    body=st.binary(max_size=300),
)
def test_random_bytes_never_crash(
    tmp_path: Path, ingest_rules: Rules, suffix: str, prefix: bytes, body: bytes
) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(prefix + body)
    try:
        result = ingest([path], date(2026, 11, 23), ingest_rules, now=NOW)
    except IngestError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    r = result.report
    assert r.kept + r.rejected + r.duplicates == r.rows_read


@pytest.mark.parametrize(
    "text",
    [
        'title,company,salary\n"unclosed,quote\n',
        "title,company\n" + "x" * 5000 + ",y\n",
        "title,company,salary,location\nML Engineer,Acme,$$$-$$$k,,,,,\n",
        "title,company,posted_at\nAI Engineer,Acme,99999999999999999\n",
        "title;company\nA;B\n",
    ],
)
def test_malformed_csv(tmp_path: Path, ingest_rules: Rules, text: str) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text)
    try:
        result = ingest([path], date(2026, 11, 23), ingest_rules, now=NOW)
    except IngestError:
        return
    assert result.report.balanced
