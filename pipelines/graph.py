"""The asset graph as data: every stage of the method declared once, with the tables it reads and writes.

archived uploads → budget lines → function metrics, authority → Ruffini matrix → (per year: peer benchmarks, national
overview, scenarios) → portfolio priorities → restructuring plans → report workbooks and dashboard pages. Nobody
writes that order down: ``pipelines.factory`` derives each asset's dependencies from the tables it reads (the
stage or loader that writes each one), and the in-process runner its stages from those dependencies. A table
read with no producer stops the definitions from loading. The tables are the registry's (``warehouse.tables``): a
misspelt one fails at import, and one the registry does not declare is refused by the factory.
"""

from __future__ import annotations

from pipelines import changes, output_workers, stage_outputs
from pipelines import stages as first
from pipelines.coassessment import stage_coassessment
from pipelines.configs import (
    AuthorityConfig,
    MatrixConfig,
    OutputConfig,
    PeerConfig,
    PlanConfig,
    PortfolioConfig,
)
from pipelines.declaration import BODY, YEAR, Loader, Stage, StageRun
from pipelines.reconciliation import stage_reconciliation
from pipelines.stage_checks import (
    AGREES_WITH_BDAP,
    EVERY_FUNCTION_PLACED,
    LINES_SCHEMA,
    TOTALS_RECONCILE,
    YEAR_ON_YEAR_JUMPS,
)
from pipelines.stage_lines import check_lines, load_pending
from pipelines.stage_peers import stage_national, stage_peers
from pipelines.stage_priorities import plan_inputs, plan_settings, plans_from, stage_portfolio, stage_scenarios
from warehouse import manifest
from warehouse.method_tables import (
    AUTHORITY_SCORES,
    BDAP_RECONCILIATION,
    BODY_METRICS,
    COASSESSMENT,
    CONFIRMED_OUTLIERS,
    EXECUTION_INDICATORS,
    FUNCTION_METRICS,
    INDICATOR_PEERS,
    MATRIX_MOVEMENT,
    MATRIX_SENSITIVITY,
    MISSION_MOVEMENT,
    NATIONAL_OVERVIEW,
    PEER_BENCHMARKS,
    PEER_GROUPS,
    PLAN_KPIS,
    PLAN_PROJECTION,
    PLANS,
    PORTFOLIO,
    PORTFOLIO_SENSITIVITY,
    RUFFINI_MATRIX,
    SCENARIO_COMPARISON,
    SCENARIO_FUNCTIONS,
    SCENARIO_PARAMETERS,
)
from warehouse.stored import Stored
from warehouse.tables import (
    AUTHORITY_OVERRIDES,
    BUDGET_LINES,
    NATIONAL_EXTRACTS,
    NATIONAL_LINES,
    RATING_FILES,
    RATINGS,
    REVENUE_LINES,
    UPLOADS,
)

LINES = (BUDGET_LINES, NATIONAL_LINES)  # an upload, else the national open data (BDAP)
OPEN_DATA = (*LINES, NATIONAL_EXTRACTS)  # which partitions only the national open data covers, from which extract
METRIC_TABLES = (FUNCTION_METRICS, BODY_METRICS, EXECUTION_INDICATORS)
MATRIX_TABLES = (RUFFINI_MATRIX, MATRIX_SENSITIVITY, MATRIX_MOVEMENT, MISSION_MOVEMENT)
PEER_TABLES = (PEER_BENCHMARKS, PEER_GROUPS, INDICATOR_PEERS, CONFIRMED_OUTLIERS)
PORTFOLIO_TABLES = (PORTFOLIO, PORTFOLIO_SENSITIVITY)
PLAN_TABLES = (PLANS, PLAN_PROJECTION, PLAN_KPIS)
SCENARIO_TABLES = (SCENARIO_COMPARISON, SCENARIO_FUNCTIONS, SCENARIO_PARAMETERS)
MATRIX_READS = (FUNCTION_METRICS, AUTHORITY_SCORES, BODY_METRICS, REVENUE_LINES, RUFFINI_MATRIX)
PORTFOLIO_READS = (RUFFINI_MATRIX, PEER_BENCHMARKS, COASSESSMENT, EXECUTION_INDICATORS)
OUTPUT_READS = (  # what a body's workbook and page show, and what changed since the previous run (pipelines.changes)
    *MATRIX_TABLES,
    *OPEN_DATA,
    BODY_METRICS,
    EXECUTION_INDICATORS,
    INDICATOR_PEERS,
    PEER_GROUPS,
    PORTFOLIO,
    PLANS,
    BDAP_RECONCILIATION,
    COASSESSMENT,
)


