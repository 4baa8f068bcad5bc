"""Altair charts. The Ruffini matrix is faithful to the seed's chart: x = transfer share (spending
type), y = degree of authority, threshold lines, the four quadrants labelled with service type and
governance mode, circles for retained and squares for transferred functions (triangles for delegated)."""

from __future__ import annotations

import altair as alt
import polars as pl
import vl_convert as vlc

SHAPES = {"retained": "circle", "transferred": "square", "delegated": "triangle-up", "mixed": "diamond", "not_applicable": "cross"}
STATUS_IT = {"retained": "mantenuta", "transferred": "trasferita", "delegated": "delegata", "mixed": "mista", "not_applicable": "n.a."}
TIER_COLOURS = ["#0072B2", "#56B4E9", "#E69F00", "#999999"]  # Okabe-Ito, colour-blind safe
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]


def _euro_it(cents: int | None) -> str:
    if cents is None:
        return ""
    whole, frac = divmod(abs(int(cents)), 100)
    return ("-" if cents < 0 else "") + "€ " + f"{whole:,}".replace(",", ".") + f",{frac:02d}"


def matrix_chart(functions: pl.DataFrame, thresholds: dict, lang: str = "it", width: int = 560, height: int = 460,
                 interactive: bool = False) -> alt.LayerChart:
    """The matrix; ``interactive`` adds a mission filter (drop-down) and rich tooltips for the HTML pages."""
    optional = {c: pl.col(c) for c in ("name", f"explanation_{lang}", "override_note") if c in functions.columns}
    data = functions.filter(pl.col("quadrant").is_not_null()).with_columns(
        spending_eur=pl.col("total_cents") / 100,
        spesa=pl.col("total_cents").map_elements(_euro_it, return_dtype=pl.String),
        stato=pl.col("status").replace_strict(STATUS_IT, default="?", return_dtype=pl.String),
        tier_label=pl.col("tier").cast(pl.String) if "tier" in functions.columns else pl.lit("-"),
        mission=pl.col("function").str.slice(0, 2),
        edge=pl.when(pl.col("borderline").fill_null(False)).then(2.5).otherwise(0.5),
        **{k: v.fill_null("") for k, v in optional.items()},
    ).select("function", "mission", "stato", "status", "spending_eur", "spesa", "transfer_share", "authority", "tier_label",
             "borderline", "edge", *optional).to_pandas()
    base = alt.Chart(data)
    if interactive:
        missions = sorted(set(data["mission"]))
        choice = alt.param(name="missione", value=None, bind=alt.binding_select(
            options=[None, *missions], labels=["tutte" if lang == "it" else "all", *missions], name="Missione " if lang == "it" else "Mission "))
        base = base.transform_filter("missione == null || datum.mission == missione")
    points = base.mark_point(filled=True, opacity=0.85, stroke="black").encode(
        strokeWidth=alt.StrokeWidth("edge:Q", legend=None, scale=None),
        x=alt.X("transfer_share:Q", scale=alt.Scale(domain=[-0.02, 1.02], nice=False), axis=alt.Axis(format="%", values=[i / 10 for i in range(11)]),
                title="Tipologia di spesa: quota di trasferimenti" if lang == "it" else "Spending type: transfer share"),
        y=alt.Y("authority:Q", scale=alt.Scale(domain=[-0.12, 1.08], nice=False), axis=alt.Axis(values=[i / 10 for i in range(11)]),
                title="Esercizio di autorità" if lang == "it" else "Degree of authority"),
        shape=alt.Shape("stato:N", scale=alt.Scale(domain=[STATUS_IT[k] for k in SHAPES], range=list(SHAPES.values())),
                        title="Funzione" if lang == "it" else "Function"),
        size=alt.Size("spending_eur:Q", scale=alt.Scale(range=[40, 900]), title="Spesa (€)" if lang == "it" else "Spending (€)"),
        color=alt.Color("tier_label:N", scale=alt.Scale(domain=["1", "2", "3", "4"], range=TIER_COLOURS),
                        title="Priorità" if lang == "it" else "Priority tier"),
        tooltip=["function", *(["name"] if "name" in optional else []), "stato", alt.Tooltip("spesa:N", title="spesa"),
                 alt.Tooltip("transfer_share:Q", format=".0%"), alt.Tooltip("authority:Q", format=".2f"),
                 *([f"explanation_{lang}"] if f"explanation_{lang}" in optional else []),
                 *(["override_note"] if "override_note" in optional else [])],
    )
    if interactive:  # the page's drop-down highlights one function in every chart
        points = points.add_params(choice, alt.param(name="highlight", value=None)).encode(
            opacity=alt.condition("highlight == null || datum.function == highlight", alt.value(0.9), alt.value(0.12)))
    labels = base.mark_text(dx=9, dy=-9, fontSize=10).encode(x="transfer_share:Q", y="authority:Q", text="function:N")
    rules = alt.Chart(pl.DataFrame({"x": [thresholds["spending"]]}).to_pandas()).mark_rule(strokeDash=[4, 4]).encode(x="x:Q") + alt.Chart(
        pl.DataFrame({"y": [thresholds["authority"]]}).to_pandas()
    ).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    corners = pl.DataFrame({
        "x": [1.0, 0.0, 1.0, 0.0], "y": [1.05, 1.05, -0.08, -0.08], "align": ["right", "left", "right", "left"],
        "text": (["Servizi di allocazione → network", "Servizi di regolazione → coregolazione",
                  "Servizi indiretti → esternalizzazione / coprogettazione", "Servizi diretti → coproduzione"] if lang == "it" else
                 ["Allocation → network", "Regulation → co-regulation", "Indirect → outsourcing / co-design", "Direct → co-production"]),
    })
    quadrant_labels = alt.Chart(corners.filter(pl.col("align") == "right").to_pandas()).mark_text(align="right", fontWeight="bold", color="#444").encode(
        x="x:Q", y="y:Q", text="text:N") + alt.Chart(corners.filter(pl.col("align") == "left").to_pandas()).mark_text(
        align="left", fontWeight="bold", color="#444").encode(x="x:Q", y="y:Q", text="text:N")
    return (rules + quadrant_labels + points + labels).properties(width=width, height=height)


def to_png(chart: alt.TopLevelMixin, scale: float = 1.5, lang: str = "it") -> bytes:
    return vlc.vegalite_to_png(chart.to_json(), scale=scale, format_locale="it-IT" if lang == "it" else "en-US")
