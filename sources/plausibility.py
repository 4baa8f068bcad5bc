"""Do the amounts fit the body the file was uploaded for, and do they fit together? (data/plausibility.yaml)

An open-format export names no body: the body comes from the upload. A municipality's file
loaded as its metropolitan city, or a file in thousands of euro, passes every structural check;
spending per inhabitant far from what is typical for the body's type gives it away. The amount
kinds of one line obey the identities of the final-accounts scheme (total payments are the
payments on the year's commitments plus those on carried-over items, …): a line that breaks one
was edited after the download (``KindRelations``). Both findings are warnings shown before
loading, never a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl
import yaml

from sources.findings import PER_RULE, Finding
from sources.reference import DATA_DIR, bodies
from sources.steps import Request
from transforms.amounts import format_euro
from transforms.relations import PART, broken_relations


@cache
def rules() -> dict:
    return yaml.safe_load((DATA_DIR / "plausibility.yaml").read_text(encoding="utf-8"))


def spending_per_inhabitant(lines: pl.DataFrame, by: tuple[str, ...] = ()) -> pl.DataFrame:
    """body, year, phase, euro per inhabitant on the phase's basis amount (titles of the rules); ``by``: more keys."""
    spec = rules()
    basis = pl.col("phase").replace_strict(spec["basis"], default=None, return_dtype=pl.String)
    info = bodies().select(
        pl.col("istat_code").alias("body"), "population_census2011", "uts_type_code", "ente_denominazione"
    )
    return (
        lines.filter(pl.col("amount_kind") == basis, pl.col("titolo").is_in(spec["titles"]))
        .group_by(*by, "body", "year", "phase")
        .agg(cents=pl.col("amount_cents").sum())
        .join(info, on="body", how="left")
        .with_columns(per_inhabitant=pl.col("cents") / 100 / pl.col("population_census2011"))
        .sort(*by, "body", "year", "phase")
    )


@dataclass
class BodyAmounts(Request):
    """A step of validation (``sources.steps``): are this file's amounts plausible for its bodies? Files run as one
    query."""

    lines: pl.DataFrame
    file_name: str

    @classmethod
    def run_many(cls, requests: list[BodyAmounts]) -> list[list[Finding]]:
        frames = [
            r.lines.select("body", "year", "phase", "titolo", "amount_kind", "amount_cents").with_columns(
                part=pl.lit(i)
            )
            for i, r in enumerate(requests)
        ]
        findings: list[list[Finding]] = [[] for _ in requests]
        for row in spending_per_inhabitant(pl.concat(frames), by=("part",)).iter_rows(named=True):
            finding = _finding(row, requests[row["part"]].file_name)
            if finding:
                findings[row["part"]].append(finding)
        return findings


def _finding(row: dict, file_name: str) -> Finding | None:
    """A warning when spending per inhabitant is outside the band around what is typical for the body's type."""
    spec = rules()
    typical = spec["typical_per_inhabitant"].get(row["uts_type_code"])
    if not typical or not row["per_inhabitant"]:
        return None
    ratio = row["per_inhabitant"] / typical
    if (spec["warn_below_ratio"] or 0) <= ratio <= spec["warn_above_ratio"]:
        return None
    return Finding(
        "BODY_AMOUNTS_IMPLAUSIBLE",
        file=file_name,
        params={
            "body_name": row["ente_denominazione"],
            "per_capita": format_euro(round(row["per_inhabitant"] * 100)),
            "ratio": f"{ratio:.1f}".replace(".", ","),
            "typical": format_euro(typical * 100),
            "body_type": _type_name(row["uts_type_code"]),  # ISTAT's own name of the type
        },
    )


def _type_name(code: str) -> str:
    return dict(zip(bodies()["uts_type_code"], bodies()["uts_type"])).get(code, "")


RELATION_KEYS = {  # what one line is, per canonical table (sources.model.TABLES)
    "budget": ["body", "year", "phase", "missione", "programma", "titolo", "macroaggregato", "capitolo"],
    "revenue": ["body", "year", "phase", "titolo", "tipologia"],
}


@dataclass
class KindRelations(Request):
    """A step of validation: the lines whose amount kinds break a relation of the scheme (warnings). Files of one table
    run as one query."""

    lines: pl.DataFrame
    file_name: str
    table: str = "budget"

    @property
    def batch_key(self) -> str:
        return self.table

    @classmethod
    def run_many(cls, requests: list[KindRelations]) -> list[list[Finding]]:
        keys = RELATION_KEYS[requests[0].table]
        columns = [*keys, "amount_kind", "amount_cents", "sheet", "cell", "source_row"]
        frame = pl.concat(
            [r.lines.select(columns).with_columns(pl.lit(i, pl.Int32).alias(PART)) for i, r in enumerate(requests)]
        )
        spec = rules()
        broken = broken_relations(frame, spec["relations"], keys, spec["relation_tolerance_cents"])
        findings: list[list[Finding]] = [[] for _ in requests]
        for (part,), group in broken.group_by(PART, maintain_order=True):
            name = requests[part].file_name
            for row in group.head(PER_RULE).iter_rows(named=True):
                findings[part].append(
                    Finding(
                        "AMOUNT_RELATION",
                        file=name,
                        sheet=row["sheet"],
                        cell=row["cell"],
                        row=row["source_row"],
                        params={
                            "relation": row["relation"],
                            "kind": row["kind"],
                            "stated": format_euro(row["stated"]),
                            "computed": format_euro(row["computed"]),
                            "difference": format_euro(row["stated"] - row["computed"]),
                        },
                    )
                )
            if group.height > PER_RULE:
                findings[part].append(Finding("FINDINGS_MORE", file=name, params={"count": group.height - PER_RULE}))
        return findings
