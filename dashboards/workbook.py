"""The Excel report: one workbook per body, year and phase, Italian, styled for reading and printing.

Sheets: Sintesi, Matrice (table and chart), Priorità, Enti simili, Piano di riassetto, Scenari, Dati, Controlli,
Metodo. Values only (no formulas). Every text that comes from inputs is written with
``write_string``, so no cell can become a formula whatever it starts with (``=``, ``+``, ``-``, ``@``).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import xlsxwriter

from dashboards.words import (
    date_time,
    indicator_missing,
    label,
    named,
    parameter_rows,
    peer_rule,
    peer_shares,
    peer_values,
    peers_lacking,
    short_checksum,
)
from sources.catalogues import flag_labels, indicator_catalogue, status_labels
from sources.layouts import profile
from sources.reference import body_name, missions
from transforms.amounts import format_euro
from transforms.classify import REASONS
from transforms.figures import percent, range_words

EURO = '#,##0.00 [$€-410]'  # 1.234.567,89 € in an Italian Excel
STATUS = {lang: status_labels(lang) for lang in ("it", "en")}


@dataclass
class ReportInputs:
    body: str
    year: int
    phase: str
    functions: pl.DataFrame            # classified functions of this body, year, phase
    body_figures: dict                 # row of bodies.csv
    ranked: pl.DataFrame               # portfolio rows
    projects: pl.DataFrame             # plans
    projection: pl.DataFrame
    kpis: pl.DataFrame
    scenarios: pl.DataFrame            # scenario comparison (name, projected_year, total, functions)
    uploads: pl.DataFrame              # files behind these numbers
    strategy: pl.DataFrame | None = None  # actors, resources, alternative delivery modes per function
    findings: list[dict] = field(default_factory=list)   # warnings of the accepted files
    parameters: dict = field(default_factory=dict)
    catalogue_versions: dict = field(default_factory=dict)
    chart_png: bytes | None = None
    lang: str = "it"
    logic_names: pl.DataFrame | None = None  # response logic code -> name in each language
    scenario_labels: dict = field(default_factory=dict)  # scenario name -> its label in the report's language
    changes: object | None = None  # pipelines.changes.Changes: what changed since the previous year, in this language
    ratings: pl.DataFrame | None = None  # co-assessment statistics of this body and year (core.coassessment)
    open_data: str | None = None  # the BDAP extract(s) this body, year and phase is analysed from, when nobody uploaded it
    manifest_id: str | None = None  # the run manifest the workbook was computed from (pipelines.manifest)
    as_of: dt.datetime | None = None  # the latest receipt among its inputs: the workbook's date, so reruns are byte-identical
    scenario_functions: pl.DataFrame | None = None  # every scenario over the common set of functions (core.scenario_functions)
    next_forecast: str | None = None  # the workbook of the next year's forecast, when loaded (the scenarios of a closed year point at it)
    peer_group: pl.DataFrame | None = None  # this body's peers that year (core.peer_groups: peer, band, rule)
    mission_moves: pl.DataFrame | None = None  # mission by mission against a year of other detail (core.mission_movement)
    indicators: pl.DataFrame | None = None  # execution indicators per body, mission and programme (core.execution_indicators)
    indicator_peers: pl.DataFrame | None = None  # where the body's indicators stand among its peers (core.indicator_peers)

    def t(self, key: str):
        return label(key, self.lang)


class _Sheet:
    """A worksheet with a cursor and the report's formats; every text goes through write_string.

    Printing: A4 landscape, fitted to the page width only (as many pages tall as needed), the table's
    header row repeated on every page, the body, phase and year in the page header and "page n of m"
    in the footer. Columns in ``wrap`` wrap their text and each row is made tall enough for it.
    """

    def __init__(self, workbook, name, fmt, widths, inputs, wrap=()):
        self.ws = workbook.add_worksheet(name)
        self.fmt = fmt
        self.row = 0
        self.widths = widths
        self.wrap = set(wrap)
        for col, width in enumerate(widths):
            self.ws.set_column(col, col, width)
        self.ws.set_landscape()
        self.ws.fit_to_pages(1, 0)
        self.ws.set_paper(9)  # A4
        self.ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
        heading = _heading(inputs).replace("&", "&&")
        self.ws.set_header(f"&L&8{heading}&R&8{name.replace('&', '&&')}")
        self.ws.set_footer("&C&8" + inputs.t("page_of").replace("{n}", "&P").replace("{m}", "&N"))

    def value(self, col, value, kind="text", style=None):
        row = self.row
        if value is None:
            self.ws.write_blank(row, col, None, self.fmt.get(style))
        elif kind == "euro":
            self.ws.write_number(row, col, value / 100, self.fmt["euro_bold" if style == "bold" else "euro"])
        elif kind == "pct":  # rounded far below what is shown: sums in parallel differ in the last bit, the file must not
            self.ws.write_number(row, col, round(value, 12), self.fmt["pct"])
        elif kind == "num":
            self.ws.write_number(row, col, round(value, 12), self.fmt["num"])
        elif kind == "int":
            self.ws.write_number(row, col, value, self.fmt.get(style))
        elif kind == "right":  # text read as a figure (a mean and its interval): aligned like the numbers beside it
            self.ws.write_string(row, col, str(value), self.fmt["right"])
        else:
            self.ws.write_string(row, col, str(value), self.fmt.get(style))

    def line(self, *cells, style=None):
        height = 0.0
        for col, cell in enumerate(cells):
            value, kind = cell if isinstance(cell, tuple) else (cell, "text")
            if col in self.wrap and kind == "text" and value:
                self.ws.write_string(self.row, col, str(value), self.fmt["bold" if style == "bold" else "wrap"])
                height = max(height, _wrapped_height(str(value), self.widths[col]))
            else:
                self.value(col, value, kind, style)
        if height > 15:
            self.ws.set_row(self.row, min(height, 409))
        self.row += 1

    def note(self, text, style="bold"):
        """A paragraph across the sheet's columns, as tall as its wrapped text."""
        self.ws.merge_range(self.row, 0, self.row, len(self.widths) - 1, text, self.fmt[style])
        self.ws.set_row(self.row, min(_wrapped_height(text, sum(self.widths)), 409))
        self.row += 1

    def header(self, *titles):
        self.ws.write_row(self.row, 0, titles, self.fmt["header"])
        lines = max((-(-len(str(x)) // max(int(self.widths[i]), 1)) for i, x in enumerate(titles) if i < len(self.widths)), default=1)
        self.ws.set_row(self.row, 15 * max(lines, 1) + 2)  # header text wraps, never cut
        self.ws.freeze_panes(self.row + 1, 0)
        self.ws.repeat_rows(self.row)
        self.first_data = self.row
        self.row += 1

    def title(self, text, subtitle=None):
        self.ws.write_string(self.row, 0, text, self.fmt["title"])
        self.row += 1
        if subtitle:
            self.ws.write_string(self.row, 0, subtitle, self.fmt["subtitle"])
            self.row += 1
        self.row += 1

    def autofilter(self, columns):
        if self.row > self.first_data + 1:
            self.ws.autofilter(self.first_data, 0, self.row - 1, columns - 1)


def _formats(workbook) -> dict:
    return {
        "title": workbook.add_format({"bold": True, "font_size": 14, "font_color": "#1f4e79"}),
        "subtitle": workbook.add_format({"italic": True, "font_color": "#555555"}),
        "header": workbook.add_format({"bold": True, "bg_color": "#dde8f3", "border": 1, "text_wrap": True, "valign": "top"}),
        "bold": workbook.add_format({"bold": True, "valign": "top", "text_wrap": True}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "euro": workbook.add_format({"num_format": EURO, "valign": "top"}),
        "euro_bold": workbook.add_format({"num_format": EURO, "bold": True, "valign": "top"}),
        "pct": workbook.add_format({"num_format": "0%", "valign": "top"}),
        "num": workbook.add_format({"num_format": "0.00", "valign": "top"}),
        "right": workbook.add_format({"align": "right", "valign": "top"}),
    }


def write_report(inputs: ReportInputs, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"default_format_properties": {"valign": "top"}})
    workbook.set_properties({"title": f"areavasta - {body_name(inputs.body)} {inputs.year} {inputs.phase}", "author": "areavasta",
                             "created": inputs.as_of or dt.datetime(2000, 1, 1),
                             **({"comments": f"manifest {inputs.manifest_id}"} if inputs.manifest_id else {})})
    fmt = _formats(workbook)
    _summary(workbook, fmt, inputs)
    _changes(workbook, fmt, inputs)
    _matrix(workbook, fmt, inputs)
    _ratings(workbook, fmt, inputs)
    _priorities(workbook, fmt, inputs)
    _indicators(workbook, fmt, inputs)
    _peers(workbook, fmt, inputs)
    _strategy(workbook, fmt, inputs)
    _plan(workbook, fmt, inputs)
    _scenarios(workbook, fmt, inputs)
    _data(workbook, fmt, inputs)
    _checks(workbook, fmt, inputs)
    _method(workbook, fmt, inputs)
    workbook.close()
    return path


def _heading(inputs) -> str:
    """The body, phase and year; on every printed page, so it also says when the figures are BDAP open data."""
    heading = f"{body_name(inputs.body)} - {inputs.t('phase_' + inputs.phase)} {inputs.year}"
    return f"{heading} ({inputs.t('open_data_short')})" if inputs.open_data else heading


def _summary(workbook, fmt, inputs):
    t, lang = inputs.t, inputs.lang
    s = _Sheet(workbook, t("summary"), fmt, [60, 18, 18, 70], inputs, wrap=(0, 3))
    s.title(t("summary"), _heading(inputs))
    if inputs.open_data:
        s.note(t("open_data_note").format(files=inputs.open_data))
        s.row += 1
    b = inputs.body_figures
    s.line(t("spending_t12"), (b.get("total_cents"), "euro"))
    s.line(t("per_capita"), (b.get("per_capita_eur"), "num"))
    s.line(t("rigidity"), (b.get("rigidity_share"), "pct"))
    s.line(t("staff"), (b.get("staff_share"), "pct"))
    s.line(t("debt_service"), (b.get("debt_service_share"), "pct"))
    s.line(t("transfer_share"), (b.get("transfer_share"), "pct"))
    s.row += 1
    s.line(t("by_quadrant"), t("functions"), t("spending"), style="bold")
    technical = (pl.col("kind") == "technical") if "kind" in inputs.functions.columns else pl.lit(False)
    group = pl.when(technical).then(pl.lit("~technical")).otherwise(pl.col("quadrant"))  # outside the matrix at every detail
    counts = inputs.functions.group_by(group.alias("quadrant")).agg(n=pl.len(), spend=pl.col("total_cents").sum()).sort("quadrant", nulls_last=True)
    for quadrant, n, spend in counts.iter_rows():
        if quadrant == "~technical":
            name = t("technical_outside")
        else:
            name = inputs.functions.filter(pl.col("quadrant") == quadrant)[f"service_type_{lang}"].first() if quadrant else t("not_classified")
        s.line(name or quadrant, (n, "int"), (spend, "euro"))
    s.row += 1
    s.line(t("top"), style="bold")
    for r in inputs.ranked.head(5).iter_rows(named=True):
        s.line(f"{r['rank']}. {r['function']} {named(r, inputs.lang)}", f"{r['score']:.1f} / 100", r[f"tier_{lang}"], r[f"reasons_{lang}"] or "")
    s.row += 1
    for kind, n in plan_counts(inputs.projects).items():  # development projects, mission-level ones and hand-over plans apart
        s.line(t("plan_counts")[kind], (n, "int"))


def plan_counts(projects: pl.DataFrame) -> dict[str, int]:
    """How many plans of each kind: ``development`` (programme level), ``development_mission`` (to complete with programme
    detail first), ``maintain``, ``delegation``, ``handover``, ``split``."""
    kinds = ("development", "development_mission", "maintain", "delegation", "handover", "split")
    if projects.is_empty():
        return dict.fromkeys(kinds, 0)
    coarse = pl.col("coarse").fill_null(False) if "coarse" in projects.columns else pl.lit(False)
    kind = pl.when((pl.col("plan_kind") == "development") & coarse).then(pl.lit("development_mission")).otherwise(pl.col("plan_kind"))
    counted = dict(projects.group_by(kind.alias("k")).len().iter_rows())
    return {k: int(counted.get(k, 0)) for k in kinds}


def _matrix(workbook, fmt, inputs):
    t, lang = inputs.t, inputs.lang
    s = _Sheet(workbook, t("matrix"), fmt, [7, 30, 11, 16, 13, 9, 18, 20, 8, 48, 22], inputs, wrap=(1, 6, 7, 9, 10))
    s.title(t("matrix_title"), _heading(inputs))
    s.header(*t("matrix_header"))
    for r in inputs.functions.sort(pl.col("quadrant").is_null(), "function").iter_rows(named=True):
        s.line(r["function"], named(r, inputs.lang), STATUS[lang].get(r.get("status"), r.get("status") or ""), (r["total_cents"], "euro"),
               (r.get("transfer_share"), "pct"), (r.get("authority"), "num"), r.get(f"service_type_{lang}") or "",
               r.get(f"governance_{lang}") or "", t("yes_word") if r.get("borderline") else "", r.get(f"explanation_{lang}") or "",
               r.get("override_note") or "")
    s.autofilter(11)
    if inputs.chart_png:  # below the table, on a page of its own: the table's header stays frozen at the top
        s.row += 1
        s.ws.set_h_pagebreaks([s.row])
        s.ws.write_string(s.row, 0, t("matrix_chart"), fmt["title"])
        s.ws.insert_image(s.row + 1, 0, "matrice.png", {"image_data": io.BytesIO(inputs.chart_png), "x_scale": 0.85, "y_scale": 0.85})


def _priorities(workbook, fmt, inputs):
    t, lang = inputs.t, inputs.lang
    s = _Sheet(workbook, t("priorities"), fmt, [6, 7, 28, 8, 14, 9, 9, 9, 9, 9, 9, 48, 36, 40], inputs, wrap=(2, 11, 12, 13))
    s.title(t("priorities_title"), t("priorities_subtitle"))
    s.header(*t("priorities_header"))
    for r in inputs.ranked.iter_rows(named=True):
        s.line((r["rank"], "int"), r["function"], named(r, inputs.lang), (r["score"], "num"), r[f"tier_{lang}"],
               *[(r.get(f"c_{c}"), "num") for c in ("size", "manoeuvrability", "transformation", "peer_gap", "trend", "status")],
               r[f"reasons_{lang}"] or "", "; ".join(flag_labels(lang).get(f, f) for f in r["flags"] or []), _peer_figure(r, lang))
    s.autofilter(14)


def _peer_figure(row: dict, lang: str) -> str:
    """The peers' median with the peers and their values beside it (empty without peers)."""
    if row.get("peer_median_eur") is None:
        return ""
    return f"{label('peer_median', lang)} {format_euro(round(row['peer_median_eur'] * 100), lang)}: {peer_values(row, lang)}"


def _indicators(workbook, fmt, inputs):
    """The execution indicators of the body, then of each programme: the share, its numerator and denominator, and why an
    empty one is empty (the amount kind is not in the files, or nothing to divide by), never a 0 that is not there."""
    t, lang = inputs.t, inputs.lang
    found = inputs.indicators if inputs.indicators is not None and inputs.indicators.height else None
    s = _Sheet(workbook, t("indicators_title"), fmt, [12, 44, 11, 17, 17, 58], inputs, wrap=(1, 5))
    s.title(t("indicators_sheet_title"), t("indicators_sheet_subtitle"))
    if found is None:
        s.note(t("indicators_none"), style="wrap")
        return
    catalogue = {r["indicator"]: r for r in indicator_catalogue().iter_rows(named=True)}
    order = {k: i for i, k in enumerate(catalogue)}  # the catalogue's order, as the page shows them
    found = found.with_columns(_order=pl.col("indicator").replace_strict(order, default=99, return_dtype=pl.Int32)).sort("code", "_order")
    s.header(*t("indicators_header"))
    for r in found.filter(pl.col("detail") == "body").iter_rows(named=True):
        row = catalogue[r["indicator"]]
        shown = r["missing"] is None  # an empty indicator shows no figures: a 0 that is not in the files would mislead
        s.line("", row[f"label_{lang}"], (r["value"], "pct") if shown else "", (r["numerator_cents"], "euro") if shown else "",
               (r["denominator_cents"], "euro") if shown else "", indicator_missing(r["missing"], lang) or row["reference"])
    standing = inputs.indicator_peers.filter(pl.col("detail") == "body") if inputs.indicator_peers is not None and inputs.indicator_peers.height else None
    if standing is not None and standing.height:
        s.row += 1
        s.header(*t("indicators_peers_header"))
        for r in sorted(standing.iter_rows(named=True), key=lambda r: order.get(r["indicator"], 99)):
            s.line("", catalogue[r["indicator"]][f"label_{lang}"], (r["value"], "pct"), (r["peer_median"], "pct"),
                   t("indicators_quartiles").format(q1=percent(r["peer_q1"], lang), q3=percent(r["peer_q3"], lang)),
                   peer_shares(r["peer_bodies"], r["peer_values"], lang))
    functions = found.filter(pl.col("detail") == "function", pl.col("value").is_not_null())
    if functions.height:
        s.row += 1
        s.header(*t("indicators_function_header"))
        medians = {} if standing is None else {(r["code"], r["indicator"]): r for r in inputs.indicator_peers.filter(
            pl.col("detail") == "function").iter_rows(named=True)}
        for r in functions.iter_rows(named=True):
            peers = medians.get((r["code"], r["indicator"]))
            among = t("indicators_function_peers").format(median=percent(peers["peer_median"], lang), peers=peers["peers"]) if peers else ""
            s.line(r["code"], catalogue[r["indicator"]][f"label_{lang}"], (r["value"], "pct"), (r["numerator_cents"], "euro"),
                   (r["denominator_cents"], "euro"), among)
        s.autofilter(6)


def _peers(workbook, fmt, inputs):
    """Who the peers are (the rule chosen), and for every ranked function their values, who lacks it and why."""
    t, lang = inputs.t, inputs.lang
    s = _Sheet(workbook, t("peers_title"), fmt, [7, 30, 13, 13, 52, 52], inputs, wrap=(1, 4, 5))
    s.title(t("peers_sheet_title"), t("peers_sheet_subtitle"))
    group = inputs.peer_group if inputs.peer_group is not None else pl.DataFrame()
    rule = peer_rule(group["rule"][0] if group.height else None, group["band"][0] if group.height else None, lang)
    names = ", ".join(body_name(p) for p in sorted(group["peer"])) if group.height else ""
    s.note(t("peers_group").format(rule=rule, names=names) if names else t("peers_none").format(rule=rule), style="wrap")
    if not group.height:
        return
    s.row += 1
    s.header(*t("peers_header"))
    for r in inputs.ranked.sort("function").iter_rows(named=True):
        median = r.get("peer_median_eur")
        s.line(r["function"], named(r, inputs.lang), (r.get("per_capita_eur"), "num"), (median, "num") if median is not None else "",
               peer_values(r, lang), peers_lacking(r, lang))
    s.autofilter(6)


def _strategy(workbook, fmt, inputs):
    t = inputs.t
    s = _Sheet(workbook, t("strategy"), fmt, [7, 16, 24, 34, 34, 52, 9], inputs, wrap=(1, 2, 3, 4, 5))
    s.title(t("strategy_title"), t("strategy_subtitle"))
    s.header(*t("strategy_header"))
    if inputs.strategy is not None:
        for r in inputs.strategy.iter_rows(named=True):
            s.line(r["function"], r.get("field_name") or r.get("field") or "", r["actor"], r["resources"], r["delivery_mode"],
                   r.get("modes") or "", r["source"])
    s.autofilter(7)


def _wrapped_height(text: str, width_chars: int, line_points: float = 15.0) -> float:
    """Row height (points) for ``text`` wrapped in a column ``width_chars`` wide: one line per started width, per paragraph."""
    lines = sum(max(1, -(-len(paragraph) // int(width_chars * 1.1))) for paragraph in text.split("\n"))
    return line_points * lines


PLAN_PARTS = ("field_name", "coproduction_types", "coproduction_why", "actors", "instruments", "cases", "phases_text", "risks_text",
              "direction")


def _plan(workbook, fmt, inputs):
    t, lang = inputs.t, inputs.lang
    s = _Sheet(workbook, t("plan"), fmt, [30, 110], inputs)
    s.title(t("plan_title"), _heading(inputs))
    names = dict(zip(inputs.logic_names["code"], inputs.logic_names[f"name_{lang}"])) if inputs.logic_names is not None else {}
    labels, kinds = t("plan_rows"), t("plan_kinds")
    for p in inputs.projects.iter_rows(named=True):
        if lang != "it":  # the plan's parts in the report's language (stored in both)
            p = {**p, **{k: p[f"{k}_{lang}"] for k in PLAN_PARTS if p.get(f"{k}_{lang}") is not None}}
        s.line(f"{p['function']} {p.get('name') or ''}", style="bold")
        develop = p.get("plan_kind", "development") == "development"
        rows = [(labels[12], kinds.get(p.get("plan_kind") or "development", "")), (labels[13], p.get("coproduction_why")),
                (labels[14], p.get("actors")), (labels[4], p.get("instruments")), (labels[6], p.get("phases_text")),
                (labels[7], p.get("risks_text"))]
        if develop:
            rows[2:2] = [
                (labels[0], p.get("current_position")), (labels[1], p.get("target_position")),
                (labels[2], ", ".join(names.get(x, x) for x in p["logics"]) + f" ({p.get('logic_reasons') or ''})"),
                (labels[3], p.get("coproduction_types")), (labels[5], p.get("cases")),
            ]
        for name, text in rows:
            s.ws.write_string(s.row, 0, name, fmt["bold"])
            s.ws.write_string(s.row, 1, text or "", fmt["wrap"])
            s.ws.set_row(s.row, _wrapped_height(text or "", 110))
            s.row += 1
        if p.get("coarse"):  # a mission total: a direction, no euro (first step: programme detail, in the phases)
            rows = [(labels[15], p.get("direction"))] + ([(labels[9], t("mission_effect"))] if develop else [])
            for name, text in rows:
                s.ws.write_string(s.row, 0, name, fmt["bold"])
                s.ws.write_string(s.row, 1, text or "", fmt["wrap"])
                s.ws.set_row(s.row, _wrapped_height(text or "", 110))
                s.row += 1
        elif develop:
            s.ws.write_string(s.row, 0, labels[8], fmt["bold"])
            s.ws.write_number(s.row, 1, round(p["kick_start_cents"] / 100, -3), fmt["euro"])  # a planner's figure: to the thousand
            s.row += 1
            s.ws.write_string(s.row, 0, labels[9], fmt["bold"])
            s.ws.write_string(s.row, 1, range_words(p["effect_low_cents"], p["effect_high_cents"], lang), fmt["wrap"])
            s.row += 1
        for k in inputs.kpis.filter(pl.col("function") == p["function"]).iter_rows(named=True):
            s.ws.write_string(s.row, 0, f"{labels[10]}: {k.get(f'label_{lang}') or k['label']} ({k.get('unit') or ''})", fmt["bold"])
            if k["baseline"] is None:
                s.ws.write_string(s.row, 1, f"{t('kpi_unknown')} ({k.get(f'data_needed_{lang}') or k.get('data_needed') or ''})", fmt["wrap"])
            else:
                s.ws.write_number(s.row, 1, k["baseline"], fmt["num" if k["format"] == "eur" else "pct"])
            s.row += 1
        s.ws.write_string(s.row, 0, labels[11], fmt["bold"])
        for paragraph in (x for x in p["dup_text"].split("\n\n") if x.strip()):  # one row each: rows stop at 409 points
            s.ws.write_string(s.row, 1, paragraph, fmt["wrap"])
            s.ws.set_row(s.row, min(_wrapped_height(paragraph, 110), 409))
            s.row += 1
        s.row += 1


def _scenarios(workbook, fmt, inputs):
    """Side by side: one column per scenario, one row per projected year, every one over the same functions; then each
    scenario's difference from the Base, function by function (parameters in the Metodo sheet)."""
    if "scenario" not in inputs.scenarios.columns:  # the year's scenarios not computed yet (a first upload's fast run)
        s = _Sheet(workbook, inputs.t("scenarios"), fmt, [110], inputs)
        s.title(inputs.t("scenarios_title"), inputs.t("scenarios_pending"))
        return
    t = inputs.t
    names = ["base", *sorted(n for n in inputs.scenarios["scenario"].unique().to_list() if n != "base")]
    s = _Sheet(workbook, t("scenarios"), fmt, [12, 30] + [20] * len(names), inputs, wrap=tuple(range(1, 2 + len(names))))
    s.title(t("scenarios_title"), t("scenarios_subtitle"))
    if inputs.phase == "rendiconto":  # a closed year: what the plans would have changed
        s.note(t("scenarios_ex_post").format(year=inputs.year, next=inputs.year + 1) + " " + (
            t("scenarios_next_forecast").format(next=inputs.year + 1, file=inputs.next_forecast) if inputs.next_forecast else
            t("scenarios_no_forecast").format(next=inputs.year + 1)), style="wrap")
    functions = inputs.scenarios["functions"].max() if "functions" in inputs.scenarios.columns else None
    if functions:
        s.note(t("scenarios_same_set").format(n=functions), style="wrap")
    s.row += 1
    labels = [t("baseline") if n == "base" else inputs.scenario_labels.get(n, n) for n in names]
    s.header(t("year"), t("functions_compared"), *labels)
    wide = inputs.scenarios.pivot(on="scenario", index="projected_year", values="total_cents").sort("projected_year")
    for r in wide.iter_rows(named=True):
        s.line((r["projected_year"], "int"), (functions, "int") if functions else "", *[(r.get(n), "euro") for n in names])
    per_function = inputs.scenario_functions
    if per_function is None or per_function.is_empty():
        return
    last = per_function["projected_year"].max()
    s.row += 1
    s.note(t("scenarios_by_function").format(year=last))
    s.header(t("code"), t("function_word"), *labels)
    rows = {r["function"]: r for r in inputs.functions.iter_rows(named=True)}
    at_end = per_function.filter(pl.col("projected_year") == last)
    base = dict(at_end.select("function", "baseline_cents").unique("function").iter_rows())
    for function in sorted(base):
        row_of = rows.get(function, {"function": function})
        cells = [function, named(row_of, inputs.lang), (base[function], "euro")]
        for name in names[1:]:
            row = at_end.filter(pl.col("scenario") == name, pl.col("function") == function)
            if not (row.height and row["in_plan"][0]):
                cells.append(t("not_in_plan"))
            elif row_of.get("coarse"):  # a mission total: the plan has a direction, no euro effect
                cells.append(t("effect_by_mission"))
            else:
                cells.append((row["with_plan_cents"][0] - base[function], "euro"))
        s.line(*cells)
    s.note(t("scenarios_difference_note"), style="wrap")


def _data(workbook, fmt, inputs):
    columns = ["function", "name", "kind", "coarse", "total_cents", "direct_cents", "support_allocated_cents", "full_cents",
               "per_capita_eur", "transfer_share", "operating_share", "financial_share", "rigid_share", "capital_share", "authority",
               "quadrant", "not_classified", "revenue_cents", "cost_recovery_share", "revenue_sources"]
    s = _Sheet(workbook, inputs.t("data"), fmt, [7, 28, 10, 8, 15, 15, 15, 15, 10, 9, 9, 9, 9, 9, 8, 12, 28, 15, 9, 40], inputs, wrap=(1, 16, 19))
    s.title(inputs.t("data_title"), _heading(inputs))
    s.header(*inputs.t("data_header"))
    kinds = {"total_cents": "euro", "direct_cents": "euro", "revenue_cents": "euro", "support_allocated_cents": "euro", "full_cents": "euro",
             "per_capita_eur": "num", "authority": "num"}
    rows = inputs.functions.sort("function")
    rows = rows.with_columns(cost_recovery_share=pl.col("cost_recovery")) if "cost_recovery" in rows.columns else rows
    lang = inputs.lang
    words = {"kind": inputs.t("kinds"), "not_classified": {k: v[0 if lang == "it" else 1] for k, v in REASONS.items()}}
    for r in rows.iter_rows(named=True):
        cells = []
        r = {**r, "quadrant": r.get(f"service_type_{lang}") or ""}  # the words, never the internal key
        for c in columns:
            v = words[c].get(r.get(c), r.get(c)) if c in words else r.get(c)
            if c.endswith("_share"):
                cells.append((v, "pct"))
            elif c in kinds:
                cells.append((v, kinds[c]))
            elif isinstance(v, bool):
                cells.append(inputs.t("yes_word") if v else "")
            else:
                cells.append("" if v is None else str(v))
        s.line(*cells)
    s.autofilter(len(columns))


def _changes(workbook, fmt, inputs):
    """Cosa è cambiato rispetto all'anno precedente: quadrant, tier, flags and plan changes, each with its reason."""
    changes = inputs.changes
    if changes is None:
        return
    s = _Sheet(workbook, inputs.t("changes"), fmt, [10, 34, 16, 26, 26, 70], inputs, wrap=(1, 3, 4, 5))
    s.title(changes.title, changes.note)
    if inputs.mission_moves is not None and inputs.mission_moves.height:  # a year of other detail: compared mission by mission
        _mission_moves(s, inputs)
    if changes.rows.is_empty():
        return
    s.header(*inputs.t("changes_header"))
    kinds = inputs.t("change_kinds")
    for r in changes.rows.iter_rows(named=True):
        s.line(r["function"], r["name"], kinds.get(r["change"], r["change"]), r["before"], r["after"], r["reason"])
    s.autofilter(6)


def _mission_moves(s: _Sheet, inputs) -> None:
    """Spending and transfer share mission by mission against a year of other detail (core.mission_movement)."""
    moves, lang = inputs.mission_moves.sort("function"), inputs.lang
    first = moves.row(0, named=True)
    before, now = first["year_before"], first["year"]
    levels = label("detail_levels", lang)
    s.note(label("mission_movement", lang).format(before=before, after=now, detail_before=levels[first["detail_before"]],
                                                  detail_after=levels[first["detail_now"]]), style="wrap")
    s.header(*[h.format(before=before, after=now) for h in label("mission_movement_header", lang)])
    names = dict(zip(missions()["code"], missions()["name"]))
    for r in moves.iter_rows(named=True):
        shares = " → ".join("n.d." if v is None else f"{v:.0%}" for v in (r["transfer_before"], r["transfer_share"]))
        s.line(r["function"], names.get(r["function"], ""), (r["spending_before_cents"], "euro"), (r["spending_cents"], "euro"),
               (r["change"], "pct"), shares)
    s.row += 1


def _ratings(workbook, fmt, inputs):
    """What users and Third Sector bodies say of each function: n, mean and interval per scale, small samples flagged."""
    t = inputs.t
    s = _Sheet(workbook, t("ratings"), fmt, [9, 36, 24, 6, 18, 18, 22, 4, 28], inputs, wrap=(1, 8))
    s.title(t("ratings_title"), t("ratings_subtitle"))
    stats = inputs.ratings
    if stats is None or stats.is_empty():
        s.line(t("no_ratings"))
        return
    header = t("ratings_header")
    s.header(*header[:7], "", header[7])  # a narrow empty column keeps the last figure apart from the note
    names = dict(zip(inputs.functions["function"], inputs.functions["name"].fill_null(""))) if "name" in inputs.functions.columns else {}
    types = {**t("respondent_types"), "tutti": t("all_respondents")}

    def cell(r, scale):
        if r[f"mean_{scale}"] is None:
            return ""
        text = f"{r[f'mean_{scale}']:.1f}" + (f" ({r[f'low_{scale}']:.1f}-{r[f'high_{scale}']:.1f})" if r[f"low_{scale}"] is not None else "")
        return text.replace(".", ",") if inputs.lang == "it" else text

    for r in stats.iter_rows(named=True):
        s.line(r["function"], names.get(r["function"], ""), types.get(r["respondent_type"], r["respondent_type"]), (r["n_quality"], "int"),
               (cell(r, "quality"), "right"), (cell(r, "accessibility"), "right"), (cell(r, "willingness"), "right"), "",
               "" if r["enough_quality"] else t("few_ratings"))
    s.autofilter(9)


def _checks(workbook, fmt, inputs):
    s = _Sheet(workbook, inputs.t("checks"), fmt, [36, 18, 12, 22, 70], inputs, wrap=(0, 4))
    s.title(inputs.t("checks_title"), inputs.t("checks_subtitle"))
    s.header(*inputs.t("checks_header"))
    for f in inputs.findings:
        s.line(f.get("file") or "", f.get("sheet") or "", f.get("cell") or (str(f.get("row")) if f.get("row") else ""), f.get("code") or "", f.get("message") or "")
    if not inputs.findings:
        s.line(inputs.t("no_warnings"))


def _method(workbook, fmt, inputs):
    t = inputs.t
    s = _Sheet(workbook, t("method"), fmt, [52, 90], inputs, wrap=(0, 1))
    s.title(t("method_title"), t("method_subtitle"))
    if inputs.manifest_id:
        s.line(t("manifest"), style="bold")
        s.line(inputs.manifest_id, t("manifest_note").format(id=inputs.manifest_id))
        s.row += 1
    s.line(t("parameters"), style="bold")
    for path, value in parameter_rows(inputs.parameters, inputs.lang):
        s.line(path, value)
    s.row += 1
    s.line(t("catalogues"), style="bold")
    for name, digest in inputs.catalogue_versions.items():
        s.line(name, short_checksum(digest))
    s.row += 1
    s.line(t("sources"), style="bold")
    states = t("upload_states")
    for u in inputs.uploads.iter_rows(named=True):
        layout = _layout_description(u["layout"], inputs.lang)
        s.line(u["original_name"], f"SHA-256 {short_checksum(u['sha256'])} - {t('layout')}: {layout} - {t('received')} "
                                   f"{date_time(u['received_at'], inputs.lang)} {t('by')} {u['received_by']} - {states.get(u['status'], u['status'])}")


def _layout_description(name: str | None, lang: str) -> str:
    try:
        return profile(name).description(lang) or name
    except (KeyError, ValueError, TypeError):
        return name or ""
