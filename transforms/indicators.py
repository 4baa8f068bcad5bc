"""Execution indicators a finance officer reads (issue 27): ratios of amount kinds summed over the lines of a body, a
mission or a programme, from a catalogue kept as data (``data/indicators/execution.csv``, one row per indicator with its
reference and source). Pure polars: the lines and the catalogue come in, one row per indicator and scope goes out.

An indicator whose inputs are missing is empty with the reason (the kind is not in the file, or the denominator is
zero), never 0: a body whose file gives no commitments has no commitment capacity, not a commitment capacity of 0 %.
"""

from __future__ import annotations

import polars as pl

KEYS = ["body", "year", "phase"]
LEVELS = {"body": [], "mission": ["missione"], "function": ["programma"]}
LINE_COLUMNS = {"body": pl.String, "year": pl.Int32, "phase": pl.String, "titolo": pl.String, "amount_kind": pl.String,
                "amount_cents": pl.Int64}
OUT_SCHEMA = {"body": pl.String, "year": pl.Int32, "phase": pl.String, "detail": pl.String, "code": pl.String, "indicator": pl.String,
              "value": pl.Float64, "numerator_cents": pl.Int64, "denominator_cents": pl.Int64, "missing": pl.String}


def _lines(frame: pl.DataFrame) -> pl.DataFrame:
    """A side's lines with at least the columns every indicator reads (a body without revenue lines has none)."""
    return frame if "amount_kind" in frame.columns else pl.DataFrame(schema=LINE_COLUMNS)


def line_filter(spec: str | None) -> pl.Expr:
    """``titolo=1|2`` (a column's values), alternatives joined by ``;`` (any of them): ``macroaggregato=1.01|1.07;titolo=4``."""
    if not spec:
        return pl.lit(True)
    alternatives = []
    for part in spec.split(";"):
        column, values = part.split("=")
        alternatives.append(pl.col(column.strip()).is_in(values.strip().split("|")))
    return pl.any_horizontal(alternatives)


def _sums(lines: pl.DataFrame, kinds: str, spec: str | None, by: list[str], name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Σ of ``kinds`` over the lines ``spec`` selects, per ``by``; and which body, year and phase has the kinds at all."""
    wanted = kinds.split("|")
    scoped = lines.filter(pl.col("amount_kind").is_in(wanted))
    present = scoped.select(*KEYS).unique().with_columns(_has=pl.lit(True))
    summed = scoped.filter(line_filter(spec)).group_by(by).agg(pl.col("amount_cents").sum().alias(name))
    return summed, present


def _scopes(spending: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return spending.select(by).unique() if spending.height else pl.DataFrame(schema={c: pl.String for c in by})


def execution_indicators(spending: pl.DataFrame, revenue: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """One row per body, year, phase, ``detail`` (``body``, ``mission``, ``function``), ``code`` (the mission or programme,
    empty for the body) and indicator: ``value`` (a share), ``numerator_cents``, ``denominator_cents`` and ``missing`` (why
    the value is empty, or null)."""
    spending, revenue = _lines(spending), _lines(revenue)
    sides = {"spese": spending, "entrate": revenue}
    out = []
    for row in catalogue.iter_rows(named=True):
        for level in row["levels"].split(";"):
            extra = LEVELS[level]
            by = [*KEYS, *extra]
            if any(c not in sides[row["num_side"]].columns or c not in sides[row["den_side"]].columns for c in extra):
                continue
            num, num_present = _sums(sides[row["num_side"]], row["num_kinds"], row["num_filter"], by, "numerator_cents")
            den, den_present = _sums(sides[row["den_side"]], row["den_kinds"], row["den_filter"], by, "denominator_cents")
            scopes = _scopes(spending if row["den_side"] == "spese" else revenue, by) if extra else (
                pl.concat([spending.select(KEYS), revenue.select(KEYS)]).unique())
            frame = (scopes.join(num, on=by, how="left").join(den, on=by, how="left")
                     .join(num_present.rename({"_has": "_num"}), on=KEYS, how="left")
                     .join(den_present.rename({"_has": "_den"}), on=KEYS, how="left"))
            missing = (pl.when(pl.col("_num").is_null()).then(pl.lit(f"kind:{row['num_kinds']}"))
                       .when(pl.col("_den").is_null()).then(pl.lit(f"kind:{row['den_kinds']}"))
                       .when(pl.col("denominator_cents").fill_null(0) == 0).then(pl.lit("zero_denominator")))
            frame = frame.with_columns(numerator_cents=pl.col("numerator_cents").fill_null(0),
                                       denominator_cents=pl.col("denominator_cents").fill_null(0), missing=missing)
            out.append(frame.select(
                *KEYS, pl.lit(level).alias("detail"),
                (pl.col(extra[0]) if extra else pl.lit("")).cast(pl.String).alias("code"), pl.lit(row["indicator"]).alias("indicator"),
                pl.when(pl.col("missing").is_null()).then(pl.col("numerator_cents") / pl.col("denominator_cents")).alias("value"),
                "numerator_cents", "denominator_cents", "missing"))
    if not out:
        return pl.DataFrame(schema=OUT_SCHEMA)
    found = pl.concat(out, how="vertical_relaxed").filter(pl.col("body").is_not_null())
    return found.select(pl.col(c).cast(t) for c, t in OUT_SCHEMA.items()).sort(*KEYS, "indicator", "detail", "code")
