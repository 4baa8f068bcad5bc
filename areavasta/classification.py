"""Glue for the classification: catalogues and warehouse in, classified tables out.

The logic is in ``transforms/`` (metrics, authority, classify); this module only gathers its
inputs (lines, population, body type, overrides) and applies the configured parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from areavasta.catalogues import authority_catalogue, classification_config, quadrants, spending_classes
from areavasta.reference import bodies
from transforms.authority import authority_table, empty_overrides, mission_authority
from transforms.classify import classify, movement, place, threshold_sensitivity
from transforms.metrics import body_metrics, function_metrics


@dataclass
class Classification:
    functions: pl.DataFrame      # one row per body, year, phase, function
    bodies: pl.DataFrame         # body-level figures (rigidity)
    sensitivity: pl.DataFrame    # functions that change quadrant when a threshold moves
    movement: pl.DataFrame       # quadrant last year and this year
    parameters: dict


def _body_inputs() -> tuple[pl.DataFrame, pl.DataFrame]:
    table = bodies()
    population = table.select(pl.col("istat_code").alias("body"), pl.col("population_census2011").alias("population"))
    kinds = table.select(pl.col("istat_code").alias("body"), (pl.col("uts_type_code") == "3").alias("metro"))
    return population, kinds


def run_classification(lines: pl.DataFrame, overrides: pl.DataFrame | None = None, config: dict | None = None) -> Classification:
    config = config or classification_config()
    population, kinds = _body_inputs()
    present = kinds.join(lines.select("body").unique(), on="body", how="semi")
    authority = authority_table(
        authority_catalogue(), present, overrides if overrides is not None else empty_overrides(),
        config["authority_weights"], config["direct_delivery_weight"],
    )
    metrics = function_metrics(lines, spending_classes(), population, config["amount_basis"])
    totals = body_metrics(lines, spending_classes(), population, config["amount_basis"])
    placed = place(metrics, authority, mission_authority(authority), totals, config)
    thresholds, margin = config["thresholds"], config["borderline_margin"]
    classified = classify(placed, quadrants(), thresholds["spending"], thresholds["authority"], margin)
    sensitivity = threshold_sensitivity(placed, quadrants(), thresholds["spending"], thresholds["authority"], margin,
                                        config["sensitivity_steps"])
    return Classification(classified, totals, sensitivity, movement(classified), config)
