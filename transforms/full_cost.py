"""Full cost: the support programmes' spending shared out over the service lines (pure polars).

Support programmes (01.01-01.11 and the like: ``kind == "support"``) are about a third of a province's
spending and serve every service line. ``allocate_support`` shares each body's support pool over its
service functions in proportion to a *driver* — staff cost (1.01) by default, operating spending as
an alternative — class by class, so that a service line's full cost keeps the composition of what
it receives (support spending is mostly staff and goods: operating, rigid).

Every function keeps its direct figures in ``direct_*`` columns; ``with_cost_basis`` then puts the
chosen basis (``direct`` or ``full``) in the columns the matrix and the ranking read, so that one
switch moves both.
"""

from __future__ import annotations

import polars as pl

KEYS = ["body", "year", "phase"]
POOLED = ("total", "operating", "transfer", "financial", "excluded", "rigid", "staff", "goods_services", "capital")
DRIVERS = {"staff": "staff_cents", "operating": "operating_cents"}
SHARES = ("transfer", "operating", "financial", "excluded", "rigid", "capital", "staff", "goods_services")


def allocate_support(placed: pl.DataFrame, driver: str = "staff") -> pl.DataFrame:
    """``support_allocated_cents`` and ``full_cents`` per function; support rows give their spending away (full 0).

    Receivers: service functions with a positive driver (their own staff or operating spending).
    A body without any receiver keeps its support spending unallocated (``full_cents`` = direct).
    """
    if driver not in DRIVERS:
        raise ValueError(f"unknown full-cost driver {driver!r}: {sorted(DRIVERS)}")
    support = pl.col("kind") == "support"
    weight = (
        pl.when((pl.col("kind") == "service") & (pl.col(DRIVERS[driver]).fill_null(0) > 0))
        .then(pl.col(DRIVERS[driver]).cast(pl.Float64))
        .otherwise(0.0)
    )
    share = weight / weight.sum().over(KEYS)
    has_receivers = weight.sum().over(KEYS) > 0
    pool = {c: pl.col(f"{c}_cents").fill_null(0).filter(support).sum().over(KEYS) for c in POOLED}
    allocated = {
        f"{c}_allocated_cents": pl.when(has_receivers)
        .then(pl.when(support).then(-pl.col(f"{c}_cents").fill_null(0)).otherwise(pool[c] * share))
        .otherwise(0.0)
        for c in POOLED
    }
    return placed.with_columns(**allocated).with_columns(
        support_allocated_cents=pl.col("total_allocated_cents").round(0).cast(pl.Int64),
        full_cents=(pl.col("total_cents").fill_null(0) + pl.col("total_allocated_cents")).round(0).cast(pl.Int64),
    )


def with_cost_basis(placed: pl.DataFrame, basis: str, driver: str = "staff") -> pl.DataFrame:
    """The matrix and ranking columns on the chosen basis; direct figures kept as ``direct_cents`` and
    ``direct_transfer_share``."""
    if basis not in ("direct", "full"):
        raise ValueError(f"unknown cost basis {basis!r}: direct | full")
    out = allocate_support(placed, driver).with_columns(
        direct_cents=pl.col("total_cents"), direct_transfer_share=pl.col("transfer_share"), cost_basis=pl.lit(basis)
    )
    if basis == "direct":
        return out.drop([f"{c}_allocated_cents" for c in POOLED])
    full = {
        f"{c}_cents": (pl.col(f"{c}_cents").fill_null(0) + pl.col(f"{c}_allocated_cents")).round(0).cast(pl.Int64)
        for c in POOLED
    }
    out = out.with_columns(**full)
    shares = {
        f"{c}_share": pl.when(pl.col("total_cents") != 0).then(pl.col(f"{c}_cents") / pl.col("total_cents"))
        for c in SHARES
    }
    return out.with_columns(**shares, per_capita_eur=pl.col("total_cents") / 100 / pl.col("population")).drop(
        [f"{c}_allocated_cents" for c in POOLED]
    )
