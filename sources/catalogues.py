"""The classification catalogues the product ships (``data/classification``), loaded once.

Analysts read and edit these files; ``docs/CLASSIFICATION.md`` explains every default.
"""

from __future__ import annotations

from functools import cache

import polars as pl
import yaml

from sources.reference import DATA_DIR, bodies, missions

CLASSIFICATION_DIR = DATA_DIR / "classification"
from transforms.authority import ATTRIBUTES


@cache
def classification_config() -> dict:
    return yaml.safe_load((CLASSIFICATION_DIR / "classification.yaml").read_text(encoding="utf-8"))


@cache
def spending_classes() -> pl.DataFrame:
    return pl.read_csv(CLASSIFICATION_DIR / "spending_classes.csv", infer_schema=False).with_columns(
        pl.col("rigid") == "true", pl.col("capital") == "true"
    )


@cache
def authority_catalogue() -> pl.DataFrame:
    return pl.read_csv(CLASSIFICATION_DIR / "authority_catalogue.csv", infer_schema=False).with_columns(
        pl.col(list(ATTRIBUTES)).cast(pl.Int8)
    )


@cache
def flag_rules() -> list[dict]:
    """The PBB-like flags: code, Italian and English words, conditions (``data/portfolio/rules.yaml``)."""
    return yaml.safe_load((DATA_DIR / "portfolio" / "rules.yaml").read_text(encoding="utf-8"))


def flag_labels(lang: str = "it") -> dict[str, str]:
    return {rule["code"]: rule[lang] for rule in flag_rules()}


@cache
def statuses() -> pl.DataFrame:
    """Legal statuses: labels, the chart's mark, and the kind of plan (development or hand-over)."""
    return pl.read_csv(CLASSIFICATION_DIR / "statuses.csv", infer_schema=False)


def status_plans() -> dict[str, str]:
    """Status → kind of plan (``development``, ``handover``, ``none``)."""
    return dict(zip(statuses()["status"], statuses()["plan"]))


def status_labels(lang: str = "it") -> dict[str, str]:
    return dict(zip(statuses()["status"], statuses()[f"label_{lang}"]))


@cache
def body_statuses() -> pl.DataFrame:
    """Statuses that differ from the catalogue's by body: named bodies first (``status_by_body.csv``: c. 86, the
    mountain border provinces), then the Region's reallocation law (``status_by_region.csv``: a row for one body, for
    the body's type, or for all the Region's bodies, the most specific winning). Columns: body, programma, status,
    status_source."""
    named = pl.read_csv(CLASSIFICATION_DIR / "status_by_body.csv", infer_schema=False).with_columns(_rank=pl.lit(0))
    regional = pl.read_csv(CLASSIFICATION_DIR / "status_by_region.csv", infer_schema=False)
    every = bodies().select(
        pl.col("istat_code").alias("body"),
        "region",
        pl.when(pl.col("uts_type_code") == "3")
        .then(pl.lit("citta_metropolitana"))
        .otherwise(pl.lit("provincia"))
        .alias("type"),
    )
    kind = pl.col("body_type")
    expanded = (
        regional.join(every, on="region")
        .filter((kind == "all") | (kind == pl.col("type")) | (kind == pl.col("body")))
        .with_columns(_rank=pl.when(kind == pl.col("body")).then(1).when(kind == pl.col("type")).then(2).otherwise(3))
    )
    columns = ["body", "programma", "status", "status_source", "_rank"]
    return (
        pl.concat([named.select(columns), expanded.select(columns)])
        .sort("_rank")
        .unique(["body", "programma"], keep="first", maintain_order=True)
        .drop("_rank")
    )


@cache
def quadrants() -> pl.DataFrame:
    """The four quadrants (``quadrants.csv``): where each sits (``authority``, ``spending``) and its names, the one
    place that names a quadrant (``service_type_it``/``_en``, ``governance_it``/``_en``)."""
    return pl.read_csv(CLASSIFICATION_DIR / "quadrants.csv", infer_schema=False)


def quadrant_names(lang: str) -> dict[str, str]:
    """Quadrant key → its service type in words ("servizi indiretti"), for every table, chart, document and command."""
    return dict(zip(quadrants()["quadrant"], quadrants()[f"service_type_{lang}"]))


def governance_names(lang: str) -> dict[str, str]:
    """Quadrant key → the governance mode the method recommends ("esternalizzazione / network / coprogettazione")."""
    return dict(zip(quadrants()["quadrant"], quadrants()[f"governance_{lang}"]))


@cache
def mission_level() -> pl.DataFrame:
    """How a mission given only as a total is treated (``data/classification/mission_level.csv``), with its name:
    ``code``, ``name``, ``kind`` (``service``: classified and marked "dettaglio per missione"; ``support``,
    ``technical``: never classified, with ``reason_it``/``reason_en``), ``titles_1_2`` (``all``, ``part``, ``none``: how
    much of the mission the scheme puts on titles 1 and 2) and the row's ``source``."""
    table = pl.read_csv(CLASSIFICATION_DIR / "mission_level.csv", infer_schema=False).rename({"missione": "code"})
    return table.join(missions().select("code", "name"), on="code", how="left").select(
        "code", "name", *table.columns[1:]
    )


def whole_t12_missions() -> list[str]:
    """Missions the scheme puts wholly on titles 1 and 2: a mission total without a title counts in the body's
    spending."""
    return mission_level().filter(pl.col("titles_1_2") == "all")["code"].to_list()


@cache
def indicator_catalogue() -> pl.DataFrame:
    """Execution indicators (``indicators/execution.csv``): each a ratio of amount kinds, with its reference and
    source."""
    return pl.read_csv(DATA_DIR / "indicators" / "execution.csv", infer_schema=False)
