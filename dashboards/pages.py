"""Self-contained dashboard pages: one per body, year and phase, plus an index. No request leaves the machine.

The Vega libraries are written once beside the pages (``vega-bundle.js``, from vl-convert) and loaded by
relative path, so the pages open from ``file://``. Charts are Altair specs embedded as JSON; every text
that comes from data is escaped for HTML, and the JSON is escaped so that no ``</script>`` can close the tag. The
sections shown as tables (and the pages' words) are ``dashboards.page_tables``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import altair as alt
import jinja2
import polars as pl
import vl_convert as vlc

from dashboards.charts import TIP_WORDS, spec_of
from dashboards.indicator_chart import indicators_section
from dashboards.page_charts import (
    body_charts,
    national_chart,
    overview_names,
    quadrant_words,
    with_highlight,
)
from dashboards.page_tables import (
    TEXT,
    changes_section,
    chart_table,
    euro_text,
    mission_movement_section,
    peers_section,
    ratings_section,
    reconciliation_section,
    share_text,
)
from dashboards.words import named, parameter_rows
from sources.catalogues import status_labels
from sources.reference import body_name

# what pipelines.stage_outputs uses of the dashboards' pages (the table sections live in dashboards.page_tables)
__all__ = [
    "TEXT",
    "body_charts",
    "body_page",
    "changes_section",
    "export_charts",
    "index_page",
    "ratings_section",
    "reconciliation_section",
    "write_bundle",
]

BUNDLE = "vega-bundle.js"
CSS = """
body{font-family:system-ui,'DejaVu Sans',sans-serif;margin:24px;max-width:1200px;color:#222}
h1{font-size:1.5em;margin-bottom:0}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
.sub{color:#555;margin-top:4px}.note{background:#f4f6f8;padding:10px 14px;border-left:4px solid #0072B2}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}
th{background:#dde8f3}.chart{margin:8px 0}td.num{text-align:right;white-space:nowrap}
figure{margin:0}figcaption{color:#555;font-size:.85em}details{margin:4px 0 12px}
@media print{.chart{page-break-inside:avoid}body{margin:0}}
"""


def write_bundle(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / BUNDLE
    if not path.exists():
        path.write_text(vlc.javascript_bundle(), encoding="utf-8")
    return path


ITALIAN_NUMBERS = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["€ ", ""]}


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _chart(element: str, chart: alt.TopLevelMixin, lang: str, label: str, table: dict | None = None) -> dict:
    """What the chart template needs; the spec is JSON with ``</`` escaped so it cannot close the script tag."""
    spec = json.dumps(spec_of(chart), ensure_ascii=False).replace("</", "<\\/")
    options = {"renderer": "svg", "actions": False, **({"formatLocale": ITALIAN_NUMBERS} if lang == "it" else {})}
    return {
        "id": element,
        "spec": spec,
        "options": json.dumps(options),
        "label": label,
        "description": TEXT[lang]["describe"].get(element, ""),
        "table": table,
    }


def _render(template: str, lang: str, **context) -> str:
    return (
        _templates()
        .get_template(f"dashboard/{template}")
        .render(lang=lang, css=CSS, bundle=BUNDLE, t=TEXT[lang], **context)
    )


def export_charts(charts: dict, folder: Path, stem: str, lang: str) -> list[Path]:
    """Each chart as PNG and SVG (vl-convert), e.g. for a plan document."""
    folder.mkdir(parents=True, exist_ok=True)
    locale = "it-IT" if lang == "it" else "en-US"
    written = []
    for name, chart in charts.items():
        spec = json.dumps(spec_of(chart))
        png, svg = folder / f"{stem}_{name}.png", folder / f"{stem}_{name}.svg"
        png.write_bytes(vlc.vegalite_to_png(spec, scale=2, format_locale=locale))
        svg.write_text(vlc.vegalite_to_svg(spec, format_locale=locale), encoding="utf-8")
        written += [png, svg]
    return written


def page_label(body: str, year: int, phase: str, lang: str) -> str:
    """ "Provincia di Vercelli - Rendiconto 2025": how a person names a page (never ``2025_rendiconto``)."""
    return f"{body_name(body)} - {TEXT[lang]['phases'].get(phase, phase)} {year}"


def body_page(
    functions,
    ranked,
    moved,
    weights,
    parameters,
    body,
    year,
    phase,
    lang,
    charts: dict | None = None,
    tables: list[dict] | None = None,
    manifest: str | None = None,
    open_data: str | None = None,
    mission_moves: pl.DataFrame | None = None,
    peer_group: pl.DataFrame | None = None,
    indicators: pl.DataFrame | None = None,
    standing: pl.DataFrame | None = None,
) -> str:
    """The body's page; ``tables``: extra table sections after the charts (what changed, the comparison with BDAP);
    ``mission_moves``: the comparison by mission with a year of other detail; ``peer_group``: this body's peers that
    year; ``indicators`` and ``standing``: its execution indicators and where they stand among the peers."""
    t = TEXT[lang]
    charts = charts if charts is not None else body_charts(functions, ranked, moved, weights, parameters, lang)
    statuses = status_labels(lang)
    rows = functions.sort("function")
    changes = "override_note" in rows.columns and rows["override_note"].is_not_null().any()
    table = {
        "header": [*t["table_header"], *([t["changes"]] if changes else [])],
        "rows": [
            [
                r["function"],
                named(r, lang),
                statuses.get(r.get("status"), r.get("status") or ""),
                euro_text(r.get("total_cents"), lang),
                r.get(f"service_type_{lang}") or "",
                r.get(f"explanation_{lang}") or "",
                *([r.get("override_note") or ""] if changes else []),
            ]
            for r in rows.iter_rows(named=True)
        ],
    }
    coarse = "coarse" in functions.columns and bool(functions["coarse"].fill_null(False).any())
    classified = functions.filter(pl.col("quadrant").is_not_null())
    names = dict(zip(functions["function"], functions["name"].fill_null(""))) if "name" in functions.columns else {}
    options = [(c, names.get(c, "")) for c in sorted(classified["function"].to_list())]
    notes = {"composition": t["rigid_note"], "peers": t["peer_note"], "matrix": t["mission_marks"] if coarse else ""}
    beside = {
        "movement": mission_movement_section(mission_moves, lang) if "movement" not in charts else None,
        "peers": peers_section(ranked, peer_group, lang) if ranked.height else None,
    }  # tables shown below (or instead of) the chart
    sections = []
    for name in ("matrix", "movement", "priorities", "composition", "peers"):
        extra = beside.get(name) or {}
        if name in charts:
            chart = _chart(name, charts[name], lang, t[name], chart_table(name, functions, ranked, moved, lang))
            chart["description"] = " ".join(x for x in (chart["description"], notes.get(name, "")) if x)
            sections.append({"heading": t[name], "chart": chart, **extra})
        elif extra:
            sections.append({"heading": t[name], **extra})
        elif name == "movement" and "matrix" in charts:
            sections.append({"heading": t[name], "text": t["no_movement"]})
    chart, figures = indicators_section(indicators, standing, lang)
    if figures:  # the table is shown, not folded: it says why an indicator is missing
        # the page's drop-down sets "highlight" on every chart: this one must know the signal, though it draws
        # no function
        drawn = (
            {"chart": _chart("indicators", with_highlight(chart), lang, t["indicators"])} if chart is not None else {}
        )
        sections.append({"heading": t["indicators"], **drawn, "table": {**figures, "numeric": [1, 2, 3]}})
    title = page_label(body, year, phase, lang) + (f" ({t['open_data_short']})" if open_data else "")
    # the workbook and the DUP document beside it (reports/)
    stem = f"{body}_{year}_{phase}{'' if lang == 'it' else '_' + lang}"
    return _render(
        "body.html",
        lang,
        title=title,
        subtitle="areavasta",
        matrix="matrix" in charts,
        stem=stem,
        open_data=t["open_data_note"].format(files=open_data) if open_data else None,
        mission_note=t["mission_note"] if coarse else None,
        options=options,
        sections=sections,
        table=table,
        parameters=parameter_rows(parameters, lang),
        tables=[x for x in tables or [] if x],
        manifest=manifest,
    )


def national_year(overview: pl.DataFrame) -> tuple[int, str]:
    """The year and phase of the national overview: the one most bodies have, final accounts before forecasts, latest
    first."""
    counts = (
        overview.group_by("year", "phase")
        .agg(bodies=pl.col("body").n_unique())
        .sort("bodies", pl.col("phase") == "rendiconto", "year", descending=True)
    )
    return counts.row(0)[:2]


def index_page(links: list[tuple[str, str]], overview: pl.DataFrame, lang: str, manifest: str | None = None) -> str:
    """Every page, a selector to open one body, and the national overview of the year most bodies have."""
    t = TEXT[lang]

    def describe(href: str) -> str:
        body, year, phase = href[:-5].split("_")[:3]
        return page_label(body, int(year), phase, lang)

    entries = [{"href": href, "label": describe(href)} for href, _ in links]
    national = None
    if overview.height:
        year, phase = national_year(overview)
        pages_by_body = {href.split("_")[0]: href for href, _ in links if f"_{year}_{phase}" in href}
        data = overview.filter(pl.col("year") == year, pl.col("phase") == phase).with_columns(
            page=pl.col("body").replace_strict(pages_by_body, default=None, return_dtype=pl.String)
        )
        heading = f"{t['national']} ({t['phases'].get(phase, phase)} {year})"
        named_rows = overview_names(data, lang)
        shares = named_rows.pivot(on="quadrant", index=["order", "name"], values="share").fill_null(0).sort("order")
        quadrants = [c for c in shares.columns if c not in ("order", "name")]
        names = quadrant_words(lang)
        table = {
            "header": [TIP_WORDS[lang]["body"], *[names.get(q, q.replace("_", " ")) for q in quadrants]],
            "rows": [[r["name"], *[share_text(r[q]) for q in quadrants]] for r in shares.iter_rows(named=True)],
        }
        national = {"heading": heading, "chart": _chart("national", national_chart(data, lang), lang, heading, table)}
        if "coarse" in data.columns and data["coarse"].fill_null(False).any():  # never side by side without saying so
            national["chart"]["description"] += " " + t["national_mission_note"]
    return _render(
        "index.html", lang, title=t["index"], subtitle="areavasta", links=entries, national=national, manifest=manifest
    )
