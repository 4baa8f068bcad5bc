"""A body's own upload against a BDAP extract of the same body, year and phase (pure polars).

Both inputs are budget lines (body, year, phase, missione, programma, macroaggregato, amount_kind,
amount_cents). They are compared per amount kind both report, at each level of
``data/reconciliation/reconciliation.yaml``: always by mission; by programme and by macroaggregate
only where every line of both sides has that code (a mission-level upload is not compared by
programme). A kind one side gives only as its parts (``pagamenti`` = competence + residues) is
added up first.
"""

from __future__ import annotations

import polars as pl

PARTITION = ["body", "year", "phase"]
PAIR = [*PARTITION, "amount_kind"]
SCHEMA = {
    "body": pl.String,
    "year": pl.Int32,
    "phase": pl.String,
    "amount_kind": pl.String,
    "level": pl.String,
    "code": pl.String,
    "own_cents": pl.Int64,
    "bdap_cents": pl.Int64,
    "difference_cents": pl.Int64,
    "allowed_cents": pl.Int64,
    "within_tolerance": pl.Boolean,
}


def with_derived_kinds(lines: pl.DataFrame, derived: dict[str, list[str]]) -> pl.DataFrame:
    """Add ``total`` lines made of its ``parts`` where a (body, year, phase) has every part and not the total."""
    extra = []
    for total, parts in derived.items():
        kinds = lines.group_by(PARTITION).agg(pl.col("amount_kind").unique().alias("_kinds"))
        eligible = kinds.filter(
            ~pl.col("_kinds").list.contains(total), *[pl.col("_kinds").list.contains(p) for p in parts]
        )
        extra.append(
            lines.join(eligible.select(PARTITION), on=PARTITION, how="semi")
            .filter(pl.col("amount_kind").is_in(parts))
            .with_columns(amount_kind=pl.lit(total))
        )
    return pl.concat([lines, *extra]) if extra else lines


def _totals(lines: pl.DataFrame, level: str, pairs: pl.DataFrame) -> pl.DataFrame:
    """Sum by ``level`` for the pairs whose every line carries the level's code."""
    lines = lines.join(pairs, on=PAIR, how="semi")
    detailed = lines.group_by(PAIR).agg(pl.col(level).is_not_null().all().alias("_detailed")).filter("_detailed")
    return (
        lines.join(detailed.select(PAIR), on=PAIR, how="semi")
        .group_by(*PAIR, level)
        .agg(cents=pl.col("amount_cents").sum())
    )


def reconcile(
    own: pl.DataFrame,
    bdap: pl.DataFrame,
    tolerance: dict,
    levels: list[str],
    derived: dict[str, list[str]] | None = None,
) -> pl.DataFrame:
    """Every compared amount: own and BDAP cents, the difference (own - BDAP), what the tolerance allows, and whether it
    holds."""
    if own.is_empty() or bdap.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    own, bdap = with_derived_kinds(own, derived or {}), with_derived_kinds(bdap, derived or {})
    pairs = own.select(PAIR).unique().join(bdap.select(PAIR).unique(), on=PAIR, how="inner")
    frames = []
    for level in levels:
        mine, theirs = _totals(own, level, pairs), _totals(bdap, level, pairs)
        compared = (
            mine.select(PAIR).unique().join(theirs.select(PAIR).unique(), on=PAIR, how="inner")
        )  # both have the detail
        joined = mine.join(theirs, on=[*PAIR, level], how="full", coalesce=True, suffix="_bdap").join(
            compared, on=PAIR, how="semi"
        )
        frames.append(
            joined.select(
                *PAIR,
                level=pl.lit(level),
                code=pl.col(level),
                own_cents=pl.col("cents").fill_null(0),
                bdap_cents=pl.col("cents_bdap").fill_null(0),
            )
        )
    out = (
        pl.concat(frames)
        if frames
        else pl.DataFrame(schema={k: SCHEMA[k] for k in [*PAIR, "level", "code", "own_cents", "bdap_cents"]})
    )
    larger = pl.max_horizontal(pl.col("own_cents").abs(), pl.col("bdap_cents").abs())
    allowed = pl.max_horizontal(
        pl.lit(round(tolerance["absolute_eur"] * 100)), (larger * tolerance["share"]).round().cast(pl.Int64)
    )
    out = out.with_columns(
        difference_cents=pl.col("own_cents") - pl.col("bdap_cents"), allowed_cents=allowed.cast(pl.Int64)
    )
    out = out.with_columns(within_tolerance=pl.col("difference_cents").abs() <= pl.col("allowed_cents"))
    order = {level: i for i, level in enumerate(levels)}
    return (
        out.with_columns(_order=pl.col("level").replace_strict(order, return_dtype=pl.Int32))
        .sort(*PARTITION, "amount_kind", "_order", "code")
        .drop("_order")
        .select(list(SCHEMA))
        .cast(SCHEMA)
    )
