"""Run the pipeline in-process (``make run``, ``areavasta run``, tests): the same assets, layer by layer of the graph.

The order is the graph's (``pipelines.assets.LAYERS``: topological layers grouped by partitions definition, derived
from the tables each stage reads), so a new asset needs no edit here. A body × year layer runs as one run per
selection (all bodies of the selected years form one partition range: a single-run backfill); a year layer once
per year. Runs go to the given Dagster instance, so ``dagster dev`` shows them afterwards.
"""

import os
import socket

import dagster as dg

from pipelines import dagster_setup  # noqa: F401 (Dagster's process-wide settings, before any Dagster object)
from pipelines.assets import ALL_ASSETS, LAYERS, STAGE_ASSETS, WRITTEN_BY
from pipelines.factory import upstream
from pipelines.graph import STAGES
from pipelines.declaration import BODY
from pipelines.instance import HOST_TAG, PID_TAG, owner_tags
from pipelines.partitions import BODIES, YEAR_BODY, YEARS, key_of
from pipelines.resources import Warehouse
from sources import receipts
from warehouse import store as warehouse

UNFINISHED = [
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.QUEUED,
]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def recover_stale_runs(instance: dg.DagsterInstance) -> list[str]:
    """Runs started in process by a command that died (``kill -9``, a crash) still hold the single warehouse slot:
    mark them failed and free their slots, so the next run does not wait for ever. Returns their ids."""
    recovered = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: socket.gethostname()})):
        run = record.dagster_run
        pid = int(run.tags.get(PID_TAG, "0") or 0)
        if pid and pid != os.getpid() and not _alive(pid):
            instance.report_run_failed(
                run, message=f"Il processo {pid} che eseguiva questa esecuzione non esiste più: chiusa d'ufficio."
            )
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            recovered.append(run.run_id)
    return recovered


def register(instance: dg.DagsterInstance, years: list[int], bodies: list[str]) -> None:
    """Add the years and bodies the instance does not know yet (sorted, so ranges stay readable)."""
    for definition, values in ((YEARS, [str(y) for y in years]), (BODIES, bodies)):
        known = set(instance.get_dynamic_partitions(definition.name))
        new = sorted(v for v in values if v not in known)
        if new:
            instance.add_dynamic_partitions(definition.name, new)


def _runs_of(order: list[str], wanted: set[str]) -> list[tuple[str, str]]:
    """The wanted values as runs of neighbours in ``order``: ``[(first, last), ...]``."""
    runs: list[list[str]] = []
    for i, value in enumerate(order):
        if value not in wanted:
            continue
        if runs and order[i - 1] == runs[-1][1]:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return [(a, b) for a, b in runs]


def _body_runs(instance, years: list[int], bodies: list[str] | None) -> list[dict]:
    """Tags of the runs covering every (body, year) asked, and nothing else.

    Dagster reads a range over two dimensions as a rectangle (years from-to x bodies from-to, each in its registered
    order), never as a stretch of keys in a row: so for each year the bodies asked become runs of neighbours, and
    neighbouring years with the same runs share one rectangle (a national backfill is one run)."""
    keys = set(YEAR_BODY.get_partition_keys(dynamic_partitions_store=instance))
    year_order = instance.get_dynamic_partitions(YEARS.name)
    body_order = instance.get_dynamic_partitions(BODIES.name)
    asked = set(bodies) if bodies else set(body_order)
    by_year = [
        (year, _runs_of(body_order, {b for b in asked if key_of(b, int(year)) in keys}))
        for year in year_order
        if int(year) in set(years)
    ]
    rectangles: list[list] = []  # [first year, last year, body runs]
    for year, runs in by_year:
        last = rectangles[-1] if rectangles else None
        if last and runs == last[2] and year_order.index(year) == year_order.index(last[1]) + 1:
            last[1] = year
        elif runs:
            rectangles.append([year, year, runs])
    return [
        {
            "dagster/asset_partition_range_start": key_of(first_body, int(first_year)),
            "dagster/asset_partition_range_end": key_of(last_body, int(last_year)),
        }
        for first_year, last_year, runs in rectangles
        for first_body, last_body in runs
    ]


