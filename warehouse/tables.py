"""The table registry: every table of the warehouse (schema ``core``), declared once (PUDL's ``metadata/resources``).

Each declaration names the table's columns (their types and value checks are ``warehouse.fields``'), its key, the
columns that are never empty, how an asset's partitions select its rows, whether a failed check blocks the stages after
it, and what the table holds. From here come the DDL (``ddl``), the strict pandera schemas (``Table.schema``), the
typed reads and writes (``warehouse.store``) and one asset check per table (``pipelines.checks``). The budget and
revenue lines are declared by ``sources.model`` (the intake checks files against them); the registry takes those models.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from sources.model import BudgetLines, RevenueLines
from warehouse.errors import UnknownTable
from warehouse.fields import FIELDS, TEXT, WHOLE
from warehouse.method_tables import (  # noqa: F401 (the method's stages: the registry names every table)
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
    METHOD,
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
from warehouse.table import WHOLE_TABLE, YEARLY, Field, Table, declare, from_model, names

# -- loaded from files (the intake, national extracts, questionnaires) ------------------------------------------------

BUDGET_LINES = from_model(
    "budget_lines", "One amount of one kind from an uploaded budget, at its finest detail, with its cell.", BudgetLines
)
REVENUE_LINES = from_model(
    "revenue_lines", "One revenue amount (title, tipologia, kind) from an uploaded revenue export.", RevenueLines
)
UPLOADS = declare(
    "uploads",
    "The register of loaded files: one row per file and (body, year, phase), current or superseded.",
    names(
        "sha256 original_name layout body year phase received_at received_by n_rows archive_path status superseded_by"
        " content receipt_seq"
    ),
    FIELDS,
    key=("sha256", "body", "year", "phase"),
    required="original_name layout received_at received_by n_rows archive_path status content",
    enforced=True,
    own={"status": TEXT.checked(pa.Check.isin(["current", "superseded"]))},
    defaults={"content": "'budget'"},  # files loaded before revenue files existed were budgets
)
AUTHORITY_OVERRIDES = declare(
    "authority_overrides",
    "Every change a body made to the authority catalogue, with reason, author and file; append-only, the latest wins.",
    names("body programma attribute value reason author date source_sha256 recorded_at"),
    FIELDS,
    required="body programma attribute value reason author date source_sha256 recorded_at",
    partitions=WHOLE_TABLE,
    enforced=True,
    own={"value": TEXT, "recorded_at": Field(pl.Datetime("us"))},
)
NATIONAL_LINES = declare(
    "national_lines",
    "National open data (BDAP, programme level) of every province and metropolitan city, shaped like the budget lines.",
    names(
        "body year phase missione programma titolo macroaggregato amount_kind amount_cents source_line extract_sha256"
    ),
    FIELDS,
    required="body year phase missione amount_kind amount_cents source_line extract_sha256",
)
NATIONAL_EXTRACTS = declare(
    "national_extracts",
    "Each national extract loaded: file, archive copy, phase, years, bodies, lines, who and when.",
    names("sha256 file stored_as layout phase lines bodies years user loaded_at"),
    FIELDS,
    key=("sha256",),
    required="file stored_as layout phase lines bodies years user loaded_at",
    partitions=WHOLE_TABLE,
    own={"lines": WHOLE},
)
RATINGS = declare(
    "ratings",
    "Co-assessment questionnaires: one rating per respondent and function (1-5 scales), with its file and row.",
    names(
        "body year function respondent_type respondent quality accessibility willingness note sheet source_row"
        " source_sha256 source_file"
    ),
    FIELDS,
    key=("body", "year", "function", "respondent"),
    required="respondent_type source_sha256 source_file",
    blocking=False,
)
RATING_FILES = declare(
    "rating_files",
    "Each questionnaire loaded: file, archive copy, ratings, bodies, who and when.",
    names("sha256 file stored_as rows bodies user loaded_at"),
    FIELDS,
    key=("sha256",),
    required="file stored_as rows bodies user loaded_at",
    partitions=WHOLE_TABLE,
    blocking=False,
    own={"bodies": TEXT},  # comma separated
)

# -- the runs -------------------------------------------------------------------------------------------------------

STAGE_PARAMETERS = declare(
    "stage_parameters",
    "The run configuration each configurable asset ran with, per partition (body '*': an asset across bodies).",
    names("asset body year parameters"),
    FIELDS,
    key=("asset", "body", "year"),
    required="parameters",
    partitions=YEARLY,
    blocking=False,
    own={"body": TEXT},
)
RUN_MANIFESTS = declare(
    "run_manifests",
    "Each asset's run against the manifest of what it was computed from (docs/REPRODUCIBILITY.md).",
    names("run_id asset manifest_id recorded_at"),
    FIELDS,
    key=("run_id", "asset"),
    required="manifest_id",
    partitions=WHOLE_TABLE,
    blocking=False,
)
BODY_RUNS = declare(
    "body_runs",
    "Each body stage's last run for each body and year: when, which run, and whether it computed the body (ok), failed "
    "on it (failed, with the error) or left it out after an earlier stage failed on it (skipped). What Dagster's "
    "partitions showed per body before bodies became data inside the year (pipelines.body_status).",
    names("asset body year run_id recorded_at state error"),
    FIELDS,
    key=("asset", "body", "year"),
    required="run_id recorded_at state",
    blocking=False,
    own={"state": TEXT.checked(pa.Check.isin(["ok", "failed", "skipped"])), "error": TEXT},
)

LOADED = (
    BUDGET_LINES,
    REVENUE_LINES,
    UPLOADS,
    AUTHORITY_OVERRIDES,
    NATIONAL_LINES,
    NATIONAL_EXTRACTS,
    RATINGS,
    RATING_FILES,
)
TABLES: dict[str, Table] = {t.name: t for t in (*LOADED, *METHOD, STAGE_PARAMETERS, RUN_MANIFESTS, BODY_RUNS)}


def get(table: Table | str) -> Table:
    """The table itself, or the declared table of that name; a name the registry does not know is refused."""
    if isinstance(table, Table):
        return table
    try:
        return TABLES[table]
    except KeyError:
        raise UnknownTable(table) from None


def ddl() -> str:
    """The schema and every table, for a warehouse being opened to write (a table already there is left as it is)."""
    return "\n".join(["CREATE SCHEMA IF NOT EXISTS core;", *(t.ddl() for t in TABLES.values())])
