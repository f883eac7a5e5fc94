"""The one rule for telling a CSV file's separator: every CSV a user hands over (job
exports to ingest, subscriber lists to import) is read by it."""

from __future__ import annotations

import re

#: The separators a CSV file may use: a comma, or a semicolon (Excel's, where the decimal
#: mark is a comma), a tab or a pipe.
SEPARATORS = (",", ";", "\t", "|")
_QUOTED = re.compile(r'"[^"]*"')


def csv_dialect(first_line: str) -> tuple[str, int]:
    """(separator, lines before the header) of a CSV file that starts with ``first_line``:
    Excel's first line ``sep=;`` names the separator and is skipped; else it is the one of
    :data:`SEPARATORS` the header line holds most of outside quotes (a comma on a tie, or
    when it holds none). A byte-order mark and the line's end are ignored."""
    line = first_line.removeprefix("\ufeff").split("\n", 1)[0].removesuffix("\r")
    if len(line) == 5 and line[:4].lower() == "sep=" and line[4] in SEPARATORS:
        return line[4], 1
    unquoted = _QUOTED.sub("", line)
    best = max(SEPARATORS, key=unquoted.count)  # the first of the most: a comma on a tie
    return (best if unquoted.count(best) else ","), 0
