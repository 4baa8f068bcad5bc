"""The in-process runner takes its order from the graph (issue 28): topological layers of the declared stages,
grouped by partitions definition, derived from the tables each stage reads; a new stage needs no edit there."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.assets import LAYERS, WRITTEN_BY
from pipelines.declaration import BODY, YEAR, Stage
from pipelines.factory import layers, producers, upstream
from pipelines.graph import LOADERS, STAGES
from pipelines.runner import layers_of, run_pipeline, stage_labels
from warehouse.stored import Stored


def test_the_layers_follow_the_tables_read():
    assert [(partitions, set(names)) for partitions, names in LAYERS] == [
        (
            BODY,
            {
                "budget_lines",
                "bdap_reconciliation",
                "co_assessment",
                "function_metrics",
                "authority_scores",
                "ruffini_matrix",
            },
        ),
        (YEAR, {"peer_benchmarks", "national_overview", "scenarios"}),  # scenarios read no stored priority
        (BODY, {"portfolio_priorities", "restructuring_plans", "report_workbooks", "dashboard_pages"}),
    ]
    order = [name for _, names in LAYERS for name in names]
    for stage in STAGES:  # every producer before its reader (itself aside)
        for table in stage.reads:
            producer = WRITTEN_BY[table]
            if producer in order and producer != stage.name:
                assert order.index(producer) < order.index(stage.name), (producer, stage.name)


def test_a_new_stage_finds_its_place_without_an_edit_to_the_runner():
    late = Stage("after_scenarios", BODY, lambda run: Stored({}), "reads a year table", reads=("scenario_comparison",))
    early = Stage("beside_metrics", BODY, lambda run: Stored({}), "reads lines", reads=("budget_lines",))
    yearly = Stage("after_plans", YEAR, lambda run: Stored({}), "reads the plans", reads=("plans",))
    grown = (*STAGES, late, early, yearly)
    found = layers(grown, producers(grown, LOADERS))
    where = {name: index for index, (_, names) in enumerate(found) for name in names}
    assert where["beside_metrics"] == 0 and where["after_scenarios"] == 2 and where["after_plans"] == 3
    assert [partitions for partitions, _ in found] == [BODY, YEAR, BODY, YEAR]


def test_stage_labels_and_subsets():
    labels = stage_labels()
    assert labels["body_1"] == LAYERS[0][1] and labels["year_1"] == LAYERS[1][1] and labels["body_2"] == LAYERS[2][1]
    assert labels["body_reports"] == ["report_workbooks"] and labels["body_pages"] == ["dashboard_pages"]
    assert layers_of(("dashboard_pages", "body_1")) == [(BODY, LAYERS[0][1]), (BODY, ["dashboard_pages"])]
    with pytest.raises(ValueError, match="unknown stages"):
        layers_of(("body_3",))


def test_run_pipeline_runs_the_layers_in_the_graphs_order(tmp_path, settings):
    from sources.samples.budget import generate_budget
    from tests.conftest import write_sample
    from warehouse.ingest import ingest_files

    ingest_files([write_sample(tmp_path, generate_budget("237", 2025, "rendiconto"), "template")], settings)
    results = run_pipeline(
        dg.DagsterInstance.ephemeral(),
        [2025],
        home=str(settings.home),
        stages=("function_metrics", "national_overview", "budget_lines", "ruffini_matrix", "authority_scores"),
    )
    assert len(results) == 1 and results[0].success  # one run: every asset is partitioned by year
    order = [e.asset_key.to_user_string() for e in results[0].get_asset_materialization_events()]
    assert sorted(order) == [
        "authority_scores",
        "budget_lines",
        "function_metrics",
        "national_overview",
        "ruffini_matrix",
    ]
    for stage in STAGES:  # Dagster ordered them by the graph: every producer before the stages reading it
        for producer in upstream(stage, WRITTEN_BY):
            if stage.name in order and producer in order:
                assert order.index(producer) < order.index(stage.name), (producer, stage.name)
    assert results[0].dagster_run.tags["dagster/partition"] == "2025"


def test_the_commands_name_stages_the_runner_knows():
    """``areavasta report`` once named a layer the graph no longer had ("year_2") and stopped before any workbook."""
    from cli import analysis

    for stages in (analysis.CLASSIFY_STAGES, analysis.REPORT_STAGES, analysis.PAGE_STAGES):
        assert layers_of(stages)
    report = [name for _, names in layers_of(analysis.REPORT_STAGES) for name in names]
    assert report[-1] == "report_workbooks" and "dashboard_pages" not in report
    assert {"budget_lines", "ruffini_matrix", "portfolio_priorities", "restructuring_plans"} <= set(report)
