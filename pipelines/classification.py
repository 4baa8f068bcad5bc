"""Glue for the classification: catalogues in, classified tables out.

The logic is in ``transforms/`` (metrics, authority, classify). ``run_classification`` assembles it in
memory from budget lines (tests, scenarios from lines); the pipeline's assets store the same tables,
and ``stored_classification`` reads them back for the command line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sources.catalogues import (
    authority_catalogue,
    body_statuses,
    classification_config,
    mission_level,
    quadrants,
    spending_classes,
    whole_t12_missions,
)
from sources.reference import bodies
from transforms.authority import authority_table, empty_overrides, mission_authority
from transforms.classify import classify, movement, place, threshold_sensitivity
from transforms.full_cost import with_cost_basis
from transforms.metrics import body_metrics, function_metrics
from warehouse import store as warehouse


@dataclass
class Classification:
    functions: pl.DataFrame  # one row per body, year, phase, function
    bodies: pl.DataFrame  # body-level figures (rigidity)
    sensitivity: pl.DataFrame  # functions that change quadrant when a threshold moves
    movement: pl.DataFrame  # quadrant last year and this year
    parameters: dict


def _body_inputs() -> tuple[pl.DataFrame, pl.DataFrame]:
    table = bodies()
    population = table.select(pl.col("istat_code").alias("body"), pl.col("population_census2011").alias("population"))
    kinds = table.select(pl.col("istat_code").alias("body"), (pl.col("uts_type_code") == "3").alias("metro"))
    return population, kinds


def run_classification(
    lines: pl.DataFrame, overrides: pl.DataFrame | None = None, config: dict | None = None
) -> Classification:
    config = config or classification_config()
    population, kinds = _body_inputs()
    present = kinds.join(lines.select("body").unique(), on="body", how="semi")
    authority = authority_table(
        authority_catalogue(),
        present,
        overrides if overrides is not None else empty_overrides(),
        config["authority_weights"],
        config["direct_delivery_weight"],
        body_statuses(),
        config["strongest_power_weight"],
    )
    metrics = function_metrics(lines, spending_classes(), population, config["amount_basis"])
    totals = body_metrics(lines, spending_classes(), population, config["amount_basis"], whole_t12_missions())
    placed = with_cost_basis(
        place(metrics, authority, mission_authority(authority), totals, config, mission_level()),
        config["cost_basis"],
        config["full_cost_driver"],
    )
    thresholds, margin = config["thresholds"], config["borderline_margin"]
    classified = classify(placed, quadrants(), thresholds["spending"], thresholds["authority"], margin)
    sensitivity = threshold_sensitivity(
        placed, quadrants(), thresholds["spending"], thresholds["authority"], margin, config["sensitivity_steps"]
    )
    return Classification(classified, totals, sensitivity, movement(classified), config)


FUNCTION_COLUMNS = [
    "body",
    "year",
    "phase",
    "function",
    "name",
    "coarse",
    "status",
    "status_source",
    "kind",
    "cost_basis",
    "direct_cents",
    "support_allocated_cents",
    "full_cents",
    "total_cents",
    "per_capita_eur",
    "transfer_share",
    "operating_share",
    "financial_share",
    "excluded_share",
    "rigid_share",
    "capital_share",
    "permits",
    "controls",
    "binding_plans",
    "allocation",
    "legal_mandate",
    "direct_delivery",
    "authority",
    "quadrant",
    "service_type_it",
    "service_type_en",
    "governance_it",
    "governance_en",
    "distance_spending",
    "distance_authority",
    "borderline",
    "not_classified",
    "explanation_it",
    "explanation_en",
    "override_note",
    "justification",
    "revenue_cents",
    "cost_recovery",
    "revenue_sources",
]


def stored_classification(
    con, keys: pl.DataFrame, phase: str | None = None, parameters: dict | None = None
) -> Classification:
    """What the assets wrote for ``keys`` (and ``phase``): the matrix, body figures, sensitivity and movement."""

    def read(table: str) -> pl.DataFrame:
        frame = warehouse.read_table(con, table, keys)
        return frame.filter(pl.col("phase") == phase) if phase and "phase" in frame.columns and frame.height else frame

    return Classification(
        read("ruffini_matrix"),
        read("body_metrics"),
        read("matrix_sensitivity"),
        read("matrix_movement"),
        parameters or classification_config(),
    )


def write_outputs(result: Classification, directory, manifest_id: str | None = None) -> dict[str, str]:
    """CSV files a planner can open, and the parameters used, in ``directory``; each CSV names ``manifest_id`` (a column)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    columns = [c for c in FUNCTION_COLUMNS if c in result.functions.columns]
    paths = {
        "functions": directory / "functions.csv",
        "bodies": directory / "bodies.csv",
        "sensitivity": directory / "sensitivity.csv",
        "movement": directory / "movement.csv",
        "parameters": directory / "parameters.json",
    }

    def named(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(manifest=pl.lit(manifest_id, pl.String)) if manifest_id else frame

    named(result.functions.select(columns)).write_csv(paths["functions"])
    named(result.bodies).write_csv(paths["bodies"])
    named(result.sensitivity).write_csv(paths["sensitivity"])
    named(result.movement).write_csv(paths["movement"])
    paths["parameters"].write_text(json.dumps(result.parameters, indent=2, ensure_ascii=False), encoding="utf-8")
    return {k: str(v) for k, v in paths.items()}
