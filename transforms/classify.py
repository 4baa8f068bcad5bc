"""The Ruffini matrix: each function placed by spending type × degree of authority (pure polars).

x = transfer share, y = authority score. A function is on the *transfer* side when x >= the
spending threshold and *high* authority when y >= the authority threshold: ties go to
transfers and to high authority (documented rule). The quadrant gives the kind of service and
the governance mode the method recommends (``data/classification/quadrants.csv``). Functions
that are not service lines, have no macroaggregate detail, or spend (almost) nothing are kept,
with ``quadrant`` null and the reason in words.

A mission given only as a total (``coarse``) is treated as ``data/classification/mission_level.csv`` says:
a service mission is classified (and drawn marked "dettaglio per missione"); mission 01 (internal support
mixed with 01.08 and 01.09: reason ``mission_total``) and the technical missions 20, 50, 60, 99 (``technical``,
as their programmes) never are, each with the file's words. Technical functions, at either level, show the amount of
every title.
"""

from __future__ import annotations

import polars as pl

KEYS = ["body", "year", "phase", "function"]
ATTRIBUTE_WORDS = {
    "it": {
        "permits": "autorizzazioni",
        "controls": "controlli",
        "binding_plans": "piani vincolanti",
        "allocation": "allocazione di risorse",
    },
    "en": {
        "permits": "permits",
        "controls": "controls",
        "binding_plans": "binding plans",
        "allocation": "allocation of funds",
    },
}
REASONS = {
    "technical": (
        "programma tecnico (fondi, debito, anticipazioni, partite di giro): non è una linea di servizio; importo di "
        "tutti i titoli",
        "technical programme (funds, debt, advances, clearing items): not a service line; amount of every title",
    ),
    "regions_only": ("programma riservato alle Regioni", "programme reserved to the Regions"),
    "support": ("funzione di supporto interno all'ente", "internal support function"),
    "no_detail": (
        "nessun dettaglio per macroaggregato: tipo di spesa non misurabile",
        "no macroaggregate detail: spending type cannot be measured",
    ),
    "negligible": ("spesa nulla o trascurabile", "no or negligible spending"),
    "unknown": ("programma senza riga nel catalogo dell'autorità", "programme missing from the authority catalogue"),
}
MISSION_TOTAL = "mission_total"  # mission 01 as a total; its words are its own in data/classification/mission_level.csv


def side(share: pl.Expr, threshold: float) -> pl.Expr:
    """Tie rule: a value equal to the threshold goes to the upper side (transfers, high authority)."""
    return share >= threshold


def place(
    metrics: pl.DataFrame,
    authority: pl.DataFrame,
    mission_authority: pl.DataFrame,
    body_totals: pl.DataFrame,
    config: dict,
    mission_level: pl.DataFrame,
) -> pl.DataFrame:
    """Join metrics with authority and decide, for every function, whether it can be classified.

    ``mission_level`` (``code``, ``name``, ``kind``, ``reason_it``, ``reason_en``: ``sources.catalogues.mission_level``
    with the missions' names) says how a function given only as a mission total is treated."""
    negligible = config["negligible"]
    programmes = metrics.filter(~pl.col("coarse")).join(
        authority.rename({"programma": "function"}), on=["body", "function"], how="left"
    )
    level = mission_level.select(
        pl.col("code").alias("function"),
        "name",
        "kind",
        pl.col("reason_it").alias("mission_reason_it"),
        pl.col("reason_en").alias("mission_reason_en"),
    )
    missions = (
        metrics.filter(pl.col("coarse"))
        .join(mission_authority.rename({"missione": "function"}), on=["body", "function"], how="left")
        .join(level, on="function", how="left")
        .with_columns(
            override_note=pl.lit(None, pl.String),
            justification=pl.lit("media dei programmi di servizio della missione", pl.String),
        )
    )
    data = (
        pl.concat([programmes, missions], how="diagonal_relaxed")
        .join(
            body_totals.select("body", "year", "phase", pl.col("total_cents").alias("body_total_cents")),
            on=["body", "year", "phase"],
            how="left",
        )
        .with_columns(  # technical functions show what the file holds on every title, at both levels of detail
            total_cents=pl.when(pl.col("kind") == "technical")
            .then(pl.col("all_titles_cents"))
            .otherwise(pl.col("total_cents"))
        )
    )
    tiny = (pl.col("total_cents").fill_null(0) <= negligible["min_euro"] * 100) | (
        pl.col("total_cents").fill_null(0) < negligible["min_share_of_body"] * pl.col("body_total_cents")
    )
    reason = (
        pl.when(pl.col("kind").is_null())
        .then(pl.lit("unknown"))
        .when(pl.col("kind") == "technical")
        .then(pl.lit("technical"))
        .when(pl.col("coarse") & (pl.col("kind") != "service"))
        .then(pl.lit(MISSION_TOTAL))
        .when(pl.col("kind") == "regions_only")
        .then(pl.lit("regions_only"))
        .when(pl.col("kind") == "support")
        .then(pl.lit("support"))
        .when(~pl.col("has_macro_detail"))
        .then(pl.lit("no_detail"))
        .when(tiny)
        .then(pl.lit("negligible"))
    )
    return data.with_columns(not_classified=reason)


