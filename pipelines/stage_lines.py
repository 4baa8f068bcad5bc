"""The ``budget_lines`` stage: the pending receipts loaded into the warehouse (``load_pending``, before the stage opens
it), then the lines of its partitions checked against the schema and the register of uploads (``check_lines``)."""

from __future__ import annotations

import polars as pl

from sources.model import BudgetLines
from warehouse import store as warehouse
from warehouse.loading import load_receipts
from warehouse.stored import Stored

CURRENT_ROWS = (
    "SELECT body, year, sum(n_rows)::BIGINT AS n FROM core.uploads "
    "WHERE status = 'current' AND content = 'budget' GROUP BY ALL"
)


def load_pending(settings) -> dict:
    """Every pending receipt (``sources.receipts``, received and not held), in order of receipt, whatever its
    partitions: the uploader's rights applied again, the latest receipt of a partition current (``load_receipts``,
    with a connection of its own and its bounded memory)."""
    outcomes = load_receipts(settings)
    loaded = [o for o in outcomes if o.status == "accepted"]
    return {
        "receipts_loaded": len(loaded),
        "receipts_refused": sum(o.status == "rejected" for o in outcomes),
        "loaded_partitions": sorted({f"{y}|{b}" for o in loaded for b, y, _ in o.partitions}),
    }


def check_lines(con, keys: pl.DataFrame) -> Stored:
    """The lines of ``keys`` a year at a time (bounded memory on a national backfill), against the canonical schema
    and the rows the register of uploads records for the files in use."""
    failures, counts, spending = [], [], 0
    for year in sorted(keys["year"].unique().to_list()):
        lines = warehouse.read_table(con, "budget_lines", keys.filter(pl.col("year") == year))
        try:
            BudgetLines.validate(lines, lazy=True)
        except Exception as exc:  # noqa: BLE001 - pandera SchemaErrors: keep a sample of the failure cases
            cases = getattr(exc, "failure_cases", None)
            failures += (
                cases.head(20).to_dicts()
                if cases is not None and hasattr(cases, "head")
                else [{"error": str(exc)[:2000]}]
            )
        counts.append(lines.group_by("body", "year").len())
        spending += int(lines["amount_cents"].sum() or 0)
    register = con.execute(CURRENT_ROWS).pl().with_columns(pl.col("year").cast(pl.Int32))
    counted = pl.concat(counts).join(register, on=["body", "year"], how="full", coalesce=True)
    bad = counted.join(keys, on=["body", "year"], how="semi").filter(
        pl.col("len").fill_null(0) != pl.col("n").fill_null(0)
    )
    return Stored(
        {"rows": int(counted["len"].fill_null(0).sum()), "partitions": keys.height, "spending_eur": spending // 100},
        checks={
            "schema": (not failures, {"failure_cases": failures[:20]}),
            "totals_reconcile": (bad.is_empty(), {"mismatches": bad.to_dicts()[:20]}),
        },
    )
