"""The workbook's frame: what a report is made of (``ReportInputs``), a sheet being written (``Sheet``: title,
headers, lines, print set-up) and the cell formats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from dashboards.words import label
from sources.catalogues import status_labels
from sources.reference import body_name

EURO = "#,##0.00 [$€-410]"  # 1.234.567,89 € in an Italian Excel


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


class Sheet:
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
        heading = page_heading(inputs).replace("&", "&&")
        self.ws.set_header(f"&L&8{heading}&R&8{name.replace('&', '&&')}")
        self.ws.set_footer("&C&8" + inputs.t("page_of").replace("{n}", "&P").replace("{m}", "&N"))

    def value(self, col, value, kind="text", style=None):
        row = self.row
        if value is None:
            self.ws.write_blank(row, col, None, self.fmt.get(style))
        elif kind == "euro":
            self.ws.write_number(row, col, value / 100, self.fmt["euro_bold" if style == "bold" else "euro"])
        elif (
            kind == "pct"
        ):  # rounded far below what is shown: sums in parallel differ in the last bit, the file must not
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
                height = max(height, wrapped_height(str(value), self.widths[col]))
            else:
                self.value(col, value, kind, style)
        if height > 15:
            self.ws.set_row(self.row, min(height, 409))
        self.row += 1

    def note(self, text, style="bold"):
        """A paragraph across the sheet's columns, as tall as its wrapped text."""
        self.ws.merge_range(self.row, 0, self.row, len(self.widths) - 1, text, self.fmt[style])
        self.ws.set_row(self.row, min(wrapped_height(text, sum(self.widths)), 409))
        self.row += 1

    def header(self, *titles):
        self.ws.write_row(self.row, 0, titles, self.fmt["header"])
        lines = max(
            (-(-len(str(x)) // max(int(self.widths[i]), 1)) for i, x in enumerate(titles) if i < len(self.widths)),
            default=1,
        )
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


def formats(workbook) -> dict:
    return {
        "title": workbook.add_format({"bold": True, "font_size": 14, "font_color": "#1f4e79"}),
        "subtitle": workbook.add_format({"italic": True, "font_color": "#555555"}),
        "header": workbook.add_format(
            {"bold": True, "bg_color": "#dde8f3", "border": 1, "text_wrap": True, "valign": "top"}
        ),
        "bold": workbook.add_format({"bold": True, "valign": "top", "text_wrap": True}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "euro": workbook.add_format({"num_format": EURO, "valign": "top"}),
        "euro_bold": workbook.add_format({"num_format": EURO, "bold": True, "valign": "top"}),
        "pct": workbook.add_format({"num_format": "0%", "valign": "top"}),
        "num": workbook.add_format({"num_format": "0.00", "valign": "top"}),
        "right": workbook.add_format({"align": "right", "valign": "top"}),
    }


def page_heading(inputs) -> str:
    """The body, phase and year; on every printed page, so it also says when the figures are BDAP open data."""
    heading = f"{body_name(inputs.body)} - {inputs.t('phase_' + inputs.phase)} {inputs.year}"
    return f"{heading} ({inputs.t('open_data_short')})" if inputs.open_data else heading


def wrapped_height(text: str, width_chars: int, line_points: float = 15.0) -> float:
    """Row height (points) for ``text`` wrapped in a column ``width_chars`` wide: one line per started width, per
    paragraph."""
    lines = sum(max(1, -(-len(paragraph) // int(width_chars * 1.1))) for paragraph in text.split("\n"))
    return line_points * lines
