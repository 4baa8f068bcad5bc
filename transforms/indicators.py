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
LINE_COLUMNS = {
    "body": pl.String,
    "year": pl.Int32,
    "phase": pl.String,
    "titolo": pl.String,
    "amount_kind": pl.String,
    "amount_cents": pl.Int64,
}
OUT_SCHEMA = {
    "body": pl.String,
    "year": pl.Int32,
    "phase": pl.String,
    "detail": pl.String,
    "code": pl.String,
    "indicator": pl.String,
    "value": pl.Float64,
    "numerator_cents": pl.Int64,
    "denominator_cents": pl.Int64,
    "missing": pl.String,
}


def _lines(frame: pl.DataFrame) -> pl.DataFrame:
    """A side's lines with at least the columns every indicator reads (a body without revenue lines has none)."""
    return frame if "amount_kind" in frame.columns else pl.DataFrame(schema=LINE_COLUMNS)


def line_filter(spec: str | None) -> pl.Expr:
    """Which lines an indicator sums. Alternatives joined by ``;`` (any of them), each a set of conditions joined by
    ``&`` (all of them); a condition is ``column=v1|v2`` (one of the values; ``column=`` alone: the column is empty) or
    ``column!=v1|v2`` (none of them). ``titolo=1|2;titolo=&missione!=50|60|99``: titles 1 and 2, or, in a file without
    titles (BDAP's summary by mission), every mission but debt, treasury advances and clearing accounts."""
    if not spec:
        return pl.lit(True)
    alternatives = []
    for part in spec.split(";"):
        conditions = []
        for condition in part.split("&"):
            negated = "!=" in condition
            column, values = (x.strip() for x in condition.split("!=" if negated else "="))
            if not values:
                conditions.append(pl.col(column).is_not_null() if negated else pl.col(column).is_null())
            elif negated:
                conditions.append(~pl.col(column).is_in(values.split("|")).fill_null(False))
            else:
                conditions.append(pl.col(column).is_in(values.split("|")).fill_null(False))
        alternatives.append(pl.all_horizontal(conditions))
    return pl.any_horizontal(alternatives)