def stage_labels() -> dict[str, list[str]]:
    """Each layer of the graph by label, ``body_1``, ``year_1``, ``body_2``… (counted per partitions definition), each
    asset by its name, the outputs by the names the commands use (``body_reports``, ``body_pages``) and ``reports``: the
    workbooks with everything before them."""
    labels: dict[str, list[str]] = {}
    for partitions, names in LAYERS:
        labels[f"{partitions}_{sum(label.startswith(partitions) for label in labels) + 1}"] = names
    return {
        **labels,
        **{name: [name] for name in STAGE_ASSETS},
        "body_reports": ["report_workbooks"],
        "body_pages": ["dashboard_pages"],
        "reports": through("report_workbooks"),
    }


def through(name: str) -> list[str]:
    """``name`` with every stage it reads from, however far back, in the graph's order: what a command runs to refresh
    one output (a command never names layers, which change with the graph)."""
    by_name = {stage.name: stage for stage in STAGES}
    needed, waiting = {name}, [name]
    while waiting:
        for producer in upstream(by_name[waiting.pop()], WRITTEN_BY):
            if producer in by_name and producer not in needed:
                needed.add(producer)
                waiting.append(producer)
    return [stage for _, names in LAYERS for stage in names if stage in needed]


def layers_of(stages: tuple[str, ...] | None) -> list[tuple[str, list[str]]]:
    """The layers to run for ``stages`` (labels or asset names; None: every asset), in the graph's order."""
    if stages is None:
        return LAYERS
    labels = stage_labels()
    unknown = [s for s in stages if s not in labels]
    if unknown:
        raise ValueError(f"unknown stages {unknown}: {', '.join(labels)}")
    wanted = {name for s in stages for name in labels[s]}
    found = [(partitions, [n for n in names if n in wanted]) for partitions, names in LAYERS]
    return [(partitions, names) for partitions, names in found if names]


def run_pipeline(
    instance: dg.DagsterInstance,
    years: list[int],
    bodies: list[str] | None = None,
    home: str = "",
    config: dict[str, dict] | None = None,
    stages: tuple[str, ...] | None = None,
) -> list[dg.ExecuteInProcessResult]:
    """Materialise the assets of ``stages`` (layer labels or asset names, ``stage_labels``) for the selection (default:
    every asset, every body with data).

    ``config`` is each asset's run configuration, by asset name (e.g. ``{"ruffini_matrix":
    {"spending_threshold": 0.6}}``): what the command line says reaches the assets, and the run records it.
    """
    resources = {"warehouse_db": Warehouse(home=home)}
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the run's events stay in the instance
    owner = owner_tags()  # so a later command can tell this run died
    with resources["warehouse_db"].connect() as con:
        loaded = set(warehouse.analysed_keys(con)["body"])  # uploads, and bodies only the national open data has
    waiting = {p[0] for r in receipts.pending(resources["warehouse_db"].settings()) for p in r.partitions}
    register(instance, years, bodies or sorted(loaded | waiting))  # pending receipts: budget_lines loads them first
    results = []

    def run_config(names: list[str]) -> dict:
        ops = {name: {"config": values} for name, values in (config or {}).items() if name in names}
        return {**quiet, "ops": ops} if ops else quiet

    for partitions, names in layers_of(stages):
        selection = [STAGE_ASSETS[name] for name in names]
        if partitions == BODY:
            for tags in _body_runs(instance, years, bodies):
                results.append(
                    dg.materialize(
                        ALL_ASSETS,
                        selection=selection,
                        instance=instance,
                        resources=resources,
                        tags={**tags, **owner},
                        run_config=run_config(names),
                    )
                )
        else:
            for year in sorted(years):
                results.append(
                    dg.materialize(
                        ALL_ASSETS,
                        selection=selection,
                        instance=instance,
                        resources=resources,
                        partition_key=str(year),
                        run_config=run_config(names),
                        tags=owner,
                    )
                )
    return results
