"""A pandera schema for every table the pipeline stores, and the asset checks generated from them (PUDL style).

Each table is declared once in ``TABLES``: its key (unique, never null) and the columns whose values carry
meaning (shares between 0 and 1, cents, scores, codes from closed lists). Wide tables (the portfolio
carries the matrix's columns) are checked on those columns only (``strict=False``). ``check_specs`` and
``check_results`` turn a table list into Dagster asset checks: blocking where wrong data would mislead
the next stage, with failure samples as metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg
import pandera.errors
import pandera.polars as pa
import polars as pl

from pipelines import warehouse
from sources.model import BudgetLines, RevenueLines
from transforms.authority import ATTRIBUTES
from transforms.peers import RULES as PEER_RULES

QUADRANTS = ["allocation", "regulation", "direct", "indirect"]
PHASES = ["previsione", "rendiconto"]


def _key(*names: str) -> dict[str, pa.Column]:
    types = {
        "body": pl.String,
        "year": pl.Int32,
        "phase": pl.String,
        "function": pl.String,
        "scenario": pl.String,
        "programma": pl.String,
        "quadrant": pl.String,
        "kpi": pl.String,
        "step": pl.Int32,
        "projected_year": pl.Int32,
        "peer": pl.String,
        "axis": pl.String,
        "weight": pl.String,
        "factor": pl.Float64,
        "amount_kind": pl.String,
        "level": pl.String,
        "code": pl.String,
        "asset": pl.String,
        "run_id": pl.String,
        "respondent_type": pl.String,
        "detail": pl.String,
        "indicator": pl.String,
    }
    if "step" in names and "axis" in names:
        types["step"] = pl.Float64  # sensitivity: the threshold moved by this much
    checks = {
        "phase": [pa.Check.isin(PHASES)],
        "year": [pa.Check.in_range(2000, 2100)],
        "detail": [pa.Check.isin(["body", "mission", "function"])],
        "level": [pa.Check.isin(["missione", "programma", "macroaggregato"])],
    }
    return {n: pa.Column(types[n], nullable=False, checks=checks.get(n, [])) for n in names}


def _share(nullable: bool = True) -> pa.Column:
    return pa.Column(pl.Float64, nullable=nullable, checks=[pa.Check.in_range(0, 1.000001)])


def _cents(nullable: bool = False) -> pa.Column:
    return pa.Column(pl.Int64, nullable=nullable)


def _table(name: str, key: tuple[str, ...], columns: dict[str, pa.Column]) -> pa.DataFrameSchema:
    return pa.DataFrameSchema({**_key(*key), **columns}, name=name, unique=list(key), strict=False, coerce=False)


MATRIX = {
    "total_cents": _cents(),
    "transfer_share": _share(),
    "operating_share": _share(),
    "capital_share": _share(),
    "authority": _share(),
    "quadrant": pa.Column(pl.String, nullable=True, checks=[pa.Check.isin(QUADRANTS)]),
    "borderline": pa.Column(pl.Boolean, nullable=True),
    "direct_cents": _cents(),
    "full_cents": _cents(),
    "cost_basis": pa.Column(pl.String, checks=[pa.Check.isin(["direct", "full"])]),
    "revenue_cents": pa.Column(pl.Int64, nullable=True, checks=[pa.Check.ge(0)]),
    "cost_recovery": pa.Column(pl.Float64, nullable=True, checks=[pa.Check.ge(0)]),
}


@dataclass(frozen=True)
class Table:
    schema: pa.DataFrameSchema
    blocking: bool = True  # wrong data here would mislead the next stage
    keys: tuple[str, ...] = field(default=("body", "year"))  # how the asset's partitions select its rows


TABLES: dict[str, Table] = {
    "budget_lines": Table(BudgetLines.to_schema()),
    "revenue_lines": Table(RevenueLines.to_schema()),
    "function_metrics": Table(
        _table(
            "function_metrics",
            ("body", "year", "phase", "function"),
            {
                "total_cents": _cents(),
                "transfer_share": _share(),
                "operating_share": _share(),
                "financial_share": _share(),
                "excluded_share": _share(),
                "rigid_share": _share(),
                "capital_share": _share(),
                "staff_share": _share(),
                "per_capita_eur": pa.Column(pl.Float64, nullable=True, checks=[pa.Check.ge(-1e6)]),
            },
        )
    ),
    "body_metrics": Table(
        _table(
            "body_metrics",
            ("body", "year", "phase"),
            {
                "total_cents": _cents(),
                "rigidity_share": _share(),
                "staff_share": _share(),
                "debt_service_share": _share(),
                "transfer_share": _share(),
                "population": pa.Column(pl.Int64, nullable=True, checks=[pa.Check.gt(0)]),
            },
        )
    ),
    "execution_indicators": Table(
        _table(
            "execution_indicators",
            ("body", "year", "phase", "detail", "code", "indicator"),
            {
                "value": pa.Column(pl.Float64, nullable=True, checks=[pa.Check.ge(0)]),
                "numerator_cents": _cents(),
                "denominator_cents": _cents(),
                "missing": pa.Column(pl.String, nullable=True),
            },
        ),
        blocking=False,
    ),
    "authority_scores": Table(
        _table(
            "authority_scores",
            ("body", "year", "programma"),
            {
                "authority": _share(),
                "status": pa.Column(
                    pl.String,
                    checks=[
                        pa.Check.isin(["retained", "delegated", "transferred", "non_fundamental", "not_applicable"])
                    ],
                ),
                **{a: pa.Column(pl.Int8, nullable=True, checks=[pa.Check.in_range(0, 3)]) for a in ATTRIBUTES},
            },
        )
    ),
    "ruffini_matrix": Table(_table("ruffini_matrix", ("body", "year", "phase", "function"), MATRIX)),
    "matrix_sensitivity": Table(
        _table(
            "matrix_sensitivity",
            ("body", "year", "phase", "function", "axis", "step"),
            {"quadrant_after": pa.Column(pl.String, nullable=True, checks=[pa.Check.isin(QUADRANTS)])},
        ),
        blocking=False,
    ),
    "matrix_movement": Table(
        _table(
            "matrix_movement",
            ("body", "year", "phase", "function"),
            {"quadrant_now": pa.Column(pl.String, nullable=True, checks=[pa.Check.isin(QUADRANTS)])},
        ),
        blocking=False,
    ),
    "mission_movement": Table(
        _table(
            "mission_movement",
            ("body", "year", "phase", "function"),
            {
                "spending_cents": _cents(nullable=True),
                "spending_before_cents": _cents(nullable=True),
                "transfer_share": _share(),
                "transfer_before": _share(),
            },
        ),
        blocking=False,
    ),
    "peer_benchmarks": Table(
        _table(
            "peer_benchmarks",
            ("body", "year", "phase", "function"),
            {"peers": pa.Column(pl.UInt32, nullable=True), "outlier": pa.Column(pl.Boolean, nullable=True)},
        ),
        keys=("year",),
    ),
    "national_overview": Table(
        _table(
            "national_overview",
            ("body", "year", "phase", "quadrant"),
            {"total_cents": _cents(), "share": _share(nullable=False)},
        ),
        keys=("year",),
    ),
    "portfolio": Table(
        _table(
            "portfolio",
            ("body", "year", "phase", "function"),
            {
                **MATRIX,
                "score": pa.Column(pl.Float64, nullable=True, checks=[pa.Check.in_range(0, 100)]),
                "tier": pa.Column(pl.Int8, nullable=True, checks=[pa.Check.isin([1, 2, 3, 4])]),
                "rank": pa.Column(pl.Int32, nullable=True, checks=[pa.Check.ge(1)]),
            },
        )
    ),
    "plans": Table(
        _table(
            "plans",
            ("body", "year", "phase", "function"),
            {
                "tier": pa.Column(pl.Int8, nullable=True, checks=[pa.Check.isin([1, 2, 3, 4])]),
                "effect_low_cents": pa.Column(pl.Int64, nullable=True),
                "effect_high_cents": pa.Column(pl.Int64, nullable=True),
            },
        )
    ),
    "plan_projection": Table(
        _table(
            "plan_projection",
            ("body", "year", "phase", "function", "step"),
            {"baseline_cents": _cents(), "with_plan_cents": _cents()},
        )
    ),
    "plan_kpis": Table(_table("plan_kpis", ("body", "year", "function", "kpi"), {}), blocking=False),
    "scenario_comparison": Table(
        _table(
            "scenario_comparison", ("body", "year", "phase", "projected_year", "scenario"), {"total_cents": _cents()}
        ),
        keys=("year",),
        blocking=False,
    ),
    "scenario_functions": Table(
        _table(
            "scenario_functions",
            ("body", "year", "phase", "scenario", "function", "projected_year"),
            {"baseline_cents": _cents(), "with_plan_cents": _cents(), "in_plan": pa.Column(pl.Boolean)},
        ),
        keys=("year",),
        blocking=False,
    ),
    "scenario_parameters": Table(
        _table("scenario_parameters", ("scenario",), {"parameters": pa.Column(pl.String)}), keys=(), blocking=False
    ),
    "peer_groups": Table(
        _table(
            "peer_groups",
            ("body", "year", "phase", "peer"),
            {
                "band": pa.Column(pl.Float64, nullable=True),
                "rule": pa.Column(pl.String, checks=[pa.Check.isin(PEER_RULES)]),
            },
        ),
        keys=("year",),
        blocking=False,
    ),
    "confirmed_outliers": Table(
        _table(
            "confirmed_outliers",
            ("body", "function"),
            {
                "reason": pa.Column(pl.String, checks=[pa.Check.str_length(min_value=1)]),
                "confirmed_at": pa.Column(pl.String, nullable=True),
            },
        ),
        keys=(),
        blocking=False,
    ),
    "indicator_peers": Table(
        _table(
            "indicator_peers",
            ("body", "year", "phase", "detail", "code", "indicator"),
            {
                "peers": pa.Column(pl.UInt32, checks=[pa.Check.gt(0)]),
                "peers_below": pa.Column(pl.UInt32),
                **{
                    c: pa.Column(pl.Float64, nullable=True, checks=[pa.Check.ge(0)])
                    for c in ("value", "peer_min", "peer_q1", "peer_median", "peer_q3", "peer_max")
                },
            },
        ),
        keys=("year",),
        blocking=False,
    ),
    "bdap_reconciliation": Table(
        _table(
            "bdap_reconciliation",
            ("body", "year", "phase", "amount_kind", "level", "code"),
            {
                "own_cents": _cents(),
                "bdap_cents": _cents(),
                "difference_cents": _cents(),
                "allowed_cents": pa.Column(pl.Int64, checks=[pa.Check.ge(0)]),
                "within_tolerance": pa.Column(pl.Boolean),
            },
        ),
        blocking=False,
    ),
    "coassessment": Table(
        _table(
            "coassessment",
            ("body", "year", "function", "respondent_type"),
            {
                **{
                    f"mean_{s}": pa.Column(pl.Float64, nullable=True, checks=[pa.Check.in_range(1, 5)])
                    for s in ("quality", "accessibility", "willingness")
                },
                "n_quality": pa.Column(pl.UInt32),
            },
        ),
        blocking=False,
    ),
    "stage_parameters": Table(
        _table("stage_parameters", ("asset", "body", "year"), {"parameters": pa.Column(pl.String)}), blocking=False
    ),
    "run_manifests": Table(
        _table(
            "run_manifests",
            ("run_id", "asset"),
            {"manifest_id": pa.Column(pl.String, checks=[pa.Check.str_length(16, 16)])},
        ),
        keys=(),
        blocking=False,
    ),
    "portfolio_sensitivity": Table(
        _table(
            "portfolio_sensitivity",
            ("body", "year", "phase", "function", "weight", "factor"),
            {"tier_after": pa.Column(pl.Int8, nullable=True, checks=[pa.Check.isin([1, 2, 3, 4])])},
        ),
        blocking=False,
    ),
}


def check_specs(asset: str, tables: list[str]) -> list[dg.AssetCheckSpec]:
    """One check per table the asset writes, named ``schema_<table>``."""
    return [
        dg.AssetCheckSpec(
            f"schema_{t}",
            asset=asset,
            blocking=TABLES[t].blocking,
            description=f"core.{t} against its pandera schema" + (" (blocking)" if TABLES[t].blocking else ""),
        )
        for t in tables
    ]


def validate(frame: pl.DataFrame, table: str) -> list[dict]:
    """Failure cases (at most 20) of ``frame`` against the table's schema; empty when it passes."""
    if frame.is_empty():
        return []
    try:
        TABLES[table].schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return cases.head(20).to_dicts() if hasattr(cases, "head") else [{"error": str(exc)[:2000]}]
    return []


def check_results(con, tables: list[str], keys: pl.DataFrame):
    """The rows each table holds for the partitions just written, checked; one AssetCheckResult per table."""
    for table in tables:
        columns = list(TABLES[table].keys)
        frame = (
            warehouse.read_table(con, table, keys.select(columns).unique())
            if columns
            else warehouse.read_table(con, table)
        )
        failures = validate(frame, table)
        yield dg.AssetCheckResult(
            check_name=f"schema_{table}",
            passed=not failures,
            metadata={"failure_cases": dg.MetadataValue.json(failures)},
        )