def _sums(
    lines: pl.DataFrame, kinds: str, spec: str | None, by: list[str], name: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Σ of ``kinds`` over the lines ``spec`` selects, per ``by``; and which body, year and phase has the kinds at
    all."""
    wanted = kinds.split("|")
    scoped = lines.filter(pl.col("amount_kind").is_in(wanted))
    present = scoped.select(*KEYS).unique().with_columns(_has=pl.lit(True))
    summed = scoped.filter(line_filter(spec)).group_by(by).agg(pl.col("amount_cents").sum().alias(name))
    return summed, present


def _scopes(lines: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return lines.select(by).unique()


def execution_indicators(spending: pl.DataFrame, revenue: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """One row per body, year, phase, ``detail`` (``body``, ``mission``, ``function``), ``code`` (the mission or
    programme, empty for the body) and indicator: ``value`` (a share), ``numerator_cents``, ``denominator_cents`` and
    ``missing`` (why the value is empty, or null)."""
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
            den, den_present = _sums(
                sides[row["den_side"]], row["den_kinds"], row["den_filter"], by, "denominator_cents"
            )
            scopes = (
                _scopes(spending if row["den_side"] == "spese" else revenue, by)
                if extra
                else (pl.concat([spending.select(KEYS), revenue.select(KEYS)]).unique())
            )
            frame = (
                scopes.join(num, on=by, how="left")
                .join(den, on=by, how="left")
                .join(num_present.rename({"_has": "_num"}), on=KEYS, how="left")
                .join(den_present.rename({"_has": "_den"}), on=KEYS, how="left")
            )
            missing = (
                pl.when(pl.col("_num").is_null())
                .then(pl.lit(f"kind:{row['num_kinds']}"))
                .when(pl.col("_den").is_null())
                .then(pl.lit(f"kind:{row['den_kinds']}"))
                .when(pl.col("denominator_cents").fill_null(0) == 0)
                .then(pl.lit("zero_denominator"))
            )
            frame = frame.with_columns(
                numerator_cents=pl.col("numerator_cents").fill_null(0),
                denominator_cents=pl.col("denominator_cents").fill_null(0),
                missing=missing,
            )
            out.append(
                frame.select(
                    *KEYS,
                    pl.lit(level).alias("detail"),
                    (pl.col(extra[0]) if extra else pl.lit("")).cast(pl.String).alias("code"),
                    pl.lit(row["indicator"]).alias("indicator"),
                    pl.when(pl.col("missing").is_null())
                    .then(pl.col("numerator_cents") / pl.col("denominator_cents"))
                    .alias("value"),
                    "numerator_cents",
                    "denominator_cents",
                    "missing",
                )
            )
    if not out:
        return pl.DataFrame(schema=OUT_SCHEMA)
    found = pl.concat(out, how="vertical_relaxed").filter(pl.col("body").is_not_null())
    return found.select(pl.col(c).cast(t) for c, t in OUT_SCHEMA.items()).sort(*KEYS, "indicator", "detail", "code")


PEER_SCHEMA = {
    "body": pl.String,
    "year": pl.Int32,
    "phase": pl.String,
    "detail": pl.String,
    "code": pl.String,
    "indicator": pl.String,
    "value": pl.Float64,
    "peers": pl.UInt32,
    "peer_min": pl.Float64,
    "peer_q1": pl.Float64,
    "peer_median": pl.Float64,
    "peer_q3": pl.Float64,
    "peer_max": pl.Float64,
    "peers_below": pl.UInt32,
    "peer_bodies": pl.List(pl.String),
    "peer_values": pl.List(pl.Float64),
}


PEER_KEYS = [*KEYS, "detail", "code", "indicator"]
PAIRS_PER_PART = 2_000  # (body, peer) pairs joined with the peers' indicators at a time


def indicator_peers(indicators: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Where each body stands among its peers (``groups``: body, year, phase, peer, as
    ``transforms.peers.peer_groups``), per indicator and scope: the body's value, how many peers have one, their
    minimum, quartiles (linear interpolation, as a spreadsheet's QUARTILE), median and maximum, how many are below the
    body, and the peers with their values (sorted by peer). Only peers with a value at the same detail and code count; a
    scope no peer has gets no row.

    A few bodies at a time (``PAIRS_PER_PART`` pairs), on integer ids: every body's indicators joined with every peer's
    for ten years took 1.3 GB, and the same joins on six columns of text 170 MB a year. ``_scope`` numbers the year,
    phase, detail, code and indicator, ``_body`` the bodies, both in their order: sorted by id is sorted by code, and
    the parts, in the order of their bodies, come out sorted."""
    if groups.is_empty() or indicators.is_empty():
        return pl.DataFrame(schema=PEER_SCHEMA)
    scope = ["year", "phase", "detail", "code", "indicator"]
    scopes = indicators.select(scope).unique().sort(scope).with_row_index("_scope")
    phases = scopes.select("year", "phase").unique().with_row_index("_phase")
    ids = pl.DataFrame({"body": pl.concat([indicators["body"], groups["body"], groups["peer"]]).unique().sort()})
    ids = ids.with_row_index("_body")
    coded = indicators.join(scopes, on=scope).join(phases, on=["year", "phase"]).join(ids, on="body")
    theirs = coded.filter(pl.col("value").is_not_null()).select(
        pl.col("_body").alias("_peer"), "_phase", "_scope", pl.col("value").alias("_peer_value")
    )
    own = coded.select("_body", "_scope", "value")
    pairs = (
        groups.join(phases, on=["year", "phase"])
        .join(ids, on="body")
        .join(ids.rename({"body": "peer", "_body": "_peer"}), on="peer")
        .select("_body", "_phase", "_peer", "peer")
    )
    sizes = pairs.group_by("_body").len().sort("_body")
    parts = sizes.with_columns(_part=pl.col("len").cum_sum() // PAIRS_PER_PART).select("_body", "_part")
    found = [
        _part_peers(part.drop("_part"), theirs, own, scopes, ids)
        for part in pairs.join(parts, on="_body").sort("_part").partition_by("_part", maintain_order=True)
    ]
    return pl.concat(found) if found else pl.DataFrame(schema=PEER_SCHEMA)


def _part_peers(
    pairs: pl.DataFrame, theirs: pl.DataFrame, own: pl.DataFrame, scopes: pl.DataFrame, ids: pl.DataFrame
) -> pl.DataFrame:
    """``indicator_peers`` of the bodies of ``pairs`` (integer ids, as ``indicator_peers`` numbers them), sorted: the
    pairs in the order of the ids, grouped in that order, so that the peers' lists are never moved again."""
    joined = pairs.join(theirs, on=["_peer", "_phase"]).join(own, on=["_body", "_scope"])
    value = pl.col("_peer_value")
    found = (
        joined.sort("_body", "_scope", "_peer")
        .group_by("_body", "_scope", maintain_order=True)
        .agg(
            pl.col("value").first(),
            peers=pl.len(),
            peer_min=value.min(),
            peer_q1=value.quantile(0.25, "linear"),
            peer_median=value.median(),
            peer_q3=value.quantile(0.75, "linear"),
            peer_max=value.max(),
            peers_below=(value < pl.col("value")).sum(),
            peer_bodies=pl.col("peer"),
            peer_values=value,
        )
    )
    named = (
        scopes.drop("_scope")
        .select(pl.all().gather(found["_scope"]))
        .with_columns(body=ids["body"].gather(found["_body"]))
    )
    return found.drop("_body", "_scope").hstack(named).select(pl.col(c).cast(t) for c, t in PEER_SCHEMA.items())


def function_signal(
    indicators: pl.DataFrame, functions: pl.DataFrame, indicator: str, basis_phase: str = "rendiconto"
) -> pl.DataFrame:
    """The indicator of each function of ``functions`` (body, year, phase, function) for the portfolio: from the same
    final accounts, or, for a forecast, from the latest final accounts of an earlier year (the comparison a planner
    makes). A programme (``04.02``) takes the programme's value, a mission total (``04``) the mission's. Returns body,
    year, phase, function, ``<indicator>`` and ``<indicator>_year`` (the year of the accounts it was measured on)."""
    schema = {
        "body": pl.String,
        "year": pl.Int32,
        "phase": pl.String,
        "function": pl.String,
        indicator: pl.Float64,
        f"{indicator}_year": pl.Int32,
    }
    measured = indicators.filter(
        pl.col("indicator") == indicator, pl.col("phase") == basis_phase, pl.col("value").is_not_null()
    )
    if measured.is_empty() or functions.is_empty():
        return pl.DataFrame(schema=schema)
    measured = measured.select(
        "body", pl.col("year").alias("_year"), pl.col("code").alias("function"), pl.col("value").alias(indicator)
    )
    wanted = functions.select("body", "year", "phase", "function").unique()
    found = (
        wanted.join(measured, on=["body", "function"])
        .filter(
            pl.when(pl.col("phase") == basis_phase)
            .then(pl.col("_year") == pl.col("year"))
            .otherwise(pl.col("_year") < pl.col("year"))
        )
        .sort("_year")
        .group_by("body", "year", "phase", "function")
        .agg(pl.col(indicator).last(), pl.col("_year").last().alias(f"{indicator}_year"))
    )
    return found.select(pl.col(c).cast(t) for c, t in schema.items())
