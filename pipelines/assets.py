"""The asset graph, mirroring the method: archived uploads → budget lines → function metrics → authority →
Ruffini matrix → (per year: peer benchmarks, scenarios, national overview) → portfolio priorities →
restructuring plans → report workbooks.

Thin wiring: every asset calls one stage of :mod:`pipelines.stages` for all the partitions of its run
(single-run backfills: a national backfill is one run, vectorised in polars), and writes only those
partitions. Writers share the ``warehouse`` concurrency pool (limit 1, see ``dagster_home/dagster.yaml``).
"""

import dagster as dg
import polars as pl

from pipelines import (
    changes,
    dagster_setup,  # noqa: F401 (Dagster's process-wide settings, before any Dagster object)
    stage_outputs,
)
from pipelines import stages as analytics
from pipelines.checks import check_results, check_specs
from pipelines.coassessment import stage_coassessment
from pipelines.partitions import BY_YEAR, YEAR_BODY, YEARS, split
from pipelines.reconciliation import stage_reconciliation
from pipelines.resources import Warehouse
from sources.model import BudgetLines
from warehouse import manifest
from warehouse import store as warehouse
from warehouse.stored import Stored


class MatrixConfig(dg.Config):
    """What the command line may change in the classification (defaults: data/classification/classification.yaml)."""

    spending_threshold: float | None = None
    authority_threshold: float | None = None
    cost_basis: str | None = None  # direct | full (support programmes shared over the service lines)


class AuthorityConfig(dg.Config):
    """A YAML file of authority-catalogue changes applied on top of the recorded ones (``areavasta classify --overrides``)."""

    overrides_file: str | None = None
    overrides_user: str = ""


class PortfolioConfig(dg.Config):
    """Weights of the priority components that differ from data/portfolio/priorities.yaml (a scenario's)."""

    weights: dict[str, float] = {}


class PeerConfig(dg.Config):
    """The peer group a planner chooses (default: data/portfolio/priorities.yaml › peers): ``population``, ``type``,
    ``region``, or ``list`` with ``peers`` (ISTAT codes; a list alone means ``list``)."""

    peer_group: str | None = None
    peers: list[str] = []


class PlanConfig(dg.Config):
    """Plan parameters a scenario changes (defaults: data/plans)."""

    plan_tiers: list[int] | None = None
    adoption: list[float] | None = None
    effect_scale: float = 1.0
    effect_scale_by_logic: dict[str, float] = {}


class OutputConfig(dg.Config):
    """Language, phase, folder and chart export of the written outputs (workbooks, pages)."""

    lang: str = "it"
    phase: str | None = None
    folder: str | None = None
    export: bool = False


SINGLE_RUN = dg.BackfillPolicy.single_run()
COMMON = {"backfill_policy": SINGLE_RUN, "pool": "warehouse", "group_name": "metodo"}
# Assets after the first body stage follow their inputs on their own (declarative automation): a new upload or
# the annual rerun materialises the body stage, and Dagster then brings the year and later stages up to date.
FOLLOW = {**COMMON, "automation_condition": dg.AutomationCondition.eager()}
# A year's cross-body assets depend on every registered body's partition of that year, and a body without data that
# year never fills its own: requiring all of them present would leave a new year unprocessed for ever.
FOLLOW_YEAR = {
    **COMMON,
    "automation_condition": dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing()),
}

archived_uploads = dg.AssetSpec(
    "archived_uploads",
    description="Files accepted by the intake (inbox sensor, CLI or portal), kept in var/archive by SHA-256.",
    group_name="metodo",
    kinds={"xlsx", "csv"},
)


def _keys(context) -> pl.DataFrame:
    return analytics.keys_frame(split(k) for k in context.partition_keys)


def _years(context) -> list[int]:
    return sorted(int(k) for k in context.partition_keys)


