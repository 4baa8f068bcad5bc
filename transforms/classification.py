"""The classification assembled (pure): authority scores, the placed functions on their cost basis, the quadrants,
their sensitivity to the thresholds, the movement between years, and the national overview of a year.

The pieces are ``transforms.metrics``, ``transforms.authority``, ``transforms.classify`` and ``transforms.full_cost``;
the stages (``pipelines.stages``) and the in-memory classification of lines (``classify_lines``) put them together
the same way. The catalogues (``sources.catalogues``) and the parameters come in as arguments.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import polars as pl

from transforms import missions
from transforms.authority import authority_table, empty_overrides, mission_authority
from transforms.classify import classify, movement, place, threshold_sensitivity
from transforms.full_cost import with_cost_basis
from transforms.metrics import body_metrics, function_metrics


@dataclass
class Classification:
    functions: pl.DataFrame  # one row per body, year, phase, function
    bodies: pl.DataFrame  # body-level figures (rigidity)
    sensitivity: pl.DataFrame  # functions that change quadrant when a threshold moves
    movement: pl.DataFrame  # quadrant last year and this year
    parameters: dict


def with_thresholds(
    config: dict,
    spending_threshold: float | None = None,
    authority_threshold: float | None = None,
    cost_basis: str | None = None,
) -> dict:
    """The classification parameters with the thresholds and cost basis a command line (run configuration) gives."""
    config = copy.deepcopy(config)
    if spending_threshold is not None:
        config["thresholds"]["spending"] = spending_threshold
    if authority_threshold is not None:
        config["thresholds"]["authority"] = authority_threshold
    if cost_basis is not None:
        config["cost_basis"] = cost_basis
    return config


def authority_scores(
    catalogue: pl.DataFrame, present: pl.DataFrame, overrides: pl.DataFrame, statuses: pl.DataFrame, config: dict
) -> pl.DataFrame:
    """One row per body of ``present`` (``body``, ``metro``) and programme: the authority catalogue with the body's
    statuses and overrides, weighted as ``config`` says."""
    return authority_table(
        catalogue,
        present,
        overrides,
        config["authority_weights"],
        config["direct_delivery_weight"],
        statuses,
        config["strongest_power_weight"],
    )


def placed(
    metrics: pl.DataFrame, authority: pl.DataFrame, totals: pl.DataFrame, config: dict, mission_level: pl.DataFrame
) -> pl.DataFrame:
    """Every function with its authority, whether it can be classified, on the cost basis of ``config``."""
    return with_cost_basis(
        place(metrics, authority, mission_authority(authority), totals, config, mission_level),
        config["cost_basis"],
        config["full_cost_driver"],
    )


def classified(functions: pl.DataFrame, quadrants: pl.DataFrame, config: dict) -> pl.DataFrame:
    """The quadrant of every placed function, at the thresholds of ``config``."""
    thresholds = config["thresholds"]
    return classify(functions, quadrants, thresholds["spending"], thresholds["authority"], config["borderline_margin"])


def sensitivity(functions: pl.DataFrame, quadrants: pl.DataFrame, config: dict) -> pl.DataFrame:
    """The placed functions that change quadrant when a threshold moves by the steps of ``config``."""
    thresholds = config["thresholds"]
    return threshold_sensitivity(
        functions,
        quadrants,
        thresholds["spending"],
        thresholds["authority"],
        config["borderline_margin"],
        config["sensitivity_steps"],
    )


def movements(stored: pl.DataFrame, matrix: pl.DataFrame, keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """How the functions of ``keys`` (body, year) moved since their previous year, from the ``stored`` matrix of their
    bodies and the new ``matrix``: quadrant by quadrant, and mission by mission (a year with mission totals only is
    compared by mission)."""
    key = ["body", "year"]
    history = (
        pl.concat([stored.join(keys, on=key, how="anti"), matrix], how="diagonal_relaxed") if stored.height else matrix
    )
    return movement(history).join(keys, on=key, how="semi"), missions.movement(history).join(keys, on=key, how="semi")


def classify_lines(
    lines: pl.DataFrame,
    config: dict,
    *,
    authority_catalogue: pl.DataFrame,
    body_statuses: pl.DataFrame,
    spending_classes: pl.DataFrame,
    whole_t12_missions: list[str],
    mission_level: pl.DataFrame,
    quadrants: pl.DataFrame,
    bodies: pl.DataFrame,
    overrides: pl.DataFrame | None = None,
) -> Classification:
    """The whole classification in memory from budget lines (tests, scenarios from lines). ``bodies``: ``body``,
    ``metro`` and ``population`` of every body."""
    population = bodies.select("body", "population")
    present = bodies.select("body", "metro").join(lines.select("body").unique(), on="body", how="semi")
    authority = authority_scores(
        authority_catalogue, present, overrides if overrides is not None else empty_overrides(), body_statuses, config
    )
    metrics = function_metrics(lines, spending_classes, population, config["amount_basis"])
    totals = body_metrics(lines, spending_classes, population, config["amount_basis"], whole_t12_missions)
    functions = placed(metrics, authority, totals, config, mission_level)
    result = classified(functions, quadrants, config)
    return Classification(result, totals, sensitivity(functions, quadrants, config), movement(result), config)


def overview(matrix: pl.DataFrame, years: list[int]) -> pl.DataFrame:
    """Per year: how each body's spending on service lines splits by quadrant, and at which detail (``coarse``: mission
    totals only, not comparable programme by programme). Technical functions (funds, debt, advances, clearing items)
    are left out at every detail: they are not spending on a service."""
    matrix = matrix.filter(pl.col("year").is_in(years), pl.col("kind").fill_null("") != "technical")
    return (
        matrix.with_columns(
            quadrant=pl.col("quadrant").fill_null("non_classificata"),
            coarse=pl.col("coarse").fill_null(False).all().over("body", "year", "phase"),
        )
        .group_by("body", "year", "phase", "quadrant", "coarse")
        .agg(total_cents=pl.col("total_cents").sum())
        .with_columns(share=pl.col("total_cents") / pl.col("total_cents").sum().over("body", "year", "phase"))
        .sort("year", "body", "phase", "quadrant")
    )
