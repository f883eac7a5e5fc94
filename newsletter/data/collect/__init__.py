"""Collect: the week's postings from public ATS job boards -> the weekly snapshot.

:mod:`~newsletter.data.collect.sources` (the publisher's ``sources.toml``),
:mod:`~newsletter.data.collect.ats` (one adapter per ATS kind: endpoint, envelope, paging),
:mod:`~newsletter.data.collect.fetch` (the polite async fetcher),
:mod:`~newsletter.data.collect.carry` (a failed board is not a market move),
:mod:`~newsletter.data.collect.manifest` (what was fetched, for provenance and replay) and
:mod:`~newsletter.data.collect.run` (the whole collection, ending in the ingest pipeline).
"""

from newsletter.data.collect.manifest import BoardRecord, Manifest, read_manifest
from newsletter.data.collect.run import (
    BoardRow,
    Collected,
    check_sources,
    collect,
    fetch_boards,
    replay,
    sources_configured,
)
from newsletter.data.collect.sources import (
    Source,
    add_source,
    load_sources,
    none_listed,
    parse_spec,
)

__all__ = [
    "BoardRecord",
    "BoardRow",
    "Collected",
    "Manifest",
    "Source",
    "add_source",
    "check_sources",
    "collect",
    "fetch_boards",
    "load_sources",
    "none_listed",
    "parse_spec",
    "read_manifest",
    "replay",
    "sources_configured",
]