@dg.asset(
    partitions_def=YEAR_BODY,
    deps=[archived_uploads],
    kinds={"duckdb"},
    **COMMON,
    check_specs=[
        dg.AssetCheckSpec(
            "schema", asset="budget_lines", blocking=True, description="The canonical pandera schema (blocking)"
        ),
        dg.AssetCheckSpec(
            "totals_reconcile",
            asset="budget_lines",
            description="Lines in the warehouse = rows recorded for the current uploads",
        ),
    ],
)
def budget_lines(context: dg.AssetExecutionContext, warehouse_db: Warehouse):
    """core.budget_lines for these partitions, as loaded by the intake; checked against the schema and the upload register."""
    keys = _keys(context)
    failures, counts, spending = [], [], 0
    with warehouse_db.connect() as con:
        for year in sorted(keys["year"].unique().to_list()):  # a year at a time: bounded memory on a national backfill
            lines = warehouse.read_table(con, "budget_lines", keys.filter(pl.col("year") == year))
            try:
                BudgetLines.validate(lines, lazy=True)
            except Exception as exc:  # pandera SchemaErrors: keep a sample of the failure cases
                cases = getattr(exc, "failure_cases", None)
                failures += (
                    cases.head(20).to_dicts()
                    if cases is not None and hasattr(cases, "head")
                    else [{"error": str(exc)[:2000]}]
                )
            counts.append(lines.group_by("body", "year").len())
            spending += int(lines["amount_cents"].sum() or 0)
        register = con.execute(
            "SELECT body, year, sum(n_rows)::BIGINT AS n FROM core.uploads WHERE status = 'current' AND content = 'budget' GROUP BY ALL"
        ).pl()
        found = _recorded(context, warehouse_db, con, keys)
    counted = pl.concat(counts).join(
        register.with_columns(pl.col("year").cast(pl.Int32)), on=["body", "year"], how="full", coalesce=True
    )
    bad = counted.join(keys, on=["body", "year"], how="semi").filter(
        pl.col("len").fill_null(0) != pl.col("n").fill_null(0)
    )
    yield dg.MaterializeResult(
        metadata={
            "rows": int(counted["len"].fill_null(0).sum()),
            "partitions": keys.height,
            "spending_eur": spending // 100,
            "manifest": found.id,
        }
    )
    yield dg.AssetCheckResult(
        check_name="schema", passed=not failures, metadata={"failure_cases": dg.MetadataValue.json(failures[:20])}
    )
    yield dg.AssetCheckResult(
        check_name="totals_reconcile",
        passed=bad.is_empty(),
        metadata={"mismatches": dg.MetadataValue.json(bad.to_dicts()[:20])},
    )


@dg.asset(
    partitions_def=YEAR_BODY,
    deps=[budget_lines],
    kinds={"duckdb", "polars"},
    **COMMON,
    check_specs=[
        dg.AssetCheckSpec(
            "agrees_with_bdap",
            asset="bdap_reconciliation",
            description="The upload and the BDAP extract of the same body, year and phase agree within the "
            "tolerance of data/reconciliation (warning)",
        ),
        *check_specs("bdap_reconciliation", ["bdap_reconciliation"]),
    ],
)
def bdap_reconciliation(context: dg.AssetExecutionContext, warehouse_db: Warehouse):
    """Each upload against the BDAP extract of the same body, year and phase, by mission, programme and macroaggregate."""
    keys = _keys(context)
    with warehouse_db.connect() as con:
        stored = stage_reconciliation(con, keys)
        warehouse_db.store(con, stored.tables)
        off = stored.tables["bdap_reconciliation"][0].filter(~pl.col("within_tolerance"))
        found = _recorded(context, warehouse_db, con, keys)
        yield dg.MaterializeResult(metadata={**stored.metadata, "manifest": found.id})
        yield dg.AssetCheckResult(
            check_name="agrees_with_bdap",
            passed=off.is_empty(),
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "differences": dg.MetadataValue.json(
                    off.sort(pl.col("difference_cents").abs(), descending=True)
                    .select(
                        "body",
                        "year",
                        "phase",
                        "amount_kind",
                        "level",
                        "code",
                        "own_file",
                        "own_cents",
                        "bdap_file",
                        "bdap_cents",
                        "difference_cents",
                        "allowed_cents",
                    )
                    .to_dicts()[:30]
                )
            },
        )
        yield from check_results(con, ["bdap_reconciliation"], keys)


@dg.asset(
    partitions_def=YEAR_BODY,
    deps=[archived_uploads],
    kinds={"duckdb", "polars"},
    **COMMON,
    check_specs=check_specs("co_assessment", ["coassessment"]),
)
def co_assessment(context: dg.AssetExecutionContext, warehouse_db: Warehouse):
    """What users and Third Sector bodies say of each function: n, mean and interval per scale and respondent type."""
    keys = _keys(context)
    yield from _stage(context, warehouse_db, keys, ["coassessment"], lambda con: stage_coassessment(con, keys))


