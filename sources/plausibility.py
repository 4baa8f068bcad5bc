"""Do the amounts fit the body the file was uploaded for? (data/plausibility.yaml)

An open-format export names no body: the body comes from the upload. A municipality's file
loaded as its metropolitan city, or a file in thousands of euro, passes every structural check;
spending per inhabitant far from what is typical for the body's type gives it away. The
finding is a warning shown before loading, never a refusal.
"""

from __future__ import annotations

from functools import cache

import polars as pl
import yaml

from sources.findings import Finding
from sources.reference import DATA_DIR, bodies
from transforms.amounts import format_euro


@cache
def rules() -> dict:
    return yaml.safe_load((DATA_DIR / "plausibility.yaml").read_text(encoding="utf-8"))


def spending_per_inhabitant(lines: pl.DataFrame) -> pl.DataFrame:
    """body, year, phase, euro per inhabitant on the phase's basis amount (titles of the rules)."""
    spec = rules()
    basis = pl.col("phase").replace_strict(spec["basis"], default=None, return_dtype=pl.String)
    info = bodies().select(pl.col("istat_code").alias("body"), "population_census2011", "uts_type_code", "ente_denominazione")
    return (
        lines.filter(pl.col("amount_kind") == basis, pl.col("titolo").is_in(spec["titles"]))
        .group_by("body", "year", "phase").agg(cents=pl.col("amount_cents").sum())
        .join(info, on="body", how="left")
        .with_columns(per_inhabitant=pl.col("cents") / 100 / pl.col("population_census2011"))
    )


def check_body_amounts(lines: pl.DataFrame, file_name: str) -> list[Finding]:
    spec = rules()
    findings = []
    for row in spending_per_inhabitant(lines).iter_rows(named=True):
        typical = spec["typical_per_inhabitant"].get(row["uts_type_code"])
        if not typical or not row["per_inhabitant"]:
            continue
        ratio = row["per_inhabitant"] / typical
        if (spec["warn_below_ratio"] or 0) <= ratio <= spec["warn_above_ratio"]:
            continue
        findings.append(Finding("BODY_AMOUNTS_IMPLAUSIBLE", file=file_name, params={
            "body_name": row["ente_denominazione"],
            "per_capita": format_euro(round(row["per_inhabitant"] * 100)),
            "ratio": f"{ratio:.1f}".replace(".", ","),
            "typical": format_euro(typical * 100),
            "body_type": _type_name(row["uts_type_code"]),  # ISTAT's own name of the type
        }))
    return findings


def _type_name(code: str) -> str:
    return dict(zip(bodies()["uts_type_code"], bodies()["uts_type"])).get(code, "")
