"""The plans of many years made in worker processes (issue 30: a national backfill's texts on both cores) are the plans
made in the run's own process, year by year in order."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines import output_workers
from pipelines.runner import run_pipeline
from pipelines.stage_priorities import plan_inputs, plan_settings, plans_from
from sources.samples.budget import generate_budget
from tests.conftest import write_sample
from warehouse import store
from warehouse.ingest import ingest_files


def test_plans_made_by_workers_equal_the_plans_made_here_in_year_order(tmp_path, settings, monkeypatch):
    files = [
        write_sample(tmp_path / "in", generate_budget(b, y, "rendiconto"), "annex_amount_kinds")
        for b in ("002", "237")
        for y in (2024, 2025)
    ]
    ingest_files(files, settings)
    run_pipeline(dg.DagsterInstance.ephemeral(), [2024, 2025], home=str(settings.home), stages=("body_1", "year_1"))
    run_pipeline(
        dg.DagsterInstance.ephemeral(), [2024, 2025], home=str(settings.home), stages=("portfolio_priorities",)
    )
    monkeypatch.setenv("AREAVASTA_OUTPUT_WORKERS", "2")
    with store.connect(settings.warehouse_path, read_only=True) as con:
        keys = store.analysed_keys(con)
        inputs = [plan_inputs(con, keys.filter(pl.col("year") == y)) for y in (2024, 2025)]
    here = list(output_workers.computed_each(plans_from, plan_settings(), inputs, serial_below=99))
    there = list(output_workers.computed_each(plans_from, plan_settings(), inputs, serial_below=1))
    assert [p.tables["plans"][0]["year"].unique().to_list() for p in there] == [[2024], [2025]]
    for mine, theirs in zip(here, there, strict=True):
        assert mine.metadata == theirs.metadata
        for name, (frame, keys) in mine.tables.items():
            assert frame.equals(theirs.tables[name][0]) and keys.equals(theirs.tables[name][1]), name
    assert here[0].tables["plans"][0].height > 0
