"""The Dagster definitions load, and the budget-lines asset materialises through the same intake."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from areavasta import warehouse
from pipelines.definitions import budget_lines, defs

ROOT = Path(__file__).resolve().parents[1]


def test_definitions_load():
    assert defs.resolve_asset_graph().get_all_asset_keys() == {dg.AssetKey("budget_lines")}


def test_budget_lines_asset_loads_the_inbox(tmp_path, settings, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("002_2025_rendiconto_annex_macroaggregates.xlsx", "036_2025_rendiconto_open_format_matrix.csv"):
        shutil.copy(ROOT / "demo" / "inbox" / name, inbox / name)
    monkeypatch.setenv("AREAVASTA_INBOX", str(inbox))
    result = dg.materialize([budget_lines], instance=dg.DagsterInstance.ephemeral())
    assert result.success
    metadata = result.asset_materializations_for_node("budget_lines")[0].metadata
    assert metadata["accepted"].value == 2 and metadata["rejected"].value == []
    with warehouse.connect(settings.warehouse_path) as con:
        assert sorted(warehouse.uploads(con)["body"]) == ["002", "036"]
