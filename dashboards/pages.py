"""Self-contained dashboard pages: one per body, year and phase, plus an index. No request leaves the machine.

The Vega libraries are written once beside the pages (``vega-bundle.js``, from vl-convert) and loaded by
relative path, so the pages open from ``file://``. Charts are Altair specs embedded as JSON; every text
that comes from data is escaped for HTML, and the JSON is escaped so that no ``</script>`` can close the tag.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc

from dashboards.charts import (
    OKABE_ITO,
    STATUS_IT,
    TIER_COLOURS,
    matrix_chart,
    matrix_x_scale,
)
from sources.reference import body_name

BUNDLE = "vega-bundle.js"
TEXT = {
    "it": {
        "how": "Come leggere la matrice",
        "how_text": ("Ogni punto è una funzione (programma di bilancio). Come nello schema del metodo, a sinistra le funzioni che "
                     "trasferiscono la spesa ad altri, a destra quelle che la spendono per funzionare; in alto l'esercizio di autorità. "
                     "I cerchi sono funzioni mantenute, i quadrati funzioni trasferite, i triangoli funzioni delegate o non fondamentali; "
                     "la dimensione è la spesa, il colore la fascia di priorità (in bianco le funzioni trasferite o delegate, fuori "
                     "graduatoria: hanno un piano di cessione). Il contorno spesso segnala le funzioni vicine a una soglia: la loro "
                     "posizione dipende dalle soglie scelte."),
        "params": "Parametri del metodo", "matrix": "Matrice per tipologia di spesa e grado di autorità",
        "movement": "Spostamenti rispetto all'anno precedente", "priorities": "Priorità di intervento (punteggio e componenti)",
        "composition": "Composizione della spesa per funzione", "peers": "Spesa per abitante rispetto agli enti simili",
        "national": "Quadro nazionale: spesa per quadrante in ogni ente", "index": "Cruscotti degli enti", "open": "Apri un ente",
        "table": "Funzioni (tabella)", "no_movement": "Un solo anno caricato: nessuno spostamento da mostrare.",
        "mission": "Missione", "all": "tutte", "highlight": "Evidenzia una funzione in tutti i grafici", "no_peers": "Nessun ente simile caricato (stesso tipo, popolazione comparabile).",
    },
    "en": {
        "how": "How to read the matrix",
        "how_text": ("Each point is a function (budget programme). As in the method's chart, functions that transfer their "
                     "spending to others are on the left, those that spend it to run the service on the right; authority is upward. "
                     "Circles are retained functions, squares transferred, triangles delegated or non-fundamental; size is spending, "
                     "colour the priority tier (white: transferred or delegated functions, outside the ranking, with a hand-over "
                     "plan). A thick outline marks functions near a threshold: their place depends on the thresholds chosen."),
        "params": "Method parameters", "matrix": "Matrix by spending type and degree of authority",
        "movement": "Movement since the previous year", "priorities": "Where to intervene first (score and components)",
        "composition": "Spending composition by function", "peers": "Spending per inhabitant against comparable bodies",
        "national": "National overview: spending by quadrant in each body", "index": "Body dashboards", "open": "Open a body",
        "table": "Functions (table)", "no_movement": "One year loaded: no movement to show.",
        "mission": "Mission", "all": "all", "highlight": "Highlight a function in every chart", "no_peers": "No comparable body loaded (same type, similar population).",
    },
}
CSS = """
body{font-family:system-ui,'DejaVu Sans',sans-serif;margin:24px;max-width:1200px;color:#222}
h1{font-size:1.5em;margin-bottom:0}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
.sub{color:#555;margin-top:4px}.note{background:#f4f6f8;padding:10px 14px;border-left:4px solid #0072B2}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}
th{background:#dde8f3}.chart{margin:8px 0}
@media print{.chart{page-break-inside:avoid}body{margin:0}}
"""


def write_bundle(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / BUNDLE
    if not path.exists():
        path.write_text(vlc.javascript_bundle(), encoding="utf-8")
    return path


ITALIAN_NUMBERS = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["€ ", ""]}
HIGHLIGHT = "highlight"  # one function highlighted across every chart of a page (the page's drop-down sets it)


def highlighted(chart: alt.Chart) -> alt.Chart:
    """Dim every mark but the highlighted function's (all marks at full strength when none is chosen)."""
    return chart.encode(opacity=alt.condition(f"{HIGHLIGHT} == null || datum.function == {HIGHLIGHT}", alt.value(1.0), alt.value(0.12)))


def with_highlight(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.add_params(alt.param(name=HIGHLIGHT, value=None))


def _embed(element: str, chart: alt.TopLevelMixin, lang: str = "it") -> str:
    spec = json.dumps(chart.to_dict(), ensure_ascii=False).replace("</", "<\\/")
    options = {"renderer": "svg", "actions": False, **({"formatLocale": ITALIAN_NUMBERS} if lang == "it" else {})}
    return (f'<div class="chart" id="{element}" role="img"></div>\n'
            f'<script>VIEWS.push(vegaEmbed("#{element}", {spec}, {json.dumps(options)}).then(r => r.view));</script>')


def _page(title: str, subtitle: str, body: str, lang: str) -> str:
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style>'
            f'<script src="{BUNDLE}"></script><script>const VIEWS = [];</script></head><body><h1>{html.escape(title)}</h1>'
            f'<p class="sub">{html.escape(subtitle)}</p>{body}</body></html>')


def movement_chart(movement: pl.DataFrame, lang: str) -> alt.TopLevelMixin:
    data = movement.select("function", "transfer_before", "authority_before", "transfer_share", "authority").to_pandas()
    base = alt.Chart(data)
    arrows = base.mark_rule(color="#555").encode(
        x=alt.X("transfer_before:Q", scale=matrix_x_scale(), axis=alt.Axis(format="%"),
                title="← trasferimenti · spesa di funzionamento →" if lang == "it" else "← transfers · operating spending →"),
        x2="transfer_share:Q",
        y=alt.Y("authority_before:Q", scale=alt.Scale(domain=[0, 1]), title="Autorità" if lang == "it" else "Authority"), y2="authority:Q")
    heads = highlighted(base.mark_point(shape="triangle-up", filled=True, size=60, color="#D55E00").encode(
        x="transfer_share:Q", y="authority:Q", tooltip=["function:N"]))
    labels = base.mark_text(dx=8, dy=-8, fontSize=10).encode(x="transfer_share:Q", y="authority:Q", text="function:N")
    return with_highlight(highlighted(arrows) + heads + labels).properties(width=560, height=360)


COMPONENT_IT = {"size": "dimensione", "manoeuvrability": "manovrabilità", "transformation": "trasformabilità",
                "peer_gap": "scarto dai pari", "trend": "tendenza", "status": "stato"}
CLASS_IT = {"operating": "funzionamento", "transfer": "trasferimenti", "financial": "finanziaria", "excluded": "esclusa"}


def priorities_chart(ranked: pl.DataFrame, weights: dict, lang: str) -> alt.TopLevelMixin:
    parts = []
    for component, weight in weights.items():
        label = COMPONENT_IT[component] if lang == "it" else component.replace("_", " ")
        parts.append(ranked.select("function", "rank", "tier", pl.lit(label).alias("component"),
                                   (pl.col(f"c_{component}").fill_null(0) * weight * 100).alias("points")))
    data = pl.concat(parts).to_pandas()
    return with_highlight(highlighted(alt.Chart(data).mark_bar()).encode(
        y=alt.Y("function:N", sort=alt.SortField("rank"), title=None),
        x=alt.X("sum(points):Q", title="Punteggio (0-100)" if lang == "it" else "Score (0-100)"),
        color=alt.Color("component:N", scale=alt.Scale(range=OKABE_ITO), title=None),
        tooltip=["function:N", "component:N", alt.Tooltip("points:Q", format=".1f"), "tier:N"],
    ).properties(width=560, height=max(160, 14 * ranked.height)))


def composition_chart(functions: pl.DataFrame, lang: str) -> alt.TopLevelMixin:
    shares = functions.filter(pl.col("total_cents") > 0).unpivot(
        index=["function", "rigid_share"], on=["operating_share", "transfer_share", "financial_share", "excluded_share"],
        variable_name="class", value_name="share").with_columns(pl.col("class").str.replace("_share", ""))
    if lang == "it":
        shares = shares.with_columns(pl.col("class").replace_strict(CLASS_IT, return_dtype=pl.String))
    data = shares.to_pandas()
    bars = highlighted(alt.Chart(data).mark_bar()).encode(
        y=alt.Y("function:N", title=None), x=alt.X("sum(share):Q", axis=alt.Axis(format="%"), title=None),
        color=alt.Color("class:N", scale=alt.Scale(domain=list(CLASS_IT.values()) if lang == "it" else list(CLASS_IT), range=TIER_COLOURS), title=None),
        tooltip=["function:N", "class:N", alt.Tooltip("share:Q", format=".0%")])
    rigid = alt.Chart(data).mark_tick(color="black", thickness=2).encode(y="function:N", x="rigid_share:Q",
                                                                          tooltip=[alt.Tooltip("rigid_share:Q", format=".0%", title="rigida" if lang == "it" else "rigid")])
    return with_highlight(bars + rigid).properties(width=560, height=max(160, 14 * shares["function"].n_unique()))


def peers_chart(ranked: pl.DataFrame, lang: str) -> alt.TopLevelMixin:
    data = ranked.filter(pl.col("peer_median_eur").is_not_null()).select("function", "per_capita_eur", "peer_median_eur").to_pandas()
    base = alt.Chart(data)
    bars = highlighted(base.mark_bar(color="#56B4E9")).encode(y=alt.Y("function:N", title=None), x=alt.X("per_capita_eur:Q", title="€ / abitante" if lang == "it" else "€ per inhabitant"),
                                                 tooltip=["function:N", alt.Tooltip("per_capita_eur:Q", format=",.2f"), alt.Tooltip("peer_median_eur:Q", format=",.2f")])
    ticks = base.mark_tick(color="black", thickness=2, size=14).encode(y="function:N", x="peer_median_eur:Q")
    return with_highlight(bars + ticks).properties(width=560, height=max(120, 14 * len(data)))


QUADRANT_IT = {"allocation": "servizi di allocazione", "regulation": "servizi di regolazione", "direct": "servizi diretti",
               "indirect": "servizi indiretti", "non_classificata": "non classificata"}


def national_chart(overview: pl.DataFrame, lang: str) -> alt.TopLevelMixin:
    data = overview.with_columns(name=pl.col("body").map_elements(body_name, return_dtype=pl.String))
    if lang == "it":
        data = data.with_columns(pl.col("quadrant").replace_strict(QUADRANT_IT, default=pl.col("quadrant"), return_dtype=pl.String))
    data = data.to_pandas()
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("name:N", title=None), x=alt.X("sum(share):Q", axis=alt.Axis(format="%"), title=None),
        color=alt.Color("quadrant:N", scale=alt.Scale(range=OKABE_ITO), title=None),
        href="page:N", tooltip=["name:N", "quadrant:N", alt.Tooltip("share:Q", format=".0%")],
    ).properties(width=560, height=max(120, 16 * overview["body"].n_unique()))


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
    charts["composition"] = composition_chart(functions, lang)
    if ranked.height and ranked["peer_median_eur"].is_not_null().any():
        charts["peers"] = peers_chart(ranked, lang)
    return charts


def export_charts(charts: dict, folder: Path, stem: str, lang: str) -> list[Path]:
    """Each chart as PNG and SVG (vl-convert), e.g. for a plan document."""
    folder.mkdir(parents=True, exist_ok=True)
    locale = "it-IT" if lang == "it" else "en-US"
    written = []
    for name, chart in charts.items():
        spec = chart.to_json()
        png, svg = folder / f"{stem}_{name}.png", folder / f"{stem}_{name}.svg"
        png.write_bytes(vlc.vegalite_to_png(spec, scale=2, format_locale=locale))
        svg.write_text(vlc.vegalite_to_svg(spec, format_locale=locale), encoding="utf-8")
        written += [png, svg]
    return written


def body_page(functions, ranked, moved, weights, parameters, body, year, phase, lang, charts: dict | None = None) -> str:
    t = TEXT[lang]
    charts = charts if charts is not None else body_charts(functions, ranked, moved, weights, parameters, lang)
    table_rows = "".join(
        f"<tr><td>{html.escape(r['function'])}</td><td>{html.escape(r.get('name') or '')}</td>"
        f"<td>{html.escape(STATUS_IT.get(r.get('status'), r.get('status') or '') if lang == 'it' else (r.get('status') or ''))}</td>"
        f"<td>{html.escape(r.get(f'explanation_{lang}') or '')}</td><td>{html.escape(r.get('override_note') or '')}</td></tr>"
        for r in functions.sort("function").iter_rows(named=True))
    codes = sorted(functions.filter(pl.col("quadrant").is_not_null())["function"].to_list())
    names = dict(zip(functions["function"], functions["name"].fill_null(""))) if "name" in functions.columns else {}
    options = "".join(f'<option value="{html.escape(c)}">{html.escape(c)} {html.escape(names.get(c, ""))}</option>' for c in codes)
    selector = (f'<p><label for="fn">{t["highlight"]}: </label><select id="fn"><option value="">{t["all"]}</option>{options}</select></p>'
                '<script>document.getElementById("fn").addEventListener("change", e => Promise.all(VIEWS).then(vs => '
                'vs.forEach(v => v.signal("highlight", e.target.value || null).runAsync())));</script>')

    def section(name: str, empty: str = "") -> str:
        return f'<h2>{t[name]}</h2>' + (_embed(name, charts[name], lang) if name in charts else (f"<p>{empty}</p>" if empty else ""))

    parts = [
        f'<div class="note"><b>{t["how"]}</b><br>{html.escape(t["how_text"])}</div>', selector,
        section("matrix"), section("movement", t["no_movement"]), section("priorities"), section("composition"),
        section("peers", t["no_peers"]),
        f'<h2>{t["table"]}</h2><table><tr><th>cod.</th><th></th><th></th><th></th><th></th></tr>{table_rows}</table>',
        f'<h2>{t["params"]}</h2><pre>{html.escape(json.dumps(parameters, ensure_ascii=False, indent=1))}</pre>',
    ]
    title = f"{body_name(body)} - {phase} {year}"
    return _page(title, "areavasta", "\n".join(parts), lang)


def index_page(links: list[tuple[str, str]], overview: pl.DataFrame, lang: str) -> str:
    """Every page, a selector to open one body, and the national overview of the latest year."""
    t = TEXT[lang]
    def describe(href: str) -> str:
        year, phase = href[4:-5].split("_")[:2]
        return f"{phase} {year}"

    options = "".join(f'<option value="{html.escape(href)}">{html.escape(label)} - {html.escape(describe(href))}</option>' for href, label in links)
    selector = (f'<label for="open">{t["open"]}: </label><select id="open" onchange="if(this.value)location.href=this.value">'
                f'<option value=""></option>{options}</select>')
    chart = ""
    if overview.height:
        latest = overview["year"].max()
        pages_by_body = {href.split("_")[0]: href for href, _ in links if f"_{latest}_" in href}
        data = overview.filter(pl.col("year") == latest).with_columns(
            page=pl.col("body").replace_strict(pages_by_body, default=None, return_dtype=pl.String))
        chart = f'<h2>{t["national"]} ({latest})</h2>' + _embed("national", national_chart(data, lang), lang)
    items = "".join(f'<li><a href="{html.escape(href)}">{html.escape(label)} - {html.escape(describe(href))}</a></li>' for href, label in links)
    return _page(t["index"], "areavasta", f"{selector}{chart}<h2>{t['index']}</h2><ul>{items}</ul>", lang)
