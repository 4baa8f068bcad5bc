"""Portfolio analysis: a priority score per function, tiers, reasons, flags (pure polars).

Learned from Priority Based Budgeting, minus its faults: every component and weight is visible
and configurable (``data/portfolio/priorities.yaml``), each function carries the reasons of its
score in words, and data errors cannot top the ranking (outliers and sudden jumps are flagged,
left out of peer medians and of their own peer and trend components until confirmed).
"""

from __future__ import annotations

import polars as pl

COMPONENTS = ("size", "manoeuvrability", "transformation", "peer_gap", "trend", "status", "co_assessment", "delivery")
KEYS = ["body", "year", "phase"]
SIGNALS = ("commitment_capacity",)  # measured on final accounts only (transforms.indicators.function_signal)
OPS = {"eq": "__eq__", "ne": "__ne__", "gt": "__gt__", "ge": "__ge__", "lt": "__lt__", "le": "__le__"}


def outliers(functions: pl.DataFrame, config: dict, confirmed: pl.DataFrame | None = None) -> pl.DataFrame:
    """Flag per-capita values far from the other bodies (robust z) and sudden year-on-year jumps."""
    keys = ["year", "phase", "function"]
    data = functions.with_columns(
        _median=pl.col("per_capita_eur").median().over(keys),
    ).with_columns(_mad=(pl.col("per_capita_eur") - pl.col("_median")).abs().median().over(keys))
    robust = pl.when(pl.col("_mad") > 0).then(0.6745 * (pl.col("per_capita_eur") - pl.col("_median")) / pl.col("_mad"))
    previous = pl.col("total_cents").shift(1).over("body", "phase", "function", order_by="year")
    jump = pl.when(previous > 0).then(pl.col("total_cents") / previous - 1)
    data = data.with_columns(robust_z=robust, yearly_change=jump).with_columns(
        outlier_peer=(pl.col("robust_z").abs() > config["robust_z"]).fill_null(False),
        outlier_jump=(pl.col("yearly_change").abs() > config["jump"]).fill_null(False),
    )
    if confirmed is not None and confirmed.height:
        data = data.join(
            confirmed.select("body", "function", pl.lit(True).alias("_confirmed")), on=["body", "function"], how="left"
        )
    else:
        data = data.with_columns(_confirmed=pl.lit(None, pl.Boolean))
    return data.with_columns(
        outlier=(pl.col("outlier_peer") | pl.col("outlier_jump")) & pl.col("_confirmed").is_null()
    ).drop("_median", "_mad", "_confirmed")


def with_open_data(functions: pl.DataFrame, open_data: pl.DataFrame) -> pl.DataFrame:
    """The bodies' own figures, plus national open-data figures (``source`` = ``open_data``) for every body, year, phase
    and function the analysed ones lack: peers exist even when a province is the only one to use the product, and a
    body analysed by programme still has its mission-level figures for the bodies that uploaded missions only."""
    if not open_data.height:
        return functions
    missing = open_data.join(functions.select(*KEYS, "function").unique(), on=[*KEYS, "function"], how="anti")
    return pl.concat([functions, missing.with_columns(source=pl.lit("open_data"))], how="diagonal_relaxed")


def components(functions: pl.DataFrame, config: dict) -> pl.DataFrame:
    """Each component 0-1 (null when it cannot be measured: no peers, one year, flagged data)."""
    share = pl.col("total_cents") / pl.col("total_cents").sum().over(KEYS)
    potential = config["transformation_potential"]
    trend = config["trend"]
    functions = functions.with_columns(pl.lit(None, pl.Float64).alias(c) for c in SIGNALS if c not in functions.columns)
    return functions.with_columns(
        share_of_body=share,
        c_size=share / share.max().over(KEYS),
        c_manoeuvrability=(1 - pl.col("rigid_share")).clip(0, 1),
        c_transformation=pl.col("quadrant").replace_strict(potential, default=None, return_dtype=pl.Float64),
        c_peer_gap=pl.when(~pl.col("outlier") & (pl.col("peer_median_eur") > 0)).then(
            ((pl.col("per_capita_eur") / pl.col("peer_median_eur") - 1) / config["peer_gap"]["full_at"]).clip(0, 1)
        ),
        c_trend=pl.when(~pl.col("outlier")).then(
            (trend["neutral"] + trend["per_unit_growth"] * pl.col("growth")).clip(0, 1)
        ),
        c_status=pl.col("status").replace_strict(config["status_score"], default=0.0, return_dtype=pl.Float64),
        c_delivery=(1 - pl.col("commitment_capacity")).clip(0, 1),
    )


