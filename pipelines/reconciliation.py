"""Stage: each body's own upload against the BDAP extract of the same body, year and phase
(``core.bdap_reconciliation``).

Reads the current upload's lines and the national lines (``areavasta national``) of the partitions
asked, compares them (``transforms.reconcile``) and names the files on both sides, so that a
difference can be followed up: the upload's original name and the extract's.
"""

from __future__ import annotations

from functools import cache

import polars as pl
import yaml

from sources.findings import Finding
from sources.reference import DATA_DIR
from transforms.amounts import format_euro
from transforms.reconcile import reconcile
from warehouse import store as warehouse
from warehouse.stored import Stored

COLUMNS = ["body", "year", "phase", "missione", "programma", "macroaggregato", "amount_kind", "amount_cents"]


@cache
def reconciliation_config() -> dict:
    return yaml.safe_load((DATA_DIR / "reconciliation" / "reconciliation.yaml").read_text(encoding="utf-8"))


def stage_reconciliation(con, keys: pl.DataFrame) -> Stored:
    """Every compared amount of ``keys`` (body, year) with the files on both sides; the keys are replaced even when
    nothing overlaps."""
    config = reconciliation_config()
    national = warehouse.read_table(con, "national_lines", keys, [*COLUMNS, "extract_sha256"])
    # only where an extract covers the body and year is anything compared: a national backfill without one
    # would otherwise read every uploaded line for nothing (+0.5 GB at 107 bodies x 10 years)
    covered = (
        keys.join(national.select("body", "year").unique(), on=["body", "year"], how="semi")
        if national.height
        else keys.clear()
    )
    own = warehouse.read_table(con, "budget_lines", covered, COLUMNS)
    table = reconcile(
        own,
        national.drop("extract_sha256", strict=False),
        config["tolerance"],
        config["levels"],
        config["derived_kinds"],
    )
    table = table.join(_own_files(con), on=["body", "year", "phase"], how="left").join(
        _bdap_files(con, national), on=["body", "year", "phase"], how="left"
    )
    off = table.filter(~pl.col("within_tolerance"))
    return Stored(
        {"compared": table.height, "differences": off.height, "bodies": table["body"].n_unique()},
        {"bdap_reconciliation": (table, keys)},
    )


def _own_files(con) -> pl.DataFrame:
    """The original names of the current spending uploads of each (body, year, phase)."""
    return con.execute(
        "SELECT body, year::INTEGER AS year, phase, string_agg(original_name, ', ' ORDER BY original_name) AS own_file "
        "FROM core.uploads WHERE status = 'current' AND content = 'budget' GROUP BY ALL"
    ).pl()


def _bdap_files(con, national: pl.DataFrame) -> pl.DataFrame:
    if national.is_empty():
        return pl.DataFrame(schema={"body": pl.String, "year": pl.Int32, "phase": pl.String, "bdap_file": pl.String})
    extracts = warehouse.read_table(con, "national_extracts", None, ["sha256", "file"])
    return (
        national.select("body", "year", "phase", "extract_sha256")
        .unique()
        .join(extracts.rename({"sha256": "extract_sha256"}), on="extract_sha256", how="left")
        .group_by("body", "year", "phase")
        .agg(bdap_file=pl.col("file").unique().sort().str.join(", "))
    )


def difference_findings(table: pl.DataFrame, lang: str = "it") -> list[dict]:
    """The differences beyond tolerance as findings (the Controlli sheet, the page), largest first."""
    if "within_tolerance" not in table.columns:  # no reconciliation stored yet
        return []
    off = table.filter(~pl.col("within_tolerance")).sort(pl.col("difference_cents").abs(), descending=True)
    found = []
    for row in off.iter_rows(named=True):
        finding = Finding(
            "BDAP_DIFFERENCE",
            file=row["own_file"] or "",
            params={
                "level": row["level"],
                "code": row["code"] or "",
                "kind": row["amount_kind"],
                "own": format_euro(row["own_cents"], lang),
                "own_file": row["own_file"] or "",
                "bdap": format_euro(row["bdap_cents"], lang),
                "bdap_file": row["bdap_file"] or "",
                "difference": format_euro(row["difference_cents"], lang),
                "tolerance": format_euro(row["allowed_cents"], lang),
            },
        )
        found.append(finding.to_dict(lang))
    return found
