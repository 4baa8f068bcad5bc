"""One factory for every stage's asset (``pipelines.graph``): its dependencies from the tables it reads, its checks
from the tables it writes, and one way to run it and record the run.

A stage's run: ``prepare`` (if any), then with the warehouse open: the run configuration stored (a configurable stage's
parameters are part of the manifest), the stage computed through its reader (``pipelines.reader``: its declared tables
only), each table it returns stored (only tables it declares), the run recorded against its manifest
(``warehouse.manifest``, with the files it wrote), then its checks: the declared ones and the schema of each table.
"""

import dagster as dg
import polars as pl

from pipelines import body_scope, body_status, readiness
from pipelines.checks import add_failures, check_results, check_specs
from pipelines.declaration import BODY, Loader, Stage, StageRun
from pipelines.partitions import YEARS, tagged_bodies
from pipelines.reader import Reader
from pipelines.resources import Warehouse
from warehouse import manifest, tables
from warehouse.errors import UnknownTable
from warehouse.stored import Stored

# written by the recording path of every asset (the run's parameters and manifest, each body's last run)
BOOKKEEPING = ("stage_parameters", "run_manifests", "body_runs")
COMMON = {"backfill_policy": dg.BackfillPolicy.single_run(), "pool": "warehouse", "group_name": "metodo"}


class GraphError(ValueError):
    """The declarations do not make a graph: a table read that nothing writes, written twice, or not declared in the
    table registry (``warehouse.tables``)."""


def producers(stages: tuple[Stage, ...], loaders: tuple[Loader, ...]) -> dict[str, str]:
    """Table → the stage or loader that writes it; a table written by two, or that the registry does not declare, is an
    error (so is every read, through its producer: a read with none is refused by ``upstream``)."""
    found: dict[str, str] = {}
    for declared in (*stages, *loaders):
        for table in declared.writes:
            try:
                tables.get(table)
            except UnknownTable:
                raise GraphError(
                    f"{declared.name} writes core.{table}, which warehouse/tables.py does not declare"
                ) from None
            if table in found:
                raise GraphError(f"core.{table} is written by both {found[table]} and {declared.name}")
            found[table] = declared.name
    return found


def upstream(stage: Stage, written_by: dict[str, str]) -> list[str]:
    """The stages and loaders whose tables ``stage`` reads (itself aside: earlier partitions of its own tables); a read
    with no producer is an error, named with the stage that reads it."""
    missing = [t for t in stage.reads if t not in written_by and t not in BOOKKEEPING]
    if missing:
        raise GraphError(
            f"stage {stage.name} reads {', '.join(f'core.{t}' for t in missing)}, which no stage or loader writes "
            "(pipelines/graph.py)"
        )
    return sorted({written_by[t] for t in stage.reads if t in written_by and written_by[t] != stage.name})


def layers(stages: tuple[Stage, ...], written_by: dict[str, str]) -> list[tuple[str, list[str]]]:
    """The stages in runs: topological layers grouped by partitions definition, each as early as its inputs allow
    (a stage joins the first layer of its partitions at or after the latest of its inputs')."""
    by_name = {s.name: s for s in stages}
    placed: dict[str, int] = {}
    found: list[tuple[str, list[str]]] = []
    waiting = list(stages)
    while waiting:
        ready = [s for s in waiting if all(u in placed for u in upstream(s, written_by) if u in by_name)]
        if not ready:
            raise GraphError(f"a cycle among {', '.join(s.name for s in waiting)}")
        for stage in ready:
            # the latest layer holding one of its inputs: joined when of the same partitions (one run, Dagster orders
            # inside it), else passed over for the next layer of its own partitions
            floor = max((placed[u] for u in upstream(stage, written_by) if u in by_name), default=0)
            index = next((i for i in range(floor, len(found)) if found[i][0] == stage.partitions), len(found))
            if index == len(found):
                found.append((stage.partitions, []))
            found[index][1].append(stage.name)
            placed[stage.name] = index
            waiting.remove(stage)
    return found


def _years(context) -> list[int]:
    return sorted(int(k) for k in context.partition_keys)


def _json(metadata: dict) -> dict:
    return {k: dg.MetadataValue.json(v) if isinstance(v, list | dict) else v for k, v in metadata.items()}


def execute(stage: Stage, context, config, warehouse_db: Warehouse):
    """Run ``stage`` for the years of ``context`` (a body stage: for the run's bodies, ``pipelines.body_scope``); yields
    its materialisation and check results. A failure is recorded on the uploads waiting for these results
    (``pipelines.readiness``), then raised; a body stage failing on some bodies only computes the others."""
    settings = warehouse_db.settings()
    scope = body_scope.Scope(stage.partitions == BODY, _years(context), tagged_bodies(context.run.tags))
    try:
        yield from _execute(stage, context, config, warehouse_db, settings, scope)
    except Exception:
        readiness.record_failure(settings, scope.keys, context.run.run_id, stage.name)
        raise


