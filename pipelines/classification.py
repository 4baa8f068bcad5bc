"""The classification of lines in memory, the stored one read back, and its CSV files.

The assembly is ``transforms.classification``: ``run_classification`` gives it the catalogues (tests, scenarios from
lines); the pipeline's assets store the same tables, ``stored_classification`` reads them back for the command line
and ``write_outputs`` writes them for a planner.
"""

from __future__ import annotations

import json
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
from sources.portfolio_catalogue import body_table
from transforms.classification import Classification, classify_lines
from warehouse import store as warehouse


def run_classification(
    lines: pl.DataFrame, overrides: pl.DataFrame | None = None, config: dict | None = None
) -> Classification:
    """``transforms.classification.classify_lines`` with the catalogues the product ships."""
    return classify_lines(
        lines,
        config or classification_config(),
        authority_catalogue=authority_catalogue(),
        body_statuses=body_statuses(),
        spending_classes=spending_classes(),
        whole_t12_missions=whole_t12_missions(),
        mission_level=mission_level(),
        quadrants=quadrants(),
        bodies=body_table(),
        overrides=overrides,
    )


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
    """CSV files a planner can open, and the parameters used, in ``directory``; each CSV names ``manifest_id`` (a
    column)."""
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