def score(frame: pl.DataFrame, weights: dict[str, float]) -> pl.DataFrame:
    """Score 0-100 = 100 · Σ w·c / Σ w over the components available for that function."""
    present = [c for c in COMPONENTS if f"c_{c}" in frame.columns]  # co-assessment only where ratings were joined
    num = pl.sum_horizontal([pl.col(f"c_{c}").fill_null(0) * weights.get(c, 0.0) for c in present])
    den = pl.sum_horizontal([pl.col(f"c_{c}").is_not_null().cast(pl.Float64) * weights.get(c, 0.0) for c in present])
    return frame.with_columns(score=(100 * num / den).round(2))


def tiers(frame: pl.DataFrame, method: str) -> pl.DataFrame:
    """Tier 1 (intervene first) to 4, within each body, year and phase."""
    s = pl.col("score")
    if method == "mean_sd":
        mean, sd = s.mean().over(KEYS), s.std().over(KEYS).fill_null(0)
        tier = pl.when(s >= mean + sd).then(1).when(s >= mean).then(2).when(s >= mean - sd).then(3).otherwise(4)
    elif method == "quartiles":
        rank = s.rank("ordinal", descending=True).over(KEYS)
        tier = ((rank - 1) * 4 // pl.len().over(KEYS)) + 1
    else:
        raise ValueError(f"unknown tier method {method!r}")
    return frame.with_columns(
        tier=tier.cast(pl.Int8), rank=s.rank("ordinal", descending=True).over(KEYS).cast(pl.Int32)
    )


REASON_TEXT = {
    "it": {
        "size": "pesa il {share:.0%} della spesa dell'ente",
        "manoeuvrability": "spesa manovrabile al {manoeuvrable:.0%} (rigida {rigid:.0%})",
        "transformation": "{quadrant}: margine per un nuovo modello di servizio",
        "peer_gap": "spesa per abitante {gap:+.0%} rispetto agli enti simili",
        "trend": "spesa in variazione del {growth:+.0%} l'anno",
        "status": "funzione {status}",
        "co_assessment": "utenti e Terzo settore ne valutano la qualità {quality:.1f} su 5",
        "delivery": "impegnato solo il {committed:.0%} dello stanziamento",
    },
    "en": {
        "size": "{share:.0%} of the body's spending",
        "manoeuvrability": "{manoeuvrable:.0%} manoeuvrable spending (rigid {rigid:.0%})",
        "transformation": "{quadrant}: room for a new delivery mode",
        "peer_gap": "spending per inhabitant {gap:+.0%} against peers",
        "trend": "spending changing {growth:+.0%} a year",
        "status": "{status} function",
        "co_assessment": "users and Third Sector bodies rate its quality {quality:.1f} out of 5",
        "delivery": "only {committed:.0%} of its appropriation committed",
    },
}


def reasons(
    row: dict, weights: dict[str, float], lang: str, top: int = 2, status_words: dict[str, str] | None = None
) -> str:
    """The components that contribute most to this function's score, in words."""
    contributions = sorted(
        ((row[f"c_{c}"] * weights.get(c, 0.0), c) for c in COMPONENTS if row.get(f"c_{c}") is not None), reverse=True
    )
    values = {
        "share": row.get("share_of_body") or 0,
        "manoeuvrable": 1 - (row.get("rigid_share") or 0),
        "rigid": row.get("rigid_share") or 0,
        "quadrant": row.get(f"service_type_{lang}") or row.get("quadrant") or "-",
        "growth": row.get("growth") or 0,
        "gap": (row["per_capita_eur"] / row["peer_median_eur"] - 1) if row.get("peer_median_eur") else 0,
        "status": (status_words or {}).get(row.get("status"), row.get("status")),
        "quality": 5 - 4 * (row.get("c_co_assessment") or 0),  # the component is 1 - (mean quality - 1) / 4
        "committed": row.get("commitment_capacity") or 0,
    }
    return "; ".join(REASON_TEXT[lang][c].format(**values) for weight, c in contributions[:top] if weight > 0)


def condition(column: str, spec: dict) -> pl.Expr:
    exprs = []
    for op, value in spec.items():
        if op == "in":
            exprs.append(pl.col(column).is_in(value))
        else:
            exprs.append(getattr(pl.col(column), OPS[op])(value))
    return pl.all_horizontal(exprs).fill_null(False)


def flags(frame: pl.DataFrame, rules: list[dict]) -> pl.DataFrame:
    """``flags``: list of rule codes whose conditions all hold (rules from ``data/portfolio/rules.yaml``). A signal
    measured only on final accounts (``SIGNALS``) may be absent: its conditions do not hold; any other unknown column is
    an error."""
    frame = frame.with_columns(pl.lit(None, pl.Float64).alias(c) for c in SIGNALS if c not in frame.columns)
    hits = [
        pl.when(pl.all_horizontal([condition(c, spec) for c, spec in rule["when"].items()])).then(pl.lit(rule["code"]))
        for rule in rules
    ]
    return frame.with_columns(flags=pl.concat_list(hits).list.drop_nulls())


def _without(codes: list[str]) -> pl.Expr:
    """``flags`` without ``codes``, in their order."""
    return pl.col("flags").list.eval(pl.element().filter(~pl.element().is_in(codes)))


def consistent(frame: pl.DataFrame, through: pl.Expr, rules: dict) -> pl.DataFrame:
    """``flags`` made consistent (``data/plans/consistency.yaml``): none of ``not_on_pass_through`` where ``through``
    holds, and of each ``never_together`` group only the first flag present (a group is in order of precedence)."""
    barred = [r["code"] for r in rules.get("not_on_pass_through", [])]
    if barred:
        frame = frame.with_columns(flags=pl.when(through).then(_without(barred)).otherwise(pl.col("flags")))
    for group in rules.get("never_together", []):
        for position, code in enumerate(group["flags"][1:], start=1):
            earlier = pl.any_horizontal([pl.col("flags").list.contains(b) for b in group["flags"][:position]])
            frame = frame.with_columns(flags=pl.when(earlier).then(_without([code])).otherwise(pl.col("flags")))
    return frame


def weight_sensitivity(frame: pl.DataFrame, weights: dict[str, float], method: str, change: float) -> pl.DataFrame:
    """Functions whose tier changes when one weight moves by ±change (e.g. ±20 %)."""
    base = tiers(score(frame, weights), method).select(*KEYS, "function", pl.col("tier").alias("tier_before"))
    moved = []
    for component in [c for c in COMPONENTS if weights.get(c)]:  # a weight of 0 moved by 20 % stays 0
        for factor in (1 - change, 1 + change):
            shifted = {**weights, component: weights[component] * factor}
            after = tiers(score(frame, shifted), method).select(*KEYS, "function", pl.col("tier").alias("tier_after"))
            changed = base.join(after, on=[*KEYS, "function"]).filter(pl.col("tier_before") != pl.col("tier_after"))
            moved.append(changed.with_columns(weight=pl.lit(component), factor=pl.lit(factor)))
    return pl.concat(moved)