def _matrix(run: StageRun) -> Stored:
    c = run.config
    parameters = first.matrix_parameters(c.spending_threshold, c.authority_threshold, c.cost_basis)
    return first.stage_matrix(run.reader, run.keys, parameters, home=run.settings.home)


PLAN_WORKERS_FROM = 4  # years: below, the plans are made in the run's process (a worker takes 2-3 s to start)


def _plans(run: StageRun):
    """A year at a time (the plans of 1,070 partitions with their texts took 300 MB to store); many years in worker
    processes, pure Python on both cores (a national backfill's 21 s of texts)."""
    c = run.config
    settings = plan_settings(c.plan_tiers, c.adoption, c.effect_scale, c.effect_scale_by_logic)
    inputs = [plan_inputs(run.reader, run.keys.filter(run.keys["year"] == year)) for year in run.years]
    national = run.keys["body"].n_unique() >= output_workers.SERIAL_BELOW  # not an upload, not a body-by-body retry
    serial_below = PLAN_WORKERS_FROM if national else len(inputs) + 1
    yield from output_workers.computed_each(plans_from, settings, inputs, serial_below=serial_below)


def _reports(run: StageRun):
    """A year at a time: drawn for ten years at once, the tables they read held 8 GB, and each worker a copy."""
    c, found = run.config, run.manifest()
    for year in run.years:
        keys = run.keys.filter(run.keys["year"] == year)
        paths = stage_outputs.stage_reports(run.reader, keys, run.settings, c.folder, c.lang, c.phase, found)
        yield Stored(
            {
                "workbooks": sum(p.suffix == ".xlsx" for p in paths),
                "documents": sum(p.suffix == ".docx" for p in paths),
                "paths": [str(p) for p in paths],
                "files": {str(p): p for p in paths},
            }
        )
    manifest.save_state(run.settings, found, changes.states(run.reader, run.keys))  # for areavasta diff
    yield Stored({"folder": str(c.folder or run.settings.outputs_dir / "reports")})


def _pages(run: StageRun):
    """A year at a time, as the workbooks; the index lists every page in the folder, written again each year."""
    c = run.config
    for year in run.years:
        keys = run.keys.filter(run.keys["year"] == year)
        paths = stage_outputs.stage_dashboards(
            run.reader, keys, run.settings, c.lang, c.export, run.manifest(), c.folder
        )
        yield Stored({"pages": len(paths), "files": {str(p): p for p in paths}})
    yield Stored({"index": str(run.settings.outputs_dir / "dashboards" / "index.html")})


