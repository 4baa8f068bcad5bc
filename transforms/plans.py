"""Restructuring plans for the priority functions (pure polars and plain Python on a few rows).

Every element is traced to the data or to a written rule: the Bovaird-grid position today comes from
the function's quadrant (``data/plans/quadrant_plans.csv``), the target and the co-production forms
from its field (``data/strategy/fields.csv``), the
response logics from rules on its spending structure (``response_rules.yaml``), the expected
effect from the function's own amounts times editable ranges (``effects.csv``), the KPIs'
baselines from its metrics (``kpis.csv``).
"""

from __future__ import annotations

import polars as pl

from transforms.portfolio import condition


def response_logics(frame: pl.DataFrame, rules: list[dict], lang: str = "it") -> pl.DataFrame:
    """``logics`` (ordered, no repeats) and ``logic_reasons`` for each function."""
    empty = pl.lit([], dtype=pl.List(pl.String))
    logics, because = [], []
    for rule in rules:
        holds = pl.all_horizontal([condition(c, spec) for c, spec in rule["when"].items()])
        logics.append(pl.when(holds).then(pl.lit(rule["logics"], dtype=pl.List(pl.String))).otherwise(empty))
        because.append(pl.when(holds).then(pl.lit(rule[f"because_{lang}"])))
    return frame.with_columns(
        logics=pl.concat_list(logics).list.unique(maintain_order=True),
        logic_reasons=pl.concat_list(because).list.drop_nulls().list.join("; "),
    )


def expected_effect(frame: pl.DataFrame, effects: pl.DataFrame) -> pl.DataFrame:
    """``effect_low_cents``/``effect_high_cents`` a year at full adoption: Σ over the plan's logics of base × range."""
    low = pl.lit(0.0)
    high = pl.lit(0.0)
    for row in effects.iter_rows(named=True):
        chosen = pl.col("logics").list.contains(row["logic"])
        base = pl.col(row["base"]).cast(pl.Float64).fill_null(0)
        low = low + pl.when(chosen).then(base * float(row["low"])).otherwise(0.0)
        high = high + pl.when(chosen).then(base * float(row["high"])).otherwise(0.0)
    return frame.with_columns(
        effect_low_cents=low.round(0).cast(pl.Int64), effect_high_cents=high.round(0).cast(pl.Int64)
    )


def kick_start(frame: pl.DataFrame, share: float, min_eur: float, max_eur: float) -> pl.DataFrame:
    return frame.with_columns(
        kick_start_cents=(pl.col("total_cents") * share).clip(min_eur * 100, max_eur * 100).round(0).cast(pl.Int64)
    )


def detail_first(frame: pl.DataFrame) -> pl.DataFrame:
    """A function given only as a mission total (``coarse``) gets no euro effect and no kick-start: empty, to be
    estimated once the body has programme detail (a mission adds programmes that need different plans)."""
    if "coarse" not in frame.columns:
        return frame
    keep = ~pl.col("coarse").fill_null(False)
    return frame.with_columns(
        pl.when(keep).then(pl.col(c)).alias(c) for c in ("effect_low_cents", "effect_high_cents", "kick_start_cents")
    )


def positions(
    frame: pl.DataFrame, quadrant_plans: pl.DataFrame, grid: pl.DataFrame, fields: pl.DataFrame, lang: str = "it"
) -> pl.DataFrame:
    """Current cell of Bovaird's planners × deliverers grid (from the quadrant) and target cell (from the field)."""
    label = f"label_{lang}"
    current = grid.select(
        pl.col("planners").alias("current_planners"),
        pl.col("deliverers").alias("current_deliverers"),
        pl.col(label).alias("current_position"),
    )
    target = grid.select(
        pl.col("planners").alias("target_planners"),
        pl.col("deliverers").alias("target_deliverers"),
        pl.col(label).alias("target_position"),
    )
    return (
        frame.join(quadrant_plans, on="quadrant", how="left")
        .join(fields.select("field", "target_planners", "target_deliverers"), on="field", how="left")
        .join(current, on=["current_planners", "current_deliverers"], how="left")
        .join(target, on=["target_planners", "target_deliverers"], how="left")
    )


def projection(frame: pl.DataFrame, adoption: list[float], years: int = 3) -> pl.DataFrame:
    """Spending over the next ``years`` years: baseline (current trend) and with the plan (mid effect × adoption)."""
    rows = []
    for step in range(years + 1):
        grown = pl.col("total_cents") * (1 + pl.col("growth").fill_null(0)) ** step
        saving = (
            (pl.col("effect_low_cents") + pl.col("effect_high_cents")).fill_null(0)
            / 2
            * adoption[min(step, len(adoption) - 1)]
        )
        rows.append(
            frame.select(
                "body",
                "year",
                "phase",
                "function",
                pl.lit(step).alias("step"),
                (pl.col("year") + step).alias("projected_year"),
                grown.round(0).cast(pl.Int64).alias("baseline_cents"),
                (grown - saving).round(0).cast(pl.Int64).alias("with_plan_cents"),
            )
        )
    return pl.concat(rows).sort("body", "function", "step")
