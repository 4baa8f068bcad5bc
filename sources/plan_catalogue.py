"""The plan catalogues (``data/plans``, ``data/strategy``), loaded once; every row carries its source.

``plan_catalogue()`` gathers them, with the statuses, the flags' words and the code lists a plan cites, into the one
value the plans are built from (``transforms.plan_catalogue.PlanCatalogue``).
"""

from __future__ import annotations

from functools import cache

import polars as pl
import yaml

from sources.catalogues import (
    authority_catalogue,
    body_statuses,
    classification_config,
    flag_rules,
    status_labels,
    status_plans,
)
from sources.labels import label
from sources.reference import DATA_DIR, bodies, fundamental_functions
from transforms.plan_catalogue import PlanCatalogue

PLANS_DIR = DATA_DIR / "plans"
STRATEGY_DIR = DATA_DIR / "strategy"


def _yaml(name: str):
    return yaml.safe_load((PLANS_DIR / name).read_text(encoding="utf-8"))


@cache
def plan_config() -> dict:
    """Tiers planned, adoption over the years, kick-start resources (``plans.yaml``)."""
    return _yaml("plans.yaml")


@cache
def plan_csv(name: str) -> pl.DataFrame:
    """A table of ``data/plans``, every value text."""
    return pl.read_csv(PLANS_DIR / name, infer_schema=False)


@cache
def strategy_csv(name: str) -> pl.DataFrame:
    """A table of ``data/strategy`` (fields, actors, delivery modes), every value text."""
    return pl.read_csv(STRATEGY_DIR / name, infer_schema=False)


@cache
def consistency() -> dict:
    """Pass-through functions and the flags that never go together (``consistency.yaml``)."""
    return _yaml("consistency.yaml")


def field_catalogue() -> pl.DataFrame:
    return strategy_csv("fields.csv")


def labelled_modes(lang: str = "it") -> pl.DataFrame:
    """Delivery modes per field with the mode's name in words (never the internal key)."""
    names = strategy_csv("modes.csv")
    return (
        strategy_csv("delivery_modes.csv")
        .join(names.select("mode", pl.col(f"label_{lang}").alias("_label")), on="mode", how="left")
        .with_columns(mode=pl.col("_label"))
        .drop("_label")
    )


@cache
def plan_catalogue() -> PlanCatalogue:
    """Every catalogue a plan is built from, as one value (what it says of a body is kept inside, once computed)."""
    return PlanCatalogue(
        config=plan_config(),
        tables={p.name: plan_csv(p.name) for p in sorted(PLANS_DIR.glob("*.csv"))},
        strategy={p.name: strategy_csv(p.name) for p in sorted(STRATEGY_DIR.glob("*.csv"))},
        templates={p.name: p.read_text(encoding="utf-8") for p in sorted(PLANS_DIR.glob("*.txt"))},
        mission_words=_yaml("mission_level.yaml"),
        response_rules=_yaml("response_rules.yaml"),
        consistency=consistency(),
        status_plans=status_plans(),
        status_labels={lang: status_labels(lang) for lang in ("it", "en")},
        flag_rules=flag_rules(),
        full_cost_driver=classification_config()["full_cost_driver"],
        mission_effect=label("mission_effect", "it"),
        authority=authority_catalogue(),
        body_statuses=body_statuses(),
        bodies=bodies(),
        fundamental_functions=fundamental_functions(),
    )
