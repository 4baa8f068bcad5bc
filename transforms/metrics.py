"""Function metrics: how much each function spends and on what (pure polars).

A function is a programme (``04.02``); when a file only has mission detail, the mission is the
function and the row is flagged ``coarse``. Spending is measured on one amount kind per phase
(the *basis*: commitments for final accounts, appropriations for forecasts, configurable).

Definitions (shares are over the function's spending on titles 1 and 2):

* ``transfer_share``, ``operating_share``, ``financial_share``, ``excluded_share``: by the
  macroaggregate → class table; they sum to 1 when every line has a macroaggregate;
* ``rigid_share``: macroaggregates flagged ``rigid`` in the table within titles 1-2, by default
  staff (1.01) and interest (1.07);
* ``capital_share``: title 2; ``staff_share`` (1.01) and ``goods_services_share`` (1.03) for the plans;
* ``per_capita_eur``: spending on titles 1 and 2 per inhabitant;
* ``all_titles_cents``: the basis amount on every title, as in the file (what a technical function shows:
  loan principal on title 4 and clearing items on title 7 are not spending on titles 1 and 2).

A line without a title (a mission total of a BDAP summary) counts as titles 1 and 2 in its function; in the
body's total only when the scheme puts the whole mission on titles 1 and 2 (``whole_t12_missions``).
"""

from __future__ import annotations

import polars as pl

KEYS = ["body", "year", "phase"]
CLASSES = ("operating", "transfer", "financial", "excluded")


def basis_lines(lines: pl.DataFrame, basis: dict[str, str]) -> pl.DataFrame:
    """Only the lines of the amount kind that measures spending in each phase."""
    wanted = pl.DataFrame({"phase": list(basis), "amount_kind": list(basis.values())})
    return lines.join(wanted, on=["phase", "amount_kind"], how="semi")


def _with_classes(lines: pl.DataFrame, classes: pl.DataFrame) -> pl.DataFrame:
    return lines.join(classes.select("macroaggregato", "spending_class", "rigid"), on="macroaggregato", how="left")


def function_metrics(
    lines: pl.DataFrame, classes: pl.DataFrame, population: pl.DataFrame, basis: dict[str, str]
) -> pl.DataFrame:
    """One row per body, year, phase and function. ``population``: columns ``body``, ``population``."""
    data = _with_classes(basis_lines(lines, basis), classes).with_columns(
        function=pl.coalesce("programma", "missione"),
        coarse=pl.col("programma").is_null(),
        t12=pl.col("titolo").is_in(["1", "2"]) | pl.col("titolo").is_null(),
    )
    amount = pl.col("amount_cents")
    in_t12 = amount.filter(pl.col("t12"))
    grouped = data.group_by(*KEYS, "function", "missione", "coarse").agg(
        total_cents=in_t12.sum(),
        **{
            f"{name}_cents": amount.filter(pl.col("t12") & (pl.col("spending_class") == name)).sum() for name in CLASSES
        },
        unmapped_cents=amount.filter(pl.col("t12") & pl.col("spending_class").is_null()).sum(),
        rigid_cents=amount.filter(pl.col("t12") & pl.col("rigid").fill_null(False)).sum(),
        staff_cents=amount.filter(pl.col("macroaggregato") == "1.01").sum(),
        goods_services_cents=amount.filter(pl.col("macroaggregato") == "1.03").sum(),
        capital_cents=amount.filter(pl.col("titolo") == "2").sum(),
        all_titles_cents=amount.sum(),
        lines=pl.len(),
    )
    share = {
        f"{name}_share": pl.when(pl.col("total_cents") != 0).then(pl.col(f"{name}_cents") / pl.col("total_cents"))
        for name in (*CLASSES, "rigid", "capital", "unmapped", "staff", "goods_services")
    }
    # without macroaggregates (mission-level riepiloghi) the class shares cannot be measured: empty, never 0
    by_class = [f"{name}_share" for name in (*CLASSES, "rigid", "staff", "goods_services")]
    return (
        grouped.with_columns(**share, has_macro_detail=pl.col("unmapped_cents") == 0)
        .with_columns([pl.when(pl.col("has_macro_detail")).then(pl.col(c)).alias(c) for c in by_class])
        .join(population, on="body", how="left")
        .with_columns(per_capita_eur=pl.col("total_cents") / 100 / pl.col("population"))
        .sort(*KEYS, "function")
    )


def body_metrics(
    lines: pl.DataFrame,
    classes: pl.DataFrame,
    population: pl.DataFrame,
    basis: dict[str, str],
    whole_t12_missions: list[str] | tuple[str, ...] = (),
) -> pl.DataFrame:
    """Whole-body figures: spending on titles 1-2, and total rigidity including debt service.

    ``rigidity_share`` = (rigid macroaggregates of titles 1-2 + loan repayment, title 4) /
    (titles 1, 2 and 4): the share of the budget the body cannot move in the short run. A mission total
    without a title counts in titles 1-2 when its mission is in ``whole_t12_missions`` (not debt, advances,
    clearing items, which the scheme puts on titles 4, 5 and 7).
    """
    data = _with_classes(basis_lines(lines, basis), classes)
    amount = pl.col("amount_cents")
    t12 = pl.col("titolo").is_in(["1", "2"]) | (
        pl.col("titolo").is_null() & pl.col("missione").is_in(list(whole_t12_missions))
    )
    grouped = data.group_by(KEYS).agg(
        total_cents=amount.filter(t12).sum(),
        staff_cents=amount.filter(pl.col("macroaggregato") == "1.01").sum(),
        interest_cents=amount.filter(pl.col("macroaggregato") == "1.07").sum(),
        repayment_cents=amount.filter(pl.col("titolo") == "4").sum(),
        rigid_t12_cents=amount.filter(t12 & pl.col("rigid").fill_null(False)).sum(),
        transfer_cents=amount.filter(t12 & (pl.col("spending_class") == "transfer")).sum(),
    )
    denominator = pl.col("total_cents") + pl.col("repayment_cents")
    return (
        grouped.with_columns(
            rigidity_share=pl.when(denominator != 0).then(
                (pl.col("rigid_t12_cents") + pl.col("repayment_cents")) / denominator
            ),
            staff_share=pl.when(pl.col("total_cents") != 0).then(pl.col("staff_cents") / pl.col("total_cents")),
            debt_service_share=pl.when(denominator != 0).then(
                (pl.col("interest_cents") + pl.col("repayment_cents")) / denominator
            ),
            transfer_share=pl.when(pl.col("total_cents") != 0).then(pl.col("transfer_cents") / pl.col("total_cents")),
        )
        .join(population, on="body", how="left")
        .with_columns(per_capita_eur=pl.col("total_cents") / 100 / pl.col("population"))
        .sort(KEYS)
    )