def classify(
    placed: pl.DataFrame, quadrants: pl.DataFrame, spending_threshold: float, authority_threshold: float, margin: float
) -> pl.DataFrame:
    """Quadrant, service type, governance mode, distances, borderline flag and explanation."""
    ok = pl.col("not_classified").is_null()
    x, y = pl.col("transfer_share"), pl.col("authority")
    placed = placed.with_columns(
        pl.lit(None, pl.String).alias(c) for c in ("mission_reason_it", "mission_reason_en") if c not in placed.columns
    )
    table = quadrants.with_columns(
        _transfer=pl.col("spending") == "transfer", _high=pl.col("authority") == "high"
    ).drop("authority", "spending")
    out = placed.with_columns(
        _transfer=pl.when(ok).then(side(x.round(12), spending_threshold)),
        _high=pl.when(ok).then(side(y.round(12), authority_threshold)),
        # rounded so that 0.6 - 0.5 is exactly 0.1 (binary noise must not flip the borderline flag)
        distance_spending=pl.when(ok).then((x - spending_threshold).round(12)),
        distance_authority=pl.when(ok).then((y - authority_threshold).round(12)),
    ).join(table, on=["_transfer", "_high"], how="left")
    out = out.with_columns(
        borderline=pl.when(ok).then(
            (pl.col("distance_spending").abs() < margin) | (pl.col("distance_authority").abs() < margin)
        ),
        spending_threshold=pl.lit(spending_threshold),
        authority_threshold=pl.lit(authority_threshold),
    ).drop("_transfer", "_high")
    return out.with_columns(explanation_it=_explanation("it"), explanation_en=_explanation("en"))


def _percent(share: pl.Expr) -> pl.Expr:
    return (share * 100).round(0).cast(pl.Int64).cast(pl.String) + pl.lit("%")


def _decimal(value: pl.Expr, lang: str) -> pl.Expr:
    text = value.round(2).cast(pl.String).str.pad_end(4, "0")
    return text.str.replace(".", ",", literal=True) if lang == "it" else text


def _strong_attributes(lang: str) -> pl.Expr:
    words = [pl.when(pl.col(a) >= 2).then(pl.lit(word)) for a, word in ATTRIBUTE_WORDS[lang].items()]
    return pl.concat_str(words, separator=", ", ignore_nulls=True)


