"""Run the pipeline in-process (``make run``, ``areavasta run``, tests): the same assets, one run per stretch of years.

The stages a command asks for (``stage_labels``: the graph's layers, ``pipelines.assets.LAYERS``, derived from the
tables each stage reads, or asset names) run as one single-run backfill over the years (every asset is partitioned by
year; a body stage computes the bodies of the run inside it: ``pipelines.body_scope``): Dagster orders them, so a new
asset needs no edit here. Runs go to the given Dagster instance, so ``dagster dev`` shows them afterwards.
"""

import os
import socket

import dagster as dg

from pipelines import dagster_setup  # noqa: F401 (Dagster's process-wide settings, before any Dagster object)
from pipelines.assets import ALL_ASSETS, LAYERS, STAGE_ASSETS, WRITTEN_BY
from pipelines.factory import upstream
from pipelines.graph import STAGES
from pipelines.instance import HOST_TAG, PID_TAG, owner_tags
from pipelines.partitions import YEARS, body_tags, year_range_tags
from pipelines.resources import Warehouse

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


def register(instance: dg.DagsterInstance, years: list[int]) -> None:
    """Add the years the instance does not know yet (sorted, so ranges stay readable)."""
    known = set(instance.get_dynamic_partitions(YEARS.name))
    new = sorted(str(y) for y in years if str(y) not in known)
    if new:
        instance.add_dynamic_partitions(YEARS.name, new)


def year_runs(instance, years: list[int]) -> list[tuple[str, str]]:
    """The runs covering the years asked, as (first, last) year: each stretch of neighbouring registered years one run
    (a national backfill of ten years is one run)."""
    order = instance.get_dynamic_partitions(YEARS.name)
    wanted = {str(y) for y in years}
    runs: list[list[str]] = []
    for i, year in enumerate(order):
        if year not in wanted:
            continue
        if runs and order[i - 1] == runs[-1][1]:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return [(first, last) for first, last in runs]


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
    every asset, every body with data), in one run per stretch of neighbouring years: Dagster orders the stages inside
    it. ``bodies`` names the bodies the body stages compute (the tag ``areavasta/enti``); the year stages always take
    every body of the year.

    ``config`` is each asset's run configuration, by asset name (e.g. ``{"ruffini_matrix":
    {"spending_threshold": 0.6}}``): what the command line says reaches the assets, and the run records it.
    """
    resources = {"warehouse_db": Warehouse(home=home)}
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the run's events stay in the instance
    owner = owner_tags()  # so a later command can tell this run died
    register(instance, years)
    names = [name for _, layer in layers_of(stages) for name in layer]
    ops = {name: {"config": values} for name, values in (config or {}).items() if name in names}
    results = []
    for first, last in year_runs(instance, years):
        span = {"partition_key": first} if first == last else {}  # one year: the run shows it as its partition
        results.append(
            dg.materialize(
                ALL_ASSETS,
                selection=[STAGE_ASSETS[name] for name in names],
                instance=instance,
                resources=resources,
                tags={**({} if span else year_range_tags(int(first), int(last))), **body_tags(bodies or []), **owner},
                run_config={**quiet, "ops": ops} if ops else quiet,
                **span,
            )
        )
    return results
