"""Altair charts. The Ruffini matrix is drawn as the seed draws it: spending type across, with
**transfers on the left and operating spending on the right** (the transfer share axis runs from
100 % to 0 %), authority up; allocation top-left, regulation top-right, indirect bottom-left,
direct bottom-right. Threshold lines, the four quadrants labelled with service type and governance
mode, circles for retained and squares for transferred functions (triangles for delegated and
non-fundamental ones); code labels placed so that they do not overlap, names in the tooltips."""

from __future__ import annotations

import json
import threading

import altair as alt
import polars as pl
import vl_convert as vlc

from dashboards.label_layout import SIZE_RANGE, Box
from dashboards.matrix_labels import X_DOMAIN, Y_DOMAIN, corner_layers, corners, label_layers, label_rows
from dashboards.words import label
from sources.catalogues import status_labels, statuses

SHAPES = dict(zip(statuses()["status"], statuses()["shape"]))
STATUS_IT = status_labels("it")
TIER_COLOURS = ["#0072B2", "#56B4E9", "#E69F00", "#999999"]  # Okabe-Ito, colour-blind safe
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]


TIP_WORDS = {  # tooltip titles: words, never column names
    "it": {
        "function": "codice",
        "name": "funzione",
        "stato": "stato",
        "spesa": "spesa",
        "transfer_share": "trasferimenti",
        "authority": "autorità",
        "explanation_it": "spiegazione",
        "explanation_en": "spiegazione",
        "override_note": "modifiche dell'ente",
        "component": "componente",
        "points": "punti",
        "tier": "fascia",
        "class": "classe",
        "share": "quota",
        "per_capita_eur": "€ per abitante",
        "peer_median_eur": "mediana enti simili",
        "quadrant": "quadrante",
        "body": "ente",
        "peer_list": "enti simili",
    },
    "en": {
        "function": "code",
        "name": "function",
        "stato": "status",
        "spesa": "spending",
        "transfer_share": "transfers",
        "authority": "authority",
        "explanation_it": "explanation",
        "explanation_en": "explanation",
        "override_note": "body's changes",
        "component": "component",
        "points": "points",
        "tier": "tier",
        "class": "class",
        "share": "share",
        "per_capita_eur": "€ per inhabitant",
        "peer_median_eur": "peers' median",
        "quadrant": "quadrant",
        "body": "body",
        "peer_list": "peers",
    },
}


def dimmed_unless_highlighted(full: float) -> alt.OpacityValue:
    """Opacity ``full`` for the function the page's drop-down highlights (or every function when none is), 0.12 for the
    rest.

    Built as the channel's own class: a plain dict (``alt.condition``) makes Altair look its class up among 1,400
    schemas and validate it, on every chart."""
    return alt.OpacityValue(
        value=0.12,
        condition=alt.ConditionalPredicateValueDefnumberExprRef(
            test="highlight == null || datum.function == highlight", value=full
        ),
    )


def tip(field: str, lang: str, **kw) -> alt.Tooltip:
    """A tooltip whose title is a word in the page's language."""
    name = field.split(":")[0]
    return alt.Tooltip(field, title=TIP_WORDS[lang].get(name, name), **kw)


def _euro_it(cents: int | None) -> str:
    if cents is None:
        return ""
    whole, frac = divmod(abs(int(cents)), 100)
    return ("-" if cents < 0 else "") + "€ " + f"{whole:,}".replace(",", ".") + f",{frac:02d}"


def matrix_x_scale() -> alt.Scale:
    return alt.Scale(domain=list(X_DOMAIN), nice=False, reverse=True)


