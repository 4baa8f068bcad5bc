"""Every table the product reads has a producer (issue 28: ``core.confirmed_outliers`` was read and never written, so
confirming an outlier did nothing). A table is produced by an asset when the asset carries its schema check
(``schema_<table>``, generated for every table it writes), or by one of the loaders listed below: the writes that
are still outside the graph (issue 28 moves them in), each named with who writes it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE_THE_GRAPH = {  # table: who writes it, until it is an asset's output
    "budget_lines": "warehouse.loading.load_receipts (the budget_lines asset and the inbox sensor)",
    "revenue_lines": "warehouse.loading.load_receipts",
    "uploads": "warehouse.uploads.load, with each load of receipts (the register of uploads)",
    "national_lines": "warehouse.national_extracts.load_national (areavasta national)",
    "national_extracts": "warehouse.national_extracts.load_national",
    "ratings": "warehouse.rating_files.load_ratings (areavasta ratings)",
    "authority_overrides": "warehouse.uploads.load, with the load of a template carrying overrides",
    "run_manifests": "warehouse.manifest (each asset's run record)",
    "stage_parameters": "pipelines.assets._recorded (each asset's run configuration)",
}
READS = (
    re.compile(r'read_table\(\s*con,\s*"([a-z_]+)"'),
    re.compile(r"FROM core\.([a-z_]+)"),
    re.compile(r"read_table\(\s*con,\s*tables\.([A-Z_]+)"),
)


def _read_tables() -> set[str]:
    found = set()
    for room in ("warehouse", "pipelines", "cli", "dashboards"):
        for path in (ROOT / room).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in READS:
                found.update(name.lower() for name in pattern.findall(text))
    return found


def _produced_by_assets() -> set[str]:
    from pipelines.definitions import defs

    return {
        key.name.removeprefix("schema_")
        for key in defs.resolve_asset_graph().asset_check_keys
        if key.name.startswith("schema_")
    }


def test_every_table_read_has_a_producer():
    orphans = _read_tables() - _produced_by_assets() - set(OUTSIDE_THE_GRAPH)
    assert orphans == set(), f"tables read but written by no asset and no listed loader: {sorted(orphans)}"


def test_the_check_sees_an_orphan():
    """The rule is not vacuous: without the asset that writes it, a table read by the peer stage is an orphan."""
    produced = _produced_by_assets() - {"confirmed_outliers", "indicator_peers"}
    assert {"indicator_peers"} <= _read_tables() - produced - set(OUTSIDE_THE_GRAPH)
