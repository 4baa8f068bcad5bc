"""Run the pipeline in-process (``make run``, ``areavasta run``, tests): the same assets, stage by stage.

Body × year assets run as one run per selection (all bodies of the selected years form one partition
range: a single-run backfill); year assets run once per year. Runs go to the given Dagster instance, so
``dagster dev`` shows them afterwards.
"""


import dagster as dg

from pipelines.assets import (
    ALL_ASSETS,
    BODY_STAGE_1,
    BODY_STAGE_2,
    BODY_STAGE_3,
    YEAR_STAGE,
    YEAR_STAGE_2,
)
from pipelines.partitions import BODIES, YEAR_BODY, YEARS, key_of
from pipelines.resources import Warehouse


def register(instance: dg.DagsterInstance, years: list[int], bodies: list[str]) -> None:
    """Add the years and bodies the instance does not know yet (sorted, so ranges stay readable)."""
    for definition, values in ((YEARS, [str(y) for y in years]), (BODIES, bodies)):
        known = set(instance.get_dynamic_partitions(definition.name))
        new = sorted(v for v in values if v not in known)
        if new:
            instance.add_dynamic_partitions(definition.name, new)


def _body_runs(instance, years: list[int], bodies: list[str] | None) -> list[dict]:
    """Tags of the runs covering every (body, year) asked: a contiguous range when possible."""
    keys = YEAR_BODY.get_partition_keys(dynamic_partitions_store=instance)
    wanted = {key_of(b, y) for y in years for b in (bodies or [k.split("|")[1] for k in keys])}
    ordered = [k for k in keys if k in wanted]
    runs, start, previous = [], None, None
    index = {k: i for i, k in enumerate(keys)}
    for key in ordered:
        if start is None:
            start = previous = key
        elif index[key] == index[previous] + 1:
            previous = key
        else:
            runs.append((start, previous))
            start = previous = key
    if start is not None:
        runs.append((start, previous))
    return [{"dagster/asset_partition_range_start": a, "dagster/asset_partition_range_end": b} for a, b in runs]


def run_pipeline(instance: dg.DagsterInstance, years: list[int], bodies: list[str] | None = None, home: str = "") -> list[dg.ExecuteInProcessResult]:
    """Materialise every asset for the selection (default: every body with data); raises if a run fails."""
    resources = {"warehouse_db": Warehouse(home=home)}
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the run's events stay in the instance
    with resources["warehouse_db"].connect() as con:
        loaded = [b for (b,) in con.execute("SELECT DISTINCT body FROM core.budget_lines ORDER BY 1").fetchall()]
    register(instance, years, bodies or loaded)
    results = []

    def body_stage(stage):
        for tags in _body_runs(instance, years, bodies):
            results.append(dg.materialize(ALL_ASSETS, selection=stage, instance=instance, resources=resources, tags=tags, run_config=quiet))

    def year_stage(stage):
        for year in sorted(years):
            results.append(dg.materialize(ALL_ASSETS, selection=stage, instance=instance, resources=resources, partition_key=str(year),
                                          run_config=quiet))

    body_stage(BODY_STAGE_1)
    year_stage(YEAR_STAGE)
    body_stage(BODY_STAGE_2)
    year_stage(YEAR_STAGE_2)
    body_stage(BODY_STAGE_3)
    return results
