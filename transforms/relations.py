"""Relations between the amount kinds of one line (pure polars; the relations are data, ``data/plausibility.yaml``).

The final-accounts scheme prints its identities in its column captions: total payments are the
payments on the year's commitments plus those on carried-over items, the payables carried over are
those from earlier years plus those arising in the year, and so on. A relation is a ``total`` kind
and its ``parts`` with a sign each; it is checked on a file only when the file gives every kind it
names, and a kind a line leaves blank counts as zero there (a re-saved file writes zero as blank).
"""

from __future__ import annotations

import polars as pl

PART = "_part"  # which file of a batch a line belongs to
BROKEN_SCHEMA = {
    PART: pl.Int32,
    "relation": pl.String,
    "kind": pl.String,
    "stated": pl.Int64,
    "computed": pl.Int64,
    "sheet": pl.String,
    "cell": pl.String,
    "source_row": pl.Int32,
}


def broken_relations(
    lines: pl.DataFrame, relations: dict[str, dict], keys: list[str], tolerance_cents: int
) -> pl.DataFrame:
    """Every line (``keys`` within a ``_part``) where a relation differs by more than ``tolerance_cents``: the relation,
    its total kind, what the line states, what its parts give, and where the total is (or the line's first cell)."""
    present = lines.group_by(PART).agg(pl.col("amount_kind").unique().alias("_kinds"))
    found = []
    for name, relation in relations.items():
        total, parts = relation["total"], relation["parts"]
        needed = [total, *parts]
        complete = present.filter(*[pl.col("_kinds").list.contains(k) for k in needed])
        if complete.is_empty():
            continue
        sub = lines.join(complete.select(PART), on=PART, how="semi").filter(pl.col("amount_kind").is_in(needed))
        is_total = pl.col("amount_kind") == total
        sign = pl.col("amount_kind").replace_strict(
            {k: int(v) for k, v in parts.items()}, default=0, return_dtype=pl.Int64
        )
        per_line = (
            sub.sort(PART, "source_row", nulls_last=True)
            .group_by(PART, *keys, maintain_order=True)
            .agg(
                stated=pl.col("amount_cents").filter(is_total).sum(),
                computed=(pl.col("amount_cents") * sign).filter(~is_total).sum(),
                sheet=pl.coalesce(pl.col("sheet").filter(is_total).first(), pl.col("sheet").first()),
                cell=pl.coalesce(pl.col("cell").filter(is_total).first(), pl.col("cell").first()),
                source_row=pl.coalesce(pl.col("source_row").filter(is_total).first(), pl.col("source_row").first()),
            )
        )
        found.append(
            per_line.filter((pl.col("stated") - pl.col("computed")).abs() > tolerance_cents).with_columns(
                relation=pl.lit(name), kind=pl.lit(total)
            )
        )
    if not found:
        return pl.DataFrame(schema=BROKEN_SCHEMA)
    return pl.concat([f.select(list(BROKEN_SCHEMA)).cast(BROKEN_SCHEMA) for f in found]).sort(
        PART, "source_row", "relation"
    )