def _compute(stage: Stage, warehouse_db: Warehouse, con, keys: pl.DataFrame, config, settings, prepared, bodies=None):
    """The stage computed for ``keys`` through its reader and each part stored as it comes; returns the run and what it
    computed (a single part kept for the declared checks, the metadata of parts summed)."""
    reader = Reader(con, stage.name, {*stage.reads, *stage.writes})
    run = StageRun(reader, keys, config, settings, prepared, bodies=bodies)
    run.manifest_of = lambda: manifest.build(con, keys)
    computed = stage.run(run)
    single = isinstance(computed, Stored)
    metadata: dict = {}
    failures: dict[str, list[dict]] = {}
    for part in [computed] if single else computed:  # each part stored before the next is computed
        undeclared = sorted({tables.get(t).name for t in part.tables} - set(stage.writes))
        if undeclared:
            raise GraphError(f"stage {stage.name} returned {undeclared}, which it does not declare in writes")
        add_failures(failures, warehouse_db.store(con, part.tables), list(stage.checked))
        body_scope.add(metadata, part.metadata)
    result = computed if single else Stored(metadata)
    result.schema_failures = failures
    return run, result


def _execute(stage: Stage, context, config, warehouse_db: Warehouse, settings, scope):
    prepared = stage.prepare(settings) if stage.prepare else {}
    run_id = context.run.run_id
    with warehouse_db.connect() as con:
        keys = scope.resolve(con, run_id)
        if config is not None and stage.parameters:  # part of the manifest, stored before it is built
            values = config.model_dump(exclude_defaults=True)
            frame = manifest.parameters_frame(stage.name, keys, values)
            warehouse_db.store(con, {"stage_parameters": (frame, frame.drop("parameters"))})
        try:
            done = [_compute(stage, warehouse_db, con, keys, config, settings, prepared, scope.bodies)]
        except Exception as error:
            if not scope.by_body or keys["body"].n_unique() < 2:
                raise
            # one body at a time: a body the stage fails on does not take the others with it
            done = body_scope.body_by_body(
                keys, lambda part: _compute(stage, warehouse_db, con, part, config, settings, prepared), scope
            )
            if not done:
                raise
            context.log.error(f"{stage.name}: non riuscito per {len(scope.failures)} ente-anno: {scope.failures}")
        found = []
        for run, computed in done:
            files = computed.metadata.pop("files", {})
            found.append(run.manifest())
            manifest.record(con, settings, found[-1], run_id, stage.name, files or None)
            if files and scope.by_body:  # the uploads in use say which outputs include them
                readiness.record_outputs(con, settings, run.keys, run_id, files.values())
        if scope.failed:
            readiness.record_failure(settings, scope.failed_keys(), run_id, stage.name)
        metadata = body_scope.merged([computed.metadata for _, computed in done])
        if scope.by_body:
            body_status.record(con, stage.name, scope.wanted, run_id, scope.errors())
            for year in scope.years:  # the Dagster UI's view per body: when each was computed, from which upload
                table = body_status.year_table(con, stage.name, year)
                context.add_asset_metadata({"stato_per_ente": dg.MetadataValue.md(table)}, partition_key=str(year))
            metadata["enti"] = scope.done_keys(keys)["body"].n_unique()
        ids = sorted({m.id for m in found})
        yield dg.MaterializeResult(
            metadata=_json({**prepared, **metadata, "manifest": ids[0] if len(ids) == 1 else ids})
        )
        for check in stage.checks:
            passed, evidence = body_scope.evaluated(check, done)
            if check.blocking and not passed:  # the stages after it will not run
                readiness.record_failure(settings, keys, run_id, stage.name, check=True)
            severity = dg.AssetCheckSeverity.WARN if check.warn else dg.AssetCheckSeverity.ERROR
            yield dg.AssetCheckResult(check_name=check.name, passed=passed, severity=severity, metadata=_json(evidence))
        if scope.by_body:
            yield body_scope.every_body_result(scope)
        yield from check_results(list(stage.checked), body_scope.schema_failures(done))


def asset_of(stage: Stage, written_by: dict[str, str]) -> dg.AssetsDefinition:
    """The asset of one declaration: partitioned by year (a body stage computes the bodies of its run inside the
    year: ``pipelines.partitions``), its dependencies the producers of what it reads, its checks."""
    checks = [
        dg.AssetCheckSpec(c.name, asset=stage.name, blocking=c.blocking, description=c.description)
        for c in stage.checks
    ] + check_specs(stage.name, list(stage.checked))
    checks += [body_scope.every_body_spec(stage.name)] if stage.partitions == BODY else []
    decorate = dg.asset(
        name=stage.name,
        partitions_def=YEARS,
        deps=[*stage.after, *upstream(stage, written_by)],
        kinds=set(stage.kinds),
        description=stage.description,
        metadata={"reads": ", ".join(stage.reads) or "-", "writes": ", ".join(stage.writes) or "-"},
        check_specs=checks,
        **COMMON,
    )
    if stage.config is None:

        def compute(context: dg.AssetExecutionContext, warehouse_db: Warehouse):
            yield from execute(stage, context, None, warehouse_db)

    else:

        def compute(context: dg.AssetExecutionContext, config, warehouse_db: Warehouse):
            yield from execute(stage, context, config, warehouse_db)

        compute.__annotations__["config"] = stage.config
    compute.__name__ = compute.__qualname__ = stage.name
    return decorate(compute)
