"""The workbook's frame: what a report is made of (``ReportInputs``), a sheet being written (``Sheet``: title,
headers, lines, print set-up) and the cell formats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl
import xlsxwriter

from dashboards.words import label
from dashboards.workbook_fit import fit_sheet
from sources.catalogues import status_labels
from sources.reference import body_name

EURO = "#,##0.00 [$€-410]"  # 1.234.567,89 € in an Italian Excel
SCORE = '0.0 "/ 100"'  # a priority score: 82,0 / 100
LOCALE = {"it": "[$-410]", "en": "[$-809]"}  # the figures' language: Italian, British English
PAD = "_-_-"  # two dashes' room after a figure: never glued to the text of the next column


STATUS = {lang: status_labels(lang) for lang in ("it", "en")}


@dataclass
class ReportInputs:
    body: str
    year: int
    phase: str
    functions: pl.DataFrame  # classified functions of this body, year, phase
    body_figures: dict  # row of bodies.csv
    ranked: pl.DataFrame  # portfolio rows
    projects: pl.DataFrame  # plans
    projection: pl.DataFrame
    kpis: pl.DataFrame
    scenarios: pl.DataFrame  # scenario comparison (name, projected_year, total, functions)
    uploads: pl.DataFrame  # files behind these numbers
    strategy: pl.DataFrame | None = None  # actors, resources, alternative delivery modes per function
    findings: list[dict] = field(default_factory=list)  # warnings of the accepted files
    parameters: dict = field(default_factory=dict)
    catalogue_versions: dict = field(default_factory=dict)
    chart_png: bytes | None = None
    lang: str = "it"
    logic_names: pl.DataFrame | None = None  # response logic code -> name in each language
    scenario_labels: dict = field(default_factory=dict)  # scenario name -> its label in the report's language
    changes: object | None = None  # pipelines.changes.Changes: what changed since the previous year, in this language
    ratings: pl.DataFrame | None = None  # co-assessment statistics of this body and year (core.coassessment)
    open_data: str | None = (
        None  # the BDAP extract(s) this body, year and phase is analysed from, when nobody uploaded it
    )
    manifest_id: str | None = None  # the run manifest the workbook was computed from (warehouse.manifest)
    as_of: dt.datetime | None = (
        None  # the latest receipt among its inputs: the workbook's date, so reruns are byte-identical
    )
    scenario_functions: pl.DataFrame | None = (
        None  # every scenario over the common set of functions (core.scenario_functions)
    )
    next_forecast: str | None = (
        None  # the workbook of the next year's forecast, when loaded (the scenarios of a closed year point at it)
    )
    peer_group: pl.DataFrame | None = None  # this body's peers that year (core.peer_groups: peer, band, rule)
    mission_moves: pl.DataFrame | None = (
        None  # mission by mission against a year of other detail (core.mission_movement)
    )
    indicators: pl.DataFrame | None = (
        None  # execution indicators per body, mission and programme (core.execution_indicators)
    )
    indicator_peers: pl.DataFrame | None = (
        None  # where the body's indicators stand among its peers (core.indicator_peers)
    )

    def t(self, key: str):
        return label(key, self.lang)


class ReportBook(xlsxwriter.Workbook):
    """A workbook whose sheets are fitted when it closes: column widths, row heights and page from what was written
    (``dashboards.workbook_fit``)."""

    def __init__(self, filename, options=None):
        super().__init__(filename, options)
        self.frames: list[Sheet] = []

    def close(self):
        for frame in self.frames:
            fit_sheet(frame)
        super().close()


class Sheet:
    """A worksheet with a cursor and the report's formats; every text goes through write_string.

    Every text wraps in its cell and is remembered with the row and column it was written to: when the workbook
    closes, each column is made as wide as its longest text up to ``widths`` (never narrower than its longest word or
    figure), each row as tall as its wrapped text, and the page portrait or landscape as the columns need
    (``dashboards.workbook_fit``). Columns in ``fixed`` keep the width given. Printing: A4, fitted to the page width
    only (as many pages tall as needed), the table's header row repeated on every page, the body, phase and year in
    the page header and "page n of m" in the footer.
    """

    def __init__(self, workbook, name, fmt, widths, inputs, fixed=()):
        self.ws = workbook.add_worksheet(name)
        self.fmt = fmt
        self.row = 0
        self.widths = list(widths)  # the most each column may take; fitted when the workbook closes
        self.fixed = set(fixed)
        self.cells: list[tuple[int, int, str, str]] = []  # (row, column, text as shown, role: text/bold/figure)
        self.spans: list[tuple[int, int, int, str, bool, float]] = []  # (row, first, last, text, bold, font size)
        self.ws.fit_to_pages(1, 0)
        self.ws.set_paper(9)  # A4
        self.ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
        heading = page_heading(inputs).replace("&", "&&")
        self.ws.set_header(f"&L&8{heading}&R&8{name.replace('&', '&&')}")
        self.ws.set_footer("&C&8" + inputs.t("page_of").replace("{n}", "&P").replace("{m}", "&N"))
        workbook.frames.append(self)  # a ReportBook: fitted when it closes

    def value(self, col, value, kind="text", style=None):
        row = self.row
        if value is None:
            self.ws.write_blank(row, col, None, self.fmt.get(style))
            return
        if kind in ("text", "label"):
            bold = style == "bold" or kind == "label"
            self.ws.write_string(row, col, str(value), self.fmt["bold" if bold else "wrap"])
            self.cells.append((row, col, str(value), "bold" if bold else "text"))
            return
        variant = "_left" if style == "left" else "_bold" if style == "bold" and kind == "euro" else ""
        if kind == "euro":
            self.ws.write_number(row, col, value / 100, self.fmt["euro" + variant])
            shown = f"{value / 100:,.2f} €"
        elif kind in ("pct", "num", "score"):
            # rounded far below what is shown: sums in parallel differ in the last bit, the file must not
            self.ws.write_number(row, col, round(value, 12), self.fmt[kind + variant])
            shown = {"pct": f"{value:.0%}", "num": f"{value:,.2f}", "score": f"{value:.1f} / 100"}[kind]
        elif kind == "int":
            self.ws.write_number(row, col, value, self.fmt["int"])
            shown = str(value)
        else:  # "right": text read as a figure (a mean and its interval), aligned like the numbers beside it
            self.ws.write_string(row, col, str(value), self.fmt["right"])
            shown = str(value)
        self.cells.append((row, col, shown, "figure"))

    def line(self, *cells, style=None):
        for col, cell in enumerate(cells):
            value, kind = cell if isinstance(cell, tuple) else (cell, "text")
            self.value(col, value if value != "" or kind != "text" else None, kind, style)
        self.row += 1

    def note(self, text, style="bold", size=11):
        """A paragraph across the sheet's columns, as tall as its wrapped text."""
        last = len(self.widths) - 1
        if last:
            self.ws.merge_range(self.row, 0, self.row, last, text, self.fmt[style])
        else:
            self.ws.write_string(self.row, 0, text, self.fmt[style])
        self.spans.append((self.row, 0, last, text, style in ("bold", "title"), size))
        self.row += 1

    def header(self, *titles):
        self.ws.write_row(self.row, 0, titles, self.fmt["header"])
        self.cells.extend((self.row, col, str(title), "header") for col, title in enumerate(titles) if title)
        self.ws.freeze_panes(self.row + 1, 0)
        self.ws.repeat_rows(self.row)
        self.first_data = self.row
        self.row += 1

    def title(self, text, subtitle=None):
        self.note(text, "title", size=14)
        if subtitle:
            self.note(subtitle, "subtitle")
        self.row += 1

    def autofilter(self, columns):
        if self.row > self.first_data + 1:
            self.ws.autofilter(self.first_data, 0, self.row - 1, columns - 1)