def _explanation(lang: str) -> pl.Expr:
    """E.g. 'Trasferimenti 72% della spesa; autorità alta (0,75: autorizzazioni, controlli) → servizi di allocazione →
    network'."""
    it = lang == "it"
    transfer = pl.col("transfer_share") >= pl.col("spending_threshold")
    spending = (
        pl.when(transfer)
        .then(
            pl.lit("Trasferimenti " if it else "Transfers ")
            + _percent(pl.col("transfer_share"))
            + pl.lit(" della spesa" if it else " of spending")
        )
        .otherwise(
            pl.lit("Spesa di funzionamento " if it else "Operating spending ")
            + _percent(1 - pl.col("transfer_share"))
            + pl.lit(" (trasferimenti " if it else " (transfers ")
            + _percent(pl.col("transfer_share"))
            + pl.lit(")")
        )
    )
    level = (
        pl.when(pl.col("authority") >= pl.col("authority_threshold"))
        .then(pl.lit("alta" if it else "high"))
        .otherwise(pl.lit("bassa" if it else "low"))
    )
    strong = _strong_attributes(lang)
    detail = pl.when(strong != "").then(pl.lit(": ") + strong).otherwise(pl.lit(""))
    dd = (
        pl.when(pl.col("direct_delivery") >= 2)
        .then(pl.lit("; erogazione diretta" if it else "; direct delivery"))
        .otherwise(pl.lit(""))
    )
    authority = (
        pl.lit("autorità " if it else "authority ")
        + level
        + pl.lit(" (")
        + _decimal(pl.col("authority"), lang)
        + detail
        + dd
        + pl.lit(")")
    )
    service = pl.col("service_type_it" if it else "service_type_en")
    mode = pl.col("governance_it" if it else "governance_en")
    sentence = pl.concat_str(spending, pl.lit("; "), authority, pl.lit(" → "), service, pl.lit(" → "), mode)
    # a mission given as a total says why in its own words (mission_level.csv); a programme, in the code's
    reasons = pl.coalesce(
        pl.col(f"mission_reason_{lang}"),
        pl.col("not_classified").replace_strict(
            {k: v[0 if it else 1] for k, v in REASONS.items()}, default=None, return_dtype=pl.String
        ),
    )
    prefix = pl.lit("Non classificata: " if it else "Not classified: ")
    return pl.when(pl.col("not_classified").is_null()).then(sentence).otherwise(prefix + reasons)


def threshold_sensitivity(
    placed: pl.DataFrame,
    quadrants: pl.DataFrame,
    spending_threshold: float,
    authority_threshold: float,
    margin: float,
    steps: list[float],
) -> pl.DataFrame:
    """Functions that change quadrant when one threshold moves by ± each step (the other fixed)."""
    base = classify(placed, quadrants, spending_threshold, authority_threshold, margin).select(
        *KEYS, pl.col("quadrant").alias("quadrant_before")
    )
    moved = []
    for axis in ("spending", "authority"):
        for step in sorted({s for s in steps} | {-s for s in steps}):
            shifted = classify(
                placed,
                quadrants,
                spending_threshold + (step if axis == "spending" else 0.0),
                authority_threshold + (step if axis == "authority" else 0.0),
                margin,
            ).select(*KEYS, pl.col("quadrant").alias("quadrant_after"))
            changed = base.join(shifted, on=KEYS).filter(pl.col("quadrant_before") != pl.col("quadrant_after"))
            moved.append(changed.with_columns(axis=pl.lit(axis), step=pl.lit(step)))
    schema = {
        **{k: pl.String for k in KEYS},
        "year": pl.Int32,
        "quadrant_before": pl.String,
        "quadrant_after": pl.String,
        "axis": pl.String,
        "step": pl.Float64,
    }
    return pl.concat(moved, how="vertical_relaxed") if moved else pl.DataFrame(schema=schema)


def movement(classified: pl.DataFrame) -> pl.DataFrame:
    """For each function present in two consecutive available years (same body and phase): where it was and is."""
    keep = (
        classified.filter(pl.col("quadrant").is_not_null())
        .select("body", "phase", "function", "year", "quadrant", "transfer_share", "authority")
        .sort("body", "phase", "function", "year")
    )
    previous = keep.with_columns(
        [
            pl.col(c).shift(1).over("body", "phase", "function").alias(f"{c}_before")
            for c in ("year", "quadrant", "transfer_share", "authority")
        ]
    ).filter(pl.col("year_before").is_not_null())
    return previous.select(
        "body",
        "phase",
        "function",
        "year_before",
        "year",
        "quadrant_before",
        pl.col("quadrant").alias("quadrant_now"),
        (pl.col("transfer_share") - pl.col("transfer_share_before")).alias("shift_spending"),
        (pl.col("authority") - pl.col("authority_before")).alias("shift_authority"),
        (pl.col("quadrant") != pl.col("quadrant_before")).alias("changed_quadrant"),
    )