def _recorded(
    context,
    warehouse_db: Warehouse,
    con,
    keys: pl.DataFrame,
    config: dg.Config | None = None,
    outputs: dict | None = None,
) -> manifest.Manifest:
    """Record this run against its manifest; a configurable asset first stores the run configuration it ran with."""
    asset = context.asset_key.to_user_string()
    if config is not None:
        warehouse_db.store(
            con,
            {
                "stage_parameters": (
                    manifest.parameters_frame(asset, keys, config.model_dump(exclude_defaults=True)),
                    manifest.parameters_frame(asset, keys, {}).drop("parameters"),
                )
            },
        )
    found = manifest.build(con, keys)
    manifest.record(con, warehouse_db.settings(), found, context.run.run_id, asset, outputs)
    return found


def _stage(
    context, warehouse_db: Warehouse, check_keys: pl.DataFrame, tables: list[str], run, config: dg.Config | None = None
):
    """Run one stage, persist what it computed through the resource, record the run's manifest, then check each table.

    ``run`` returns what the stage computed, or its parts one after another (each stored before the next is computed,
    so a national backfill holds one part at a time); the metadata of parts are summed."""
    with warehouse_db.connect() as con:
        computed = run(con)
        metadata: dict = {}
        for stored in [computed] if isinstance(computed, Stored) else computed:
            assert set(stored.tables) == set(tables), (
                sorted(stored.tables),
                tables,
            )  # the checks declared are the tables written
            warehouse_db.store(con, stored.tables)
            for name, value in stored.metadata.items():
                metadata[name] = metadata[name] + value if name in metadata else value
        found = _recorded(context, warehouse_db, con, check_keys, config)
        yield dg.MaterializeResult(metadata={**metadata, "manifest": found.id})
        yield from check_results(con, tables, check_keys)


def _year_keys(context) -> pl.DataFrame:
    return pl.DataFrame({"year": _years(context)}, schema={"year": pl.Int32})


METRIC_TABLES = ["function_metrics", "body_metrics", "execution_indicators"]
MATRIX_TABLES = ["ruffini_matrix", "matrix_sensitivity", "matrix_movement", "mission_movement"]
PLAN_TABLES = ["plans", "plan_projection", "plan_kpis"]
PEER_TABLES = ["peer_benchmarks", "peer_groups", "indicator_peers", "confirmed_outliers"]
PORTFOLIO_TABLES = ["portfolio", "portfolio_sensitivity"]
SCENARIO_TABLES = ["scenario_comparison", "scenario_functions", "scenario_parameters"]


@dg.asset(
    partitions_def=YEAR_BODY,
    deps=[budget_lines],
    kinds={"duckdb", "polars"},
    **COMMON,
    check_specs=check_specs("function_metrics", METRIC_TABLES),
)
def function_metrics(context: dg.AssetExecutionContext, warehouse_db: Warehouse):
    """Spending per function by class, rigid and capital shares, per capita; body rigidity; execution indicators
    (core.function_metrics, core.body_metrics, core.execution_indicators)."""
    keys = _keys(context)
    yield from _stage(context, warehouse_db, keys, METRIC_TABLES, lambda con: analytics.stage_metrics(con, keys))


@dg.asset(
    partitions_def=YEAR_BODY,
    deps=[budget_lines],
    kinds={"duckdb", "polars"},
    **COMMON,
    check_specs=check_specs("authority_scores", ["authority_scores"]),
)
def authority_scores(context: dg.AssetExecutionContext, config: AuthorityConfig, warehouse_db: Warehouse):
    """Authority catalogue with each body's overrides, scored 0-1 (core.authority_scores)."""
    keys = _keys(context)
    yield from _stage(
        context,
        warehouse_db,
        keys,
        ["authority_scores"],
        lambda con: analytics.stage_authority(con, keys, config.overrides_file, config.overrides_user),
        config,
    )


@dg.asset(
    partitions_def=YEAR_BODY,
    deps=[function_metrics, authority_scores],
    kinds={"duckdb", "polars"},
    **COMMON,
    check_specs=[
        dg.AssetCheckSpec(
            "every_function_placed",
            asset="ruffini_matrix",
            description="Every function with spending has a quadrant or a stated reason",
        ),
        *check_specs("ruffini_matrix", MATRIX_TABLES),
    ],
)
def ruffini_matrix(context: dg.AssetExecutionContext, config: MatrixConfig, warehouse_db: Warehouse):
    """Quadrant, service type, governance mode, borderline flag and explanation; sensitivity and movement."""
    keys = _keys(context)
    with warehouse_db.connect() as con:
        stored = analytics.stage_matrix(
            con,
            keys,
            analytics.matrix_parameters(config.spending_threshold, config.authority_threshold, config.cost_basis),
            home=warehouse_db.settings().home,
        )
        warehouse_db.store(con, stored.tables)
        matrix = stored.tables["ruffini_matrix"][0]
        silent = matrix.filter(
            pl.col("total_cents") > 0, pl.col("quadrant").is_null(), pl.col("not_classified").is_null()
        )
        found = _recorded(context, warehouse_db, con, keys, config)
        yield dg.MaterializeResult(metadata={**stored.metadata, "manifest": found.id})
        yield dg.AssetCheckResult(
            check_name="every_function_placed",
            passed=silent.is_empty(),
            metadata={"unexplained": dg.MetadataValue.json(silent.select("body", "year", "function").to_dicts()[:20])},
        )
        yield from check_results(con, MATRIX_TABLES, keys)


