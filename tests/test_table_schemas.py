"""Every stored table has a strict pandera schema and an asset check generated from the registry; the checks catch wrong
data (tests/test_table_registry.py: the registry itself)."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest

from pipelines import checks
from pipelines.definitions import defs
from pipelines.runner import run_pipeline
from sources.samples.budget import generate_budget
from tests.conftest import settings_for, write_sample
from warehouse import store as warehouse
from warehouse import tables as registry
from warehouse.ingest import ingest_files


def test_every_table_a_stage_writes_has_a_schema_and_a_check():
    from pipelines.graph import STAGES

    written = {table for stage in STAGES for table in stage.checked}  # what each stage stores and checks
    assert written and written <= set(registry.TABLES)
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {f"schema_{t}" for t in written} <= checks
    every = {table for stage in STAGES for table in stage.writes}
    assert every - written == {"budget_lines", "revenue_lines", "uploads", "authority_overrides"}  # loaded, own checks


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    settings = settings_for(home)
    files = [
        write_sample(home / "in", generate_budget(b, y, "rendiconto"), "annex_amount_kinds")
        for b in ("002", "237")
        for y in (2024, 2025)
    ]
    assert all(o.status == "accepted" for o in ingest_files(files, settings))
    results = run_pipeline(dg.DagsterInstance.ephemeral(), [2024, 2025], home=str(home))
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        tables = {t: warehouse.read_table(con, t) for t in registry.TABLES}
    return results, tables


def test_the_pipeline_passes_every_schema_check(stored):
    results, tables = stored
    evaluations = [e for r in results for e in r.get_asset_check_evaluations() if e.check_name.startswith("schema")]
    assert evaluations and all(e.passed for e in evaluations), [e.check_name for e in evaluations if not e.passed]
    assert all(checks.validate(frame, name) == [] for name, frame in tables.items())


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("ruffini_matrix", "transfer_share", 1.5),
        ("ruffini_matrix", "quadrant", "somewhere"),
        ("portfolio", "tier", 7),
        ("authority_scores", "permits", 9),
        ("body_metrics", "population", -1),
        ("function_metrics", "phase", "consuntivo"),
    ],
)
def test_a_wrong_value_fails_the_tables_check_with_a_sample(stored, table, column, value):
    _, tables = stored
    frame = tables[table]
    broken = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(value))
        .otherwise(pl.col(column))
        .cast(frame[column].dtype)
        .alias(column)
    )
    failures = checks.validate(broken, table)
    assert failures and any(column in str(f) for f in failures)


def test_a_duplicated_key_fails_the_check(stored):
    _, tables = stored
    frame = tables["plans"]
    assert checks.validate(pl.concat([frame, frame.head(1)]), "plans")


def test_the_resource_refuses_a_table_without_a_schema(settings):
    from pipelines.resources import Warehouse
    from warehouse.errors import UnknownTable

    resource = Warehouse(home=str(settings.home))
    with resource.connect() as con, pytest.raises(UnknownTable, match="mystery_table"):
        resource.store(con, {"mystery_table": (pl.DataFrame({"body": ["237"]}), pl.DataFrame({"body": ["237"]}))})
