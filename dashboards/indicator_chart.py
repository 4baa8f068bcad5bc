"""The body's execution indicators against its peers, for the page: one row per indicator, the peers' range (minimum to
maximum), their middle half (first to third quartile) and median, and the body's own value on top; beside the chart,
the same figures as a table, with the peers named and why an empty indicator is empty.

The figures come from ``core.execution_indicators`` (the body's) and ``core.indicator_peers`` (where it stands).
"""

from __future__ import annotations

import altair as alt
import polars as pl

from dashboards.charts import OKABE_ITO
from dashboards.words import indicator_missing, label, peer_shares
from sources.catalogues import indicator_catalogue
from transforms.figures import percent

FIELDS = ("value", "peer_min", "peer_q1", "peer_median", "peer_q3", "peer_max")


def body_standing(indicators: pl.DataFrame | None, standing: pl.DataFrame | None, lang: str) -> pl.DataFrame:
    """The body-level indicators in catalogue order, with their label, the peers' figures (null without peers) and the
    reason an empty one is empty."""
    if indicators is None or indicators.is_empty():
        return pl.DataFrame()
    catalogue = (
        indicator_catalogue()
        .with_row_index("order")
        .select("order", "indicator", pl.col(f"label_{lang}").alias("label"))
    )
    own = indicators.filter(pl.col("detail") == "body").select("indicator", "value", "missing")
    if standing is not None and standing.height:
        peers = standing.filter(pl.col("detail") == "body").select(
            "indicator", *FIELDS[1:], "peers", "peers_below", "peer_bodies", "peer_values"
        )
        own = own.join(peers, on="indicator", how="left")
    else:
        own = own.with_columns(
            *(pl.lit(None, pl.Float64).alias(c) for c in FIELDS[1:]),
            peers=pl.lit(None, pl.UInt32),
            peers_below=pl.lit(None, pl.UInt32),
            peer_bodies=pl.lit(None, pl.List(pl.String)),
            peer_values=pl.lit(None, pl.List(pl.Float64)),
        )
    return (
        catalogue.join(own, on="indicator")
        .sort("order")
        .with_columns(why=pl.col("missing").map_elements(lambda m: indicator_missing(m, lang), return_dtype=pl.String))
    )


def indicators_chart(rows: pl.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Peers' range as a thin rule, their middle half as a bar, the median as a tick, the body as a dot."""
    words = label("indicator_chart", lang)
    data = (
        rows.filter(pl.col("value").is_not_null())
        .with_columns(
            peer_list=pl.struct("peer_bodies", "peer_values").map_elements(
                lambda r: peer_shares(r["peer_bodies"], r["peer_values"], lang), return_dtype=pl.String
            )
        )
        .select("label", "order", *FIELDS, "peers", "peer_list")
    )
    y = alt.Y("label:N", title=None, sort=alt.EncodingSortField("order", op="min"), axis=alt.Axis(labelLimit=320))
    x = alt.X("value:Q", title=words["axis"], axis=alt.Axis(format=".0%"))
    tooltip = [
        alt.Tooltip("label:N", title=words["indicator"]),
        alt.Tooltip("value:Q", title=words["body"], format=".1%"),
        alt.Tooltip("peer_median:Q", title=words["median"], format=".1%"),
        alt.Tooltip("peer_q1:Q", title=words["q1"], format=".1%"),
        alt.Tooltip("peer_q3:Q", title=words["q3"], format=".1%"),
        alt.Tooltip("peers:Q", title=words["peers"]),
        alt.Tooltip("peer_list:N", title=words["peer_list"]),
    ]
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    spread = base.mark_rule(color="#999999").encode(x=alt.X("peer_min:Q"), x2="peer_max:Q")
    middle = base.mark_bar(color=OKABE_ITO[2], opacity=0.45, size=14).encode(x=alt.X("peer_q1:Q"), x2="peer_q3:Q")
    median = base.mark_tick(color="black", thickness=2, size=18).encode(x=alt.X("peer_median:Q"))
    body = base.mark_point(filled=True, size=90, color=OKABE_ITO[5], opacity=1).encode(x=x)
    return alt.layer(spread, middle, median, body).properties(width=520, height=max(90, 34 * len(data)))


def indicators_table(rows: pl.DataFrame, lang: str) -> dict:
    """The chart's figures as a table: the body, the peers' median and quartiles, the peers named, or why it is
    empty."""
    words = label("indicator_chart", lang)

    def standing(r: dict) -> str:
        if r["value"] is None:
            return r["why"]
        if not r["peers"]:
            return words["no_peers"]
        below = words["below_one" if r["peers_below"] == 1 else "below"].format(
            below=r["peers_below"], peers=r["peers"]
        )
        return below + ": " + peer_shares(r["peer_bodies"], r["peer_values"], lang)

    body_rows = [
        [
            r["label"],
            percent(r["value"], lang) if r["value"] is not None else "",
            percent(r["peer_median"], lang) if r["peer_median"] is not None else "",
            f"{percent(r['peer_q1'], lang)} – {percent(r['peer_q3'], lang)}" if r["peer_q1"] is not None else "",
            standing(r),
        ]
        for r in rows.iter_rows(named=True)
    ]
    return {"header": words["header"], "rows": body_rows}


def indicators_section(
    indicators: pl.DataFrame | None, standing: pl.DataFrame | None, lang: str
) -> tuple[alt.TopLevelMixin | None, dict | None]:
    """The chart (when at least one indicator has a value and peers) and its table; nothing for a body without
    indicators."""
    rows = body_standing(indicators, standing, lang)
    if rows.is_empty():
        return None, None
    drawn = rows.filter(pl.col("value").is_not_null(), pl.col("peer_median").is_not_null())
    return (indicators_chart(rows, lang) if drawn.height else None), indicators_table(rows, lang)
