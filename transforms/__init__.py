"""Pure polars logic: no Dagster, no I/O. Called by sources/ and pipelines/."""
