"""Peers a planner can check (pure polars): who they are, at the same level of detail, with their values.

* **Groups** (``peer_groups``): the planner chooses the rule (``data/portfolio/priorities.yaml`` › ``peers``, or the
  run configuration of ``peer_benchmarks``): ``population`` (same type, population band widened until enough),
  ``type`` (every loaded body of the same type), ``region`` (every loaded body of the same region) or ``list``
  (the bodies named).
* **Same detail**: a function given only as a mission total (``04``) is compared with the peers' mission totals,
  a programme (``04.02``) with the peers' programmes, never a mix. A body analysed by programme is rolled up to
  its missions (``transforms.missions.rollup``) so that mission-level bodies have peers.
* **Named**: every median comes with the peers and their values (``peer_bodies``, ``peer_values_eur``), and with the
  peers of the group that lack the function and why (``peers_lacking``, ``peers_lacking_why``: a code, put in words
  by the outputs).
"""

from __future__ import annotations

import polars as pl

KEYS = ["body", "year", "phase"]
RULES = ("population", "type", "region", "list")


def peer_groups(bodies: pl.DataFrame, present: pl.DataFrame, config: dict) -> pl.DataFrame:
    """For each body: comparable bodies among those loaded, by the chosen rule (``config["group"]``, default
    population).

    ``bodies``: body, metro, population (and region for ``region``). ``present``: body, year, phase (what is loaded).
    Returns body, year, phase, peer, band (the population band, for ``population`` only), rule.
    """
    rule = config.get("group") or "population"
    if rule not in RULES:
        raise ValueError(f"unknown peer group {rule!r}: {' | '.join(RULES)}")
    pairs = present.join(present.select(pl.col("body").alias("peer"), "year", "phase"), on=["year", "phase"]).filter(
        pl.col("body") != pl.col("peer")
    )
    info = bodies.select("body", "metro", "population", *(["region"] if "region" in bodies.columns else []))
    pairs = pairs.join(info, on="body").join(
        info.rename({c: f"peer_{c}" for c in info.columns if c != "body"}).rename({"body": "peer"}), on="peer"
    )
    if rule == "list":
        chosen = pairs.filter(pl.col("peer").is_in(list(config.get("list") or [])))
        return chosen.select(*KEYS, "peer", pl.lit(None, pl.Float64).alias("band"), pl.lit(rule).alias("rule"))
    if rule == "region":
        return pairs.filter(pl.col("region") == pl.col("peer_region")).select(
            *KEYS, "peer", pl.lit(None, pl.Float64).alias("band"), pl.lit(rule).alias("rule")
        )
    if config.get("same_type", True) or rule == "type":
        pairs = pairs.filter(pl.col("metro") == pl.col("peer_metro"))
    if rule == "type":
        return pairs.select(*KEYS, "peer", pl.lit(None, pl.Float64).alias("band"), pl.lit(rule).alias("rule"))
    pairs = pairs.with_columns(distance=(pl.col("peer_population") / pl.col("population") - 1).abs())
    bands = []
    band = config["start_band"]
    while band <= config["max_band"] + 1e-9:
        bands.append(band)
        band += config["widen_step"]
    chosen = pl.lit(None, pl.Float64)
    counts = {b: (pl.col("distance") <= b).sum().over(KEYS) for b in bands}
    for b in reversed(bands):
        chosen = pl.when(counts[b] >= config["min_peers"]).then(pl.lit(b)).otherwise(chosen)
    return (
        pairs.with_columns(band=pl.coalesce(chosen, pl.lit(bands[-1])))
        .filter(pl.col("distance") <= pl.col("band"))
        .select(*KEYS, "peer", "band", pl.lit(rule).alias("rule"))
    )


def peer_medians(functions: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Median spending per inhabitant (and transfer share, where the peers have macroaggregate detail) of each body's
    peers, per function, leaving out flagged values; the peers and their values (sorted by peer), and
    ``peers_open_data``: how many of them come from open data."""
    source = pl.col("source") if "source" in functions.columns else pl.lit("upload")
    share = pl.col("transfer_share") if "transfer_share" in functions.columns else pl.lit(None, pl.Float64)
    clean = functions.filter(~pl.col("outlier")).select(
        pl.col("body").alias("peer"),
        "year",
        "phase",
        "function",
        pl.col("per_capita_eur").alias("_peer_value"),
        share.alias("_peer_share"),
        (source == "open_data").alias("_open"),
    )
    joined = groups.join(clean, on=["peer", "year", "phase"]).sort("peer")
    return joined.group_by(*KEYS, "function").agg(
        peer_median_eur=pl.col("_peer_value").median(),
        peers=pl.len(),
        peer_transfer_share=pl.col("_peer_share").median(),
        peers_open_data=pl.col("_open").sum(),
        peer_bodies=pl.col("peer"),
        peer_values_eur=pl.col("_peer_value"),
    )


def lacking_peers(
    wanted: pl.DataFrame, groups: pl.DataFrame, compared: pl.DataFrame, matrix: pl.DataFrame
) -> pl.DataFrame:
    """For each function of ``wanted`` (body, year, phase, function): the peers of its group without a value, and why.

    ``compared``: every peer value considered (with ``outlier``); ``matrix``: every function of every body (classified
    or not, with ``not_classified`` and ``coarse``). Why, in order: ``outlier`` (flagged, left out of the median), the
    peer's own reason for not classifying it (``negligible``, ``no_detail``, …), ``mission_only`` (the peer has only
    mission totals that year, the function is a programme), else ``no_spending``."""
    pairs = wanted.select(*KEYS, "function").unique().join(groups.select(*KEYS, "peer"), on=KEYS)
    seen = compared.select(
        pl.col("body").alias("peer"), "year", "phase", "function", pl.col("outlier").alias("_outlier")
    )
    own = matrix.select(
        pl.col("body").alias("peer"), "year", "phase", "function", pl.col("not_classified").alias("_reason")
    )
    coarse_years = matrix.group_by(pl.col("body").alias("peer"), "year", "phase").agg(
        _coarse=pl.col("coarse").fill_null(False).all()
    )
    missing = pairs.join(seen, on=["peer", "year", "phase", "function"], how="left").filter(
        pl.col("_outlier").is_null() | pl.col("_outlier")
    )
    why = missing.join(own, on=["peer", "year", "phase", "function"], how="left").join(
        coarse_years, on=["peer", "year", "phase"], how="left"
    )
    why = why.with_columns(
        why=pl.when(pl.col("_outlier").fill_null(False))
        .then(pl.lit("outlier"))
        .when(pl.col("_reason").is_not_null())
        .then(pl.col("_reason"))
        .when(pl.col("_coarse").fill_null(False) & (pl.col("function").str.len_chars() > 2))
        .then(pl.lit("mission_only"))
        .otherwise(pl.lit("no_spending"))
    )
    return (
        why.sort("peer").group_by(*KEYS, "function").agg(peers_lacking=pl.col("peer"), peers_lacking_why=pl.col("why"))
    )
