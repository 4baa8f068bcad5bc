"""The charts of a body's page and of the national overview (Altair specs): movement, priorities, composition, peers,
the national chart; one function highlighted across every chart of a page (the drop-down sets ``highlight``)."""

from __future__ import annotations

import altair as alt
import polars as pl

from dashboards.charts import (
    OKABE_ITO,
    TIER_COLOURS,
    TIP_WORDS,
    dimmed_unless_highlighted,
    matrix_chart,
    matrix_x_scale,
    tip,
)
from dashboards.words import label, peer_values
from sources.catalogues import quadrant_names
from sources.reference import body_name

HIGHLIGHT = "highlight"  # one function highlighted across every chart of a page (the page's drop-down sets it)


def highlighted(chart: alt.Chart) -> alt.Chart:
    """Dim every mark but the highlighted function's (all marks at full strength when none is chosen)."""
    return chart.encode(opacity=dimmed_unless_highlighted(1.0))


def with_highlight(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.add_params(alt.param(name=HIGHLIGHT, value=None))


def movement_chart(movement: pl.DataFrame, lang: str) -> alt.TopLevelMixin:
    data = movement.select("function", "transfer_before", "authority_before", "transfer_share", "authority")
    base = alt.Chart(data)
    arrows = base.mark_rule(color="#555").encode(
        x=alt.X(
            "transfer_before:Q",
            scale=matrix_x_scale(),
            axis=alt.Axis(format="%"),
            title="← trasferimenti · spesa di funzionamento →"
            if lang == "it"
            else "← transfers · operating spending →",
        ),
        x2=alt.X2("transfer_share:Q"),
        y=alt.Y(
            "authority_before:Q", scale=alt.Scale(domain=[0, 1]), title="Autorità" if lang == "it" else "Authority"
        ),
        y2=alt.Y2("authority:Q"),
    )
    heads = highlighted(
        base.mark_point(shape="triangle-up", filled=True, size=60, color="#D55E00").encode(
            x=alt.X("transfer_share:Q"), y=alt.Y("authority:Q"), tooltip=[tip("function:N", lang)]
        )
    )
    labels = base.mark_text(dx=8, dy=-8, fontSize=10).encode(
        x=alt.X("transfer_share:Q"), y=alt.Y("authority:Q"), text=alt.Text("function:N")
    )
    return with_highlight(alt.layer(highlighted(arrows), heads, labels)).properties(
        width=560, height=360
    )  # flat: fewer copies


COMPONENT_IT = {
    "size": "dimensione",
    "manoeuvrability": "manovrabilità",
    "transformation": "trasformabilità",
    "peer_gap": "scarto dai pari",
    "trend": "tendenza",
    "status": "stato",
    "co_assessment": "valutazioni",
    "delivery": "attuazione",
}


CLASS_IT = {
    "operating": "funzionamento",
    "transfer": "trasferimenti",
    "financial": "finanziaria",
    "excluded": "esclusa",
}


def priorities_chart(ranked: pl.DataFrame, weights: dict, lang: str) -> alt.TopLevelMixin:
    parts = []
    for component, weight in weights.items():
        if not weight or ranked[f"c_{component}"].fill_null(0).max() in (None, 0):
            continue  # nothing drawn for it: no legend entry either
        label = COMPONENT_IT[component] if lang == "it" else component.replace("_", " ")
        parts.append(
            ranked.select(
                "function",
                "rank",
                "tier",
                pl.lit(label).alias("component"),
                (pl.col(f"c_{component}").fill_null(0) * weight * 100).alias("points"),
            )
        )
    data = pl.concat(parts)
    return with_highlight(
        highlighted(alt.Chart(data).mark_bar())
        .encode(
            y=alt.Y("function:N", sort=alt.SortField("rank"), title=None),
            x=alt.X("sum(points):Q", title="Punteggio (0-100)" if lang == "it" else "Score (0-100)"),
            color=alt.Color("component:N", scale=alt.Scale(range=OKABE_ITO), title=None),
            tooltip=[
                tip("function:N", lang),
                tip("component:N", lang),
                tip("points:Q", lang, format=".1f"),
                tip("tier:N", lang),
            ],
        )
        .properties(width=560, height=max(160, 14 * ranked.height))
    )


def composition_chart(functions: pl.DataFrame, lang: str) -> alt.TopLevelMixin:
    shares = (
        functions.filter(pl.col("total_cents") > 0)
        .unpivot(
            index=["function", "rigid_share"],
            on=["operating_share", "transfer_share", "financial_share", "excluded_share"],
            variable_name="class",
            value_name="share",
        )
        .with_columns(pl.col("class").str.replace("_share", ""))
    )
    if lang == "it":
        shares = shares.with_columns(pl.col("class").replace_strict(CLASS_IT, return_dtype=pl.String))
    data = shares
    bars = highlighted(alt.Chart(data).mark_bar()).encode(
        y=alt.Y("function:N", title=None),
        x=alt.X("sum(share):Q", axis=alt.Axis(format="%"), title=None),
        color=alt.Color(
            "class:N",
            scale=alt.Scale(domain=list(CLASS_IT.values()) if lang == "it" else list(CLASS_IT), range=TIER_COLOURS),
            title=None,
        ),
        tooltip=[tip("function:N", lang), tip("class:N", lang), tip("share:Q", lang, format=".0%")],
    )
    rigid = (
        alt.Chart(data)
        .mark_tick(color="black", thickness=2)
        .encode(
            y=alt.Y("function:N"),
            x=alt.X("rigid_share:Q"),
            tooltip=[alt.Tooltip("rigid_share:Q", format=".0%", title="rigida" if lang == "it" else "rigid")],
        )
    )
    return with_highlight(bars + rigid).properties(width=560, height=max(160, 14 * shares["function"].n_unique()))


def peers_chart(ranked: pl.DataFrame, lang: str) -> alt.TopLevelMixin:
    chosen = ranked.filter(pl.col("peer_median_eur").is_not_null())
    named_peers = (
        [peer_values(r, lang) for r in chosen.iter_rows(named=True)]
        if "peer_bodies" in chosen.columns
        else [""] * chosen.height
    )
    data = chosen.select("function", "per_capita_eur", "peer_median_eur").with_columns(
        peer_list=pl.Series(named_peers, dtype=pl.String)
    )
    base = alt.Chart(data)
    bars = highlighted(base.mark_bar(color="#56B4E9")).encode(
        y=alt.Y("function:N", title=None),
        x=alt.X("per_capita_eur:Q", title="€ / abitante" if lang == "it" else "€ per inhabitant"),
        tooltip=[
            tip("function:N", lang),
            tip("per_capita_eur:Q", lang, format=",.2f"),
            tip("peer_median_eur:Q", lang, format=",.2f"),
            tip("peer_list:N", lang),
        ],
    )
    ticks = base.mark_tick(color="black", thickness=2, size=14).encode(
        y=alt.Y("function:N"), x=alt.X("peer_median_eur:Q")
    )
    return with_highlight(bars + ticks).properties(width=560, height=max(120, 14 * len(data)))


def quadrant_words(lang: str) -> dict[str, str]:
    """The national overview's quadrant keys in words: the names of ``quadrants.csv``, and the share not classified."""
    return {**quadrant_names(lang), "non_classificata": label("unclassified_share", lang)}


def overview_names(overview: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Each body's name, marked "dettaglio per missione" when its year has mission totals only; ``order``:
    programme-level bodies first, then the mission-level ones, so that the chart never puts them side by side
    unmarked."""
    coarse = pl.col("coarse").fill_null(False) if "coarse" in overview.columns else pl.lit(False)
    name = pl.col("body").map_elements(body_name, return_dtype=pl.String)
    return (
        overview.with_columns(
            name=pl.when(coarse).then(name + pl.lit(f" ({label('mission_detail', lang)})")).otherwise(name),
            _coarse=coarse,
        )
        .with_columns(order=pl.col("_coarse").cast(pl.Int32) * 1000 + pl.col("name").rank("dense").cast(pl.Int32))
        .drop("_coarse")
    )


def national_chart(overview: pl.DataFrame, lang: str) -> alt.TopLevelMixin:
    data = overview_names(overview, lang).with_columns(
        pl.col("quadrant").replace_strict(quadrant_words(lang), default=pl.col("quadrant"), return_dtype=pl.String)
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", title=None, sort=alt.EncodingSortField("order", op="min"), axis=alt.Axis(labelLimit=400)),
            x=alt.X("sum(share):Q", axis=alt.Axis(format="%"), title=None),
            color=alt.Color("quadrant:N", scale=alt.Scale(range=OKABE_ITO), title=None),
            href=alt.Href("page:N"),
            tooltip=[
                alt.Tooltip("name:N", title=TIP_WORDS[lang]["body"]),
                tip("quadrant:N", lang),
                tip("share:Q", lang, format=".0%"),
            ],
        )
        .properties(width=560, height=max(120, 16 * overview["body"].n_unique()))
    )


def body_charts(functions, ranked, moved, weights, parameters, lang) -> dict:
    """The page's charts by name (also exported as PNG and SVG on request)."""
    points = functions.filter(pl.col("quadrant").is_not_null())
    charts = {}
    if points.height:
        charts["matrix"] = matrix_chart(points, parameters["thresholds"], lang, interactive=True)
    if moved.height:
        charts["movement"] = movement_chart(moved, lang)
    if ranked.height:
        charts["priorities"] = priorities_chart(ranked, weights, lang)
    services = (
        functions.filter(pl.col("kind").fill_null("") != "technical") if "kind" in functions.columns else functions
    )
    if (
        services["operating_share"].is_not_null().any()
    ):  # mission totals without macroaggregates: the composition cannot be measured
        charts["composition"] = composition_chart(services, lang)
    if ranked.height and ranked["peer_median_eur"].is_not_null().any():
        charts["peers"] = peers_chart(ranked, lang)
    return charts
