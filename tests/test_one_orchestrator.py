"""One orchestrator: the command line materialises the same Dagster assets, its options are their run configuration."""

from __future__ import annotations

import dagster as dg
import polars as pl
from typer.testing import CliRunner

from cli.main import app
from pipelines import stages
from pipelines.instance import embedded_instance
from pipelines.runner import run_pipeline
from sources.samples.budget import generate_budget
from tests.conftest import write_sample
from warehouse import store as warehouse
from warehouse.ingest import ingest_files

runner = CliRunner()


def _matrix(settings) -> pl.DataFrame:
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        return (
            stages.present_keys(con)
            .pipe(lambda k: warehouse.read_table(con, "ruffini_matrix", k))
            .select("body", "year", "phase", "function", "quadrant", "borderline")
            .sort("body", "year", "phase", "function")
        )


def test_classify_with_a_threshold_equals_the_asset_with_that_run_configuration(tmp_path, settings):
    files = [
        write_sample(tmp_path, generate_budget(b, 2025, "rendiconto"), "annex_amount_kinds") for b in ("237", "002")
    ]
    assert all(o.status == "accepted" for o in ingest_files(files, settings))
    run_pipeline(dg.DagsterInstance.ephemeral(), [2025], home=str(settings.home), stages=("body_1",))
    default = _matrix(settings)

    result = runner.invoke(
        app, ["classify", "--spending-threshold", "0.6", "-o", str(tmp_path / "cli")], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    from_cli = pl.read_csv(
        tmp_path / "cli" / "functions.csv", schema_overrides={"body": pl.String, "function": pl.String}
    )
    by_cli = _matrix(settings)

    run_pipeline(
        dg.DagsterInstance.ephemeral(),
        [2025],
        home=str(settings.home),
        stages=("body_1",),
        config={"ruffini_matrix": {"spending_threshold": 0.6}},
    )
    by_asset = _matrix(settings)
    assert by_cli.equals(by_asset)  # the same matrix
    assert not by_asset.equals(default)  # and the threshold really reached the asset
    assert (
        from_cli.select("body", "function", "quadrant").sort("body", "function").rows()
        == by_asset.select("body", "function", "quadrant").sort("body", "function").rows()
    )
    # the run the command made is in the instance, with its configuration
    records = embedded_instance(settings.home).get_run_records()
    configs = [r.dagster_run.run_config.get("ops", {}).get("ruffini_matrix", {}).get("config", {}) for r in records]
    assert {"spending_threshold": 0.6, "authority_threshold": None, "cost_basis": None} in configs
