"""Mission-level data (pure polars): a body's functions summed to missions, and movement between years at that level.

A file with mission totals only (BDAP summaries, open-format exports) cannot be compared programme by programme
with another year. Both years can always be compared mission by mission: a year analysed by programme is rolled
up to its missions (``rollup``), a year with mission totals is used as it is, and ``movement`` compares them.
Technical missions (funds, debt, advances, clearing items) are left out: they are not service lines.
"""

from __future__ import annotations

import polars as pl

KEYS = ["body", "year", "phase"]


def rollup(matrix: pl.DataFrame) -> pl.DataFrame:
    """Each body-year analysed by programme, summed to its missions (every programme of the mission, as a mission total
    holds): spending, per inhabitant, transfer share (where every programme has macroaggregate detail), ``coarse``."""
    programmes = matrix.filter(~pl.col("coarse").fill_null(False), pl.col("kind").fill_null("") != "technical")
    detail = (
        pl.col("has_macro_detail").fill_null(False).all() if "has_macro_detail" in programmes.columns else pl.lit(False)
    )
    summed = programmes.group_by(*KEYS, pl.col("function").str.slice(0, 2).alias("function")).agg(
        total_cents=pl.col("total_cents").sum(),
        _transfer=pl.col("transfer_cents").fill_null(0).sum(),
        _detail=detail,
        population=pl.col("population").first(),
    )
    return summed.with_columns(
        missione=pl.col("function"),
        coarse=pl.lit(True),
        per_capita_eur=pl.col("total_cents") / 100 / pl.col("population"),
        transfer_share=pl.when(pl.col("_detail") & (pl.col("total_cents") != 0)).then(
            pl.col("_transfer") / pl.col("total_cents")
        ),
    ).drop("_transfer", "_detail")


def movement(matrix: pl.DataFrame) -> pl.DataFrame:
    """Mission by mission, each year against the body's previous available year of the same phase, where one of the two
    has mission totals only (two programme-level years are compared function by function instead).

    Returns body, phase, year_before, year, function (the mission), spending and transfer share in both years (empty
    where not measurable), the change, ``coarse_before`` / ``coarse_now`` (which year had mission totals only) and
    ``detail_before`` / ``detail_now``: ``programme``, ``mission`` (with macroaggregates) or ``mission_totals``."""
    macro = pl.col("has_macro_detail").fill_null(False).any() if "has_macro_detail" in matrix.columns else pl.lit(False)
    coarse_year = (
        matrix.group_by(KEYS)
        .agg(_coarse=pl.col("coarse").fill_null(False).all(), _macro=macro)
        .with_columns(
            _level=pl.when(~pl.col("_coarse"))
            .then(pl.lit("programme"))
            .when(pl.col("_macro"))
            .then(pl.lit("mission"))
            .otherwise(pl.lit("mission_totals"))
        )
        .drop("_macro")
    )
    native = matrix.filter(pl.col("coarse").fill_null(False), pl.col("kind").fill_null("") != "technical").select(
        *KEYS, "function", "total_cents", "transfer_share"
    )
    levels = pl.concat(
        [native, rollup(matrix).select(*KEYS, "function", "total_cents", "transfer_share")], how="vertical_relaxed"
    ).join(coarse_year, on=KEYS)
    years = (
        coarse_year.sort("year")
        .with_columns(
            year_before=pl.col("year").shift(1).over("body", "phase"),
            coarse_before=pl.col("_coarse").shift(1).over("body", "phase"),
            detail_before=pl.col("_level").shift(1).over("body", "phase"),
        )
        .filter(pl.col("year_before").is_not_null(), pl.col("_coarse") | pl.col("coarse_before"))
        .select(
            "body",
            "phase",
            "year",
            "year_before",
            "coarse_before",
            pl.col("_coarse").alias("coarse_now"),
            "detail_before",
            pl.col("_level").alias("detail_now"),
        )
    )
    pair = ["body", "phase", "year", "year_before", "coarse_before", "coarse_now", "detail_before", "detail_now"]
    now = years.join(
        levels.select(
            "body", "phase", "year", "function", pl.col("total_cents").alias("spending_cents"), "transfer_share"
        ),
        on=["body", "phase", "year"],
    )
    before = years.join(
        levels.select(
            "body",
            "phase",
            pl.col("year").alias("year_before"),
            "function",
            pl.col("total_cents").alias("spending_before_cents"),
            pl.col("transfer_share").alias("transfer_before"),
        ),
        on=["body", "phase", "year_before"],
    )
    pairs = now.join(before, on=[*pair, "function"], how="full", coalesce=True)  # a mission in one year only is kept
    return (
        pairs.with_columns(
            change=pl.when(pl.col("spending_before_cents").fill_null(0) > 0).then(
                pl.col("spending_cents").fill_null(0) / pl.col("spending_before_cents") - 1
            )
        )
        .select(
            "body",
            "phase",
            "year_before",
            "year",
            "function",
            "spending_before_cents",
            "spending_cents",
            "change",
            "transfer_before",
            "transfer_share",
            "coarse_before",
            "coarse_now",
            "detail_before",
            "detail_now",
        )
        .sort("body", "phase", "year", "function")
    )