STAGES: tuple[Stage, ...] = (
    Stage(
        "budget_lines",
        BODY,
        lambda run: check_lines(run.reader, run.keys),
        "core.budget_lines for these partitions: every pending receipt loaded first, in order of receipt "
        "(warehouse.loading.load_receipts), then checked against the schema and the register of uploads.",
        writes=(BUDGET_LINES, REVENUE_LINES, UPLOADS, AUTHORITY_OVERRIDES),
        schema_checked=(),  # its own checks: the schema a year at a time, and the register
        checks=(LINES_SCHEMA, TOTALS_RECONCILE),
        prepare=load_pending,
        after=("archived_uploads",),
        kinds=frozenset({"duckdb"}),
    ),
    Stage(
        "bdap_reconciliation",
        BODY,
        lambda run: stage_reconciliation(run.reader, run.keys),
        "Each upload against the BDAP extract of the same body, year and phase, by mission, programme and "
        "macroaggregate.",
        reads=(*OPEN_DATA, UPLOADS),
        writes=(BDAP_RECONCILIATION,),
        checks=(AGREES_WITH_BDAP,),
    ),
    Stage(
        "co_assessment",
        BODY,
        lambda run: stage_coassessment(run.reader, run.keys),
        "What users and Third Sector bodies say of each function: n, mean and interval per scale and respondent type.",
        reads=(RATINGS,),
        writes=(COASSESSMENT,),
    ),
    Stage(
        "function_metrics",
        BODY,
        lambda run: first.stage_metrics(run.reader, run.keys),
        "Spending per function by class, rigid and capital shares, per capita; body rigidity; execution indicators.",
        reads=(*LINES, REVENUE_LINES),
        writes=METRIC_TABLES,
    ),
    Stage(
        "authority_scores",
        BODY,
        lambda run: first.stage_authority(run.reader, run.keys, run.config.overrides_file, run.config.overrides_user),
        "Authority catalogue with each body's overrides, scored 0-1.",
        reads=(AUTHORITY_OVERRIDES,),
        writes=(AUTHORITY_SCORES,),
        config=AuthorityConfig,
    ),
    Stage(
        "ruffini_matrix",
        BODY,
        _matrix,
        "Quadrant, service type, governance mode, borderline flag and explanation; sensitivity and movement.",
        reads=MATRIX_READS,
        writes=MATRIX_TABLES,
        config=MatrixConfig,
        checks=(EVERY_FUNCTION_PLACED,),
    ),
    Stage(
        "peer_benchmarks",
        YEAR,
        lambda run: stage_peers(run.reader, run.years, run.config.peer_group, run.config.peers, home=run.settings.home),
        "Per year, across bodies: peer groups (the rule chosen), named peer medians at the same detail, outliers "
        "and jumps, where each body's execution indicators stand among its peers, the outliers a person confirmed "
        "(from <home>/confirmed_outliers.csv).",
        reads=(*OPEN_DATA, RUFFINI_MATRIX, EXECUTION_INDICATORS),
        writes=PEER_TABLES,
        config=PeerConfig,
        checks=(YEAR_ON_YEAR_JUMPS,),
    ),
    Stage(
        "national_overview",
        YEAR,
        lambda run: stage_national(run.reader, run.years),
        "How each body's spending splits by quadrant, per year.",
        reads=(RUFFINI_MATRIX,),
        writes=(NATIONAL_OVERVIEW,),
        kinds=frozenset({"duckdb"}),
    ),
    Stage(
        "scenarios",
        YEAR,
        lambda run: stage_scenarios(
            run.reader, run.years, run.settings.outputs_dir / "scenarios", run.manifest().id, run.bodies
        ),
        "Every scenario of data/scenarios end to end (matrix, priorities, plans in memory with the scenario's "
        "configuration), projected three years against the baseline; an upload's run computes its own bodies' rows.",
        reads=(*LINES, *MATRIX_READS, *PORTFOLIO_READS),
        writes=SCENARIO_TABLES,
    ),
    Stage(
        "portfolio_priorities",
        BODY,
        lambda run: stage_portfolio(run.reader, run.keys, run.config.weights),
        "Priority score, tier, reasons and flags per function.",
        reads=PORTFOLIO_READS,
        writes=PORTFOLIO_TABLES,
        config=PortfolioConfig,
    ),
    Stage(
        "restructuring_plans",
        BODY,
        _plans,
        "Development projects for the priority functions, hand-over plans for transferred ones.",
        reads=(PORTFOLIO, RUFFINI_MATRIX, COASSESSMENT),
        writes=PLAN_TABLES,
        config=PlanConfig,
    ),
    Stage(
        "report_workbooks",
        BODY,
        _reports,
        "One Excel report per body, year and phase, and the DUP beside it as a Word document (var/outputs/reports).",
        reads=(*OUTPUT_READS, PLAN_PROJECTION, PLAN_KPIS, UPLOADS, *SCENARIO_TABLES),
        config=OutputConfig,
        parameters=False,
        kinds=frozenset({"excel"}),
    ),
    Stage(
        "dashboard_pages",
        BODY,
        _pages,
        "Self-contained HTML pages per body, year and phase, and the index (var/outputs/dashboards).",
        reads=(*OUTPUT_READS, NATIONAL_OVERVIEW),
        config=OutputConfig,
        parameters=False,
        kinds=frozenset({"html"}),
    ),
)

LOADERS: tuple[Loader, ...] = (
    Loader("national_lines", (NATIONAL_LINES, NATIONAL_EXTRACTS)),
    Loader("ratings", (RATINGS, RATING_FILES)),
)