def matrix_chart(
    functions: pl.DataFrame,
    thresholds: dict,
    lang: str = "it",
    width: int = 560,
    height: int = 460,
    interactive: bool = False,
) -> alt.LayerChart:
    """The matrix; ``interactive`` adds a mission filter (drop-down) and rich tooltips for the HTML pages."""
    optional = {c: pl.col(c) for c in ("name", f"explanation_{lang}", "override_note") if c in functions.columns}
    coarse = pl.col("coarse").fill_null(False) if "coarse" in functions.columns else pl.lit(False)
    data = (
        functions.filter(pl.col("quadrant").is_not_null())
        .with_columns(
            spending_eur=pl.col("total_cents") / 100,
            spesa=pl.col("total_cents").map_elements(_euro_it, return_dtype=pl.String),
            stato=pl.col("status").replace_strict(status_labels(lang), default="?", return_dtype=pl.String),
            tier_label=pl.col("tier").cast(pl.String) if "tier" in functions.columns else pl.lit("-"),
            mission=pl.col("function").str.slice(0, 2),
            edge=pl.when(pl.col("borderline").fill_null(False)).then(2.5).when(coarse).then(1.5).otherwise(0.5),
            detail=pl.when(coarse)
            .then(pl.lit(label("mission_detail", lang)))
            .otherwise(pl.lit(label("programme_detail", lang))),
            **{k: v.fill_null("") for k, v in optional.items()},
        )
        .select(
            "function",
            "mission",
            "stato",
            "status",
            "spending_eur",
            "spesa",
            "transfer_share",
            "authority",
            "tier_label",
            "borderline",
            "edge",
            "detail",
            *optional,
        )
    )
    largest = float(data["spending_eur"].max() or 0) or 1.0  # the size scale's domain: 0 to the largest spending
    mixed_detail = bool(
        (data["detail"] == label("mission_detail", lang)).any()
    )  # mission totals drawn dashed, with a legend
    base = alt.Chart(data)
    if interactive:
        missions = sorted(set(data["mission"]))
        choice = alt.param(
            name="missione",
            value=None,
            bind=alt.binding_select(
                options=[None, *missions],
                labels=["tutte" if lang == "it" else "all", *missions],
                name="Missione " if lang == "it" else "Mission ",
            ),
        )
        base = base.transform_filter("missione == null || datum.mission == missione")
    points = base.mark_point(filled=True, opacity=0.85, stroke="black").encode(
        strokeWidth=alt.StrokeWidth("edge:Q", legend=None, scale=None),
        x=alt.X(
            "transfer_share:Q",
            scale=matrix_x_scale(),
            axis=alt.Axis(format="%", values=[i / 10 for i in range(11)]),
            title=(
                "Tipologia di spesa: ← trasferimenti (quota sulla spesa) · spesa di funzionamento →"
                if lang == "it"
                else "Spending type: ← transfers (share of spending) · operating spending →"
            ),
        ),
        y=alt.Y(
            "authority:Q",
            scale=alt.Scale(domain=list(Y_DOMAIN), nice=False),
            axis=alt.Axis(values=[i / 10 for i in range(11)]),
            title="Esercizio di autorità" if lang == "it" else "Degree of authority",
        ),
        shape=alt.Shape(
            "stato:N",
            scale=alt.Scale(domain=[status_labels(lang)[k] for k in SHAPES], range=list(SHAPES.values())),
            title="Funzione" if lang == "it" else "Function",
        ),
        size=alt.Size(
            "spending_eur:Q",
            scale=alt.Scale(domain=[0, largest], zero=True, range=list(SIZE_RANGE)),  # fixed: a filter keeps sizes
            title="Spesa (€)" if lang == "it" else "Spending (€)",
        ),
        color=alt.Color(
            "tier_label:N",
            scale=alt.Scale(domain=["1", "2", "3", "4"], range=TIER_COLOURS),
            title="Priorità" if lang == "it" else "Priority tier",
        ),
        **(
            {
                "strokeDash": alt.StrokeDash(
                    "detail:N",
                    title=label("detail_word", lang),
                    scale=alt.Scale(
                        domain=[label("programme_detail", lang), label("mission_detail", lang)], range=[[1, 0], [3, 2]]
                    ),
                )
            }
            if mixed_detail
            else {}
        ),
        tooltip=[
            tip("function:N", lang),
            *([tip("name:N", lang)] if "name" in optional else []),
            tip("stato:N", lang),
            *([alt.Tooltip("detail:N", title=label("detail_word", lang))] if mixed_detail else []),
            tip("spesa:N", lang),
            tip("transfer_share:Q", lang, format=".0%"),
            tip("authority:Q", lang, format=".2f"),
            *([tip(f"explanation_{lang}:N", lang)] if f"explanation_{lang}" in optional else []),
            *([tip("override_note:N", lang)] if "override_note" in optional else []),
        ],
    )
    if interactive:  # the page's drop-down highlights one function in every chart
        points = points.add_params(choice, alt.param(name="highlight", value=None)).encode(
            opacity=dimmed_unless_highlighted(0.9)
        )
    fixed = corners(lang, width, height)
    labels, key = label_rows(data, largest, SHAPES, [Box(*b) for b in fixed["box"]], width, height, views=interactive)
    rules = [
        alt.Chart(pl.DataFrame({"x": [thresholds["spending"]]}))
        .mark_rule(strokeDash=[4, 4])
        .encode(x=alt.X("x:Q", scale=matrix_x_scale())),
        alt.Chart(pl.DataFrame({"y": [thresholds["authority"]]}))
        .mark_rule(strokeDash=[4, 4])
        .encode(y=alt.Y("y:Q", scale=alt.Scale(domain=list(Y_DOMAIN), nice=False))),
    ]
    words = label_layers(labels, key, interactive, width) if len(data) else [base.mark_text()]
    # one flat layer: nested "a + b" layers make Altair copy every sub-chart again at each level
    return alt.layer(*rules, *corner_layers(fixed), points, *words).properties(width=width, height=height)


_RENDERING = threading.Lock()
VALIDATE = False


def validating(on: bool) -> None:
    """Check every chart against the Vega-Lite schema, when built and when exported. On in the tests
    (tests/conftest.py); off in production, where Altair's checks cost more than drawing (0.15 s a page)."""
    global VALIDATE
    VALIDATE = on
    (alt.utils.schemapi.enable_debug_mode if on else alt.utils.schemapi.disable_debug_mode)()


def spec_of(chart: alt.TopLevelMixin) -> dict:
    """The Vega-Lite spec of a chart (validated when ``validating(True)``)."""
    return chart.to_dict(validate=VALIDATE)


validating(False)


def to_png(chart: alt.TopLevelMixin, scale: float = 1.5, lang: str = "it") -> bytes:
    """One chart at a time: a demo run once hung while two workbook threads were rendering; serialising rules vl-convert
    out."""
    spec = json.dumps(spec_of(chart))
    with _RENDERING:
        return vlc.vegalite_to_png(spec, scale=scale, format_locale="it-IT" if lang == "it" else "en-US")