def formats(workbook, lang: str = "it") -> dict:
    """The cell formats; figures carry the report's locale (``[$-410]``, Italian: LibreOffice then prints 1.234,5
    whatever the machine's language, Excel follows the reader's settings) and a little room on their right."""
    locale = LOCALE[lang]
    top = {"valign": "top"}
    return {
        "title": workbook.add_format({"bold": True, "font_size": 14, "font_color": "#1f4e79", "text_wrap": True}),
        "subtitle": workbook.add_format({"italic": True, "font_color": "#555555", "text_wrap": True}),
        "header": workbook.add_format({"bold": True, "bg_color": "#dde8f3", "border": 1, "text_wrap": True, **top}),
        "header_turned": workbook.add_format(  # over a column of short figures (dashboards.workbook_fit)
            {"bold": True, "bg_color": "#dde8f3", "border": 1, "rotation": 90, "text_wrap": True, "valign": "bottom"}
        ),
        "bold": workbook.add_format({"bold": True, "text_wrap": True, **top}),
        "wrap": workbook.add_format({"text_wrap": True, **top}),
        "euro": workbook.add_format({"num_format": locale + EURO + PAD, **top}),
        "euro_bold": workbook.add_format({"num_format": locale + EURO + PAD, "bold": True, **top}),
        "pct": workbook.add_format({"num_format": locale + "0%" + PAD, **top}),
        "num": workbook.add_format({"num_format": locale + "#,##0.00" + PAD, **top}),
        "score": workbook.add_format({"num_format": locale + SCORE + PAD, **top}),
        "int": workbook.add_format({"num_format": "0" + PAD, **top}),  # counts, ranks and years: 2025, never 2.025
        "right": workbook.add_format({"align": "right", **top}),
        **{  # a figure beside its label (the plan's)
            f"{kind}_left": workbook.add_format({"num_format": locale + code, "align": "left", **top})
            for kind, code in (("euro", EURO), ("pct", "0%"), ("num", "#,##0.00"), ("score", SCORE))
        },
    }


def page_heading(inputs) -> str:
    """The body, phase and year; on every printed page, so it also says when the figures are BDAP open data."""
    heading = f"{body_name(inputs.body)} - {inputs.t('phase_' + inputs.phase)} {inputs.year}"
    return f"{heading} ({inputs.t('open_data_short')})" if inputs.open_data else heading