@dg.asset(
    partitions_def=YEARS,
    deps=[dg.AssetDep(ruffini_matrix, partition_mapping=BY_YEAR)],
    kinds={"duckdb", "polars"},
    **FOLLOW_YEAR,
    check_specs=[
        dg.AssetCheckSpec(
            "year_on_year_jumps",
            asset="peer_benchmarks",
            description="Spending jumping by more than 50 % from one year to the next (flagged, not blocking)",
        ),
        *check_specs("peer_benchmarks", PEER_TABLES),
    ],
)
def peer_benchmarks(context: dg.AssetExecutionContext, config: PeerConfig, warehouse_db: Warehouse):
    """Per year, across bodies: peer groups (the rule chosen), named peer medians at the same detail, outliers and jumps,
    where each body's execution indicators stand among its peers, the outliers a person confirmed (core.peer_benchmarks,
    core.peer_groups, core.indicator_peers, core.confirmed_outliers from <home>/confirmed_outliers.csv)."""
    years = _year_keys(context)
    with warehouse_db.connect() as con:
        stored = analytics.stage_peers(
            con, years["year"].to_list(), config.peer_group, config.peers, home=warehouse_db.settings().home
        )
        warehouse_db.store(con, stored.tables)
        jumps = stored.tables["peer_benchmarks"][0].filter(pl.col("outlier_jump"))
        found = _recorded(context, warehouse_db, con, years, config)
        yield dg.MaterializeResult(metadata={**stored.metadata, "manifest": found.id})
        yield dg.AssetCheckResult(
            check_name="year_on_year_jumps",
            passed=jumps.is_empty(),
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "jumps": dg.MetadataValue.json(
                    jumps.select("body", "year", "function", "yearly_change").to_dicts()[:30]
                )
            },
        )
        yield from check_results(con, PEER_TABLES, years)


@dg.asset(
    partitions_def=YEAR_BODY,
    deps=[ruffini_matrix, co_assessment, dg.AssetDep(peer_benchmarks, partition_mapping=BY_YEAR)],
    kinds={"duckdb", "polars"},
    **FOLLOW,
    check_specs=check_specs("portfolio_priorities", PORTFOLIO_TABLES),
)
def portfolio_priorities(context: dg.AssetExecutionContext, config: PortfolioConfig, warehouse_db: Warehouse):
    """Priority score, tier, reasons and flags per function (core.portfolio)."""
    keys = _keys(context)
    yield from _stage(
        context,
        warehouse_db,
        keys,
        PORTFOLIO_TABLES,
        lambda con: analytics.stage_portfolio(con, keys, config.weights),
        config,
    )


@dg.asset(
    partitions_def=YEAR_BODY,
    deps=[portfolio_priorities],
    kinds={"duckdb", "polars"},
    **FOLLOW,
    check_specs=check_specs("restructuring_plans", PLAN_TABLES),
)
def restructuring_plans(context: dg.AssetExecutionContext, config: PlanConfig, warehouse_db: Warehouse):
    """Development projects for the priority functions, hand-over plans for transferred ones (core.plans, core.plan_projection, core.plan_kpis)."""
    keys = _keys(context)
    years = sorted(
        keys["year"].unique().to_list()
    )  # a year at a time: the plans of 1,070 partitions with their texts took 300 MB to store
    yield from _stage(
        context,
        warehouse_db,
        keys,
        PLAN_TABLES,
        lambda con: (
            analytics.stage_plans(
                con,
                keys.filter(pl.col("year") == year),
                plan_tiers=config.plan_tiers,
                adoption=config.adoption,
                effect_scale=config.effect_scale,
                effect_scale_by_logic=config.effect_scale_by_logic,
            )
            for year in years
        ),
        config,
    )


