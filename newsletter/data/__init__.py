"""The data layer: snapshots, ingest (raw exports -> snapshot) and signals."""