@dg.asset(
    partitions_def=YEARS,
    deps=[dg.AssetDep(portfolio_priorities, partition_mapping=BY_YEAR)],
    kinds={"duckdb", "polars"},
    **FOLLOW_YEAR,
    check_specs=check_specs("scenarios", SCENARIO_TABLES),
)
def scenarios(context: dg.AssetExecutionContext, warehouse_db: Warehouse):
    """Every scenario of data/scenarios end to end, projected three years against the baseline (core.scenario_comparison)."""
    years = _year_keys(context)
    settings = warehouse_db.settings()
    with warehouse_db.connect() as con:
        found = manifest.build(con, years)  # the projections' CSVs name it
        stored = analytics.stage_scenarios(con, years["year"].to_list(), settings.outputs_dir / "scenarios", found.id)
        warehouse_db.store(con, stored.tables)
        manifest.record(con, settings, found, context.run.run_id, "scenarios", stored.metadata.pop("files", {}))
        yield dg.MaterializeResult(metadata={**stored.metadata, "manifest": found.id})
        yield from check_results(con, SCENARIO_TABLES, years)


@dg.asset(
    partitions_def=YEARS,
    deps=[dg.AssetDep(ruffini_matrix, partition_mapping=BY_YEAR)],
    kinds={"duckdb"},
    **FOLLOW_YEAR,
    check_specs=check_specs("national_overview", ["national_overview"]),
)
def national_overview(context: dg.AssetExecutionContext, warehouse_db: Warehouse):
    """How each body's spending splits by quadrant, per year (core.national_overview)."""
    years = _year_keys(context)
    yield from _stage(
        context,
        warehouse_db,
        years,
        ["national_overview"],
        lambda con: analytics.stage_national(con, years["year"].to_list()),
    )


@dg.asset(
    partitions_def=YEAR_BODY,
    deps=[restructuring_plans, bdap_reconciliation, dg.AssetDep(scenarios, partition_mapping=BY_YEAR)],
    kinds={"excel"},
    **FOLLOW,
)
def report_workbooks(
    context: dg.AssetExecutionContext, config: OutputConfig, warehouse_db: Warehouse
) -> dg.MaterializeResult:
    """One Excel report per body, year and phase, and the DUP beside it as a Word document (var/outputs/reports)."""
    settings = warehouse_db.settings()
    keys = _keys(context)
    with warehouse_db.connect() as con:
        found = manifest.build(con, keys)
        paths = stage_outputs.stage_reports(con, keys, settings, config.folder, config.lang, config.phase, found)
        manifest.record(con, settings, found, context.run.run_id, "report_workbooks", {str(p): p for p in paths})
        manifest.save_state(settings, found, changes.states(con, keys))  # for areavasta diff between two runs
    return dg.MaterializeResult(
        metadata={
            "workbooks": sum(p.suffix == ".xlsx" for p in paths),
            "documents": sum(p.suffix == ".docx" for p in paths),
            "paths": dg.MetadataValue.json([str(p) for p in paths]),
            "folder": str(config.folder or settings.outputs_dir / "reports"),
            "manifest": found.id,
        }
    )


@dg.asset(
    partitions_def=YEAR_BODY,
    deps=[
        portfolio_priorities,
        ruffini_matrix,
        bdap_reconciliation,
        dg.AssetDep(national_overview, partition_mapping=BY_YEAR),
    ],
    kinds={"html"},
    **FOLLOW,
)
def dashboard_pages(
    context: dg.AssetExecutionContext, config: OutputConfig, warehouse_db: Warehouse
) -> dg.MaterializeResult:
    """Self-contained HTML pages per body, year and phase, and the index (var/outputs/dashboards)."""
    settings = warehouse_db.settings()
    keys = _keys(context)
    with warehouse_db.connect() as con:
        found = manifest.build(con, keys)
        paths = stage_outputs.stage_dashboards(con, keys, settings, config.lang, config.export, found, config.folder)
        manifest.record(con, settings, found, context.run.run_id, "dashboard_pages", {str(p): p for p in paths})
    return dg.MaterializeResult(
        metadata={
            "pages": len(paths),
            "index": str(settings.outputs_dir / "dashboards" / "index.html"),
            "manifest": found.id,
        }
    )


BODY_STAGE_1 = [budget_lines, bdap_reconciliation, co_assessment, function_metrics, authority_scores, ruffini_matrix]
YEAR_STAGE = [peer_benchmarks, national_overview]
BODY_STAGE_2 = [portfolio_priorities, restructuring_plans]
YEAR_STAGE_2 = [scenarios]
BODY_STAGE_3 = [report_workbooks, dashboard_pages]
ALL_ASSETS = [*BODY_STAGE_1, *YEAR_STAGE, *BODY_STAGE_2, *YEAR_STAGE_2, *BODY_STAGE_3]
