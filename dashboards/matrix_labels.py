"""The matrix's words: the quadrants' names in the corners (from ``data/classification/quadrants.csv``, the one place
that names a quadrant) and the functions' codes placed by ``dashboards.label_layout``, with the key of the codes that
did not fit. Positions are computed here in pixels from the axes' domains and the chart's size, then given to the
chart in data coordinates (labels, leader lines) or in pixels (the key, below the axis title)."""

from __future__ import annotations

import altair as alt
import polars as pl

from dashboards.label_layout import FONT_SIZE, Box, Label, Mark, mark_radius, place_labels, text_width
from sources.catalogues import quadrants

X_DOMAIN = (-0.02, 1.02)  # drawn reversed: 100 % transfers on the left, as in the seed
Y_DOMAIN = (-0.16, 1.14)  # room above and below for the quadrants' names, two lines each
CORNER_SIZE, CORNER_LINE, CORNER_INSET = 11, 13, 3  # the quadrants' names: bold 11 px, 13 px a line, 3 px from the edge
KEY_TOP, KEY_LINE = 52, 13  # the key starts this far below the plot (under the axis title), one line each
KEY_ONE_COLUMN = 8  # a longer key in two columns


def x_px(value: float, width: float) -> float:
    return (X_DOMAIN[1] - value) / (X_DOMAIN[1] - X_DOMAIN[0]) * width


def y_px(value: float, height: float) -> float:
    return (Y_DOMAIN[1] - value) / (Y_DOMAIN[1] - Y_DOMAIN[0]) * height


def x_data(px: float, width: float) -> float:
    return X_DOMAIN[1] - px / width * (X_DOMAIN[1] - X_DOMAIN[0])


def y_data(px: float, height: float) -> float:
    return Y_DOMAIN[1] - px / height * (Y_DOMAIN[1] - Y_DOMAIN[0])


def quadrant_lines(lang: str) -> dict[str, list[str]]:
    """Each quadrant's name as the chart writes it: the service type, then "→ governance mode", words of
    ``quadrants.csv``."""
    return {
        r["quadrant"]: [
            r[f"service_type_{lang}"][:1].upper() + r[f"service_type_{lang}"][1:],
            f"→ {r[f'governance_{lang}']}",
        ]
        for r in quadrants().iter_rows(named=True)
    }


def corners(lang: str, width: int, height: int) -> pl.DataFrame:
    """The four names in the plot's corners: transfers on the left, high authority at the top; with their boxes (px)."""
    rows = []
    for r in quadrants().iter_rows(named=True):
        lines = quadrant_lines(lang)[r["quadrant"]]
        left, top = r["spending"] == "transfer", r["authority"] == "high"
        x = 1.0 if left else 0.0
        w = max(text_width(line, CORNER_SIZE, bold=True) for line in lines)
        x0 = x_px(x, width) if left else x_px(x, width) - w
        y0 = CORNER_INSET if top else height - CORNER_INSET - CORNER_LINE * len(lines)
        rows.append(
            {
                "quadrant": r["quadrant"],
                "x": x,
                "y": y0,
                "align": "left" if left else "right",
                "text": lines,
                "box": [x0, y0, x0 + w, y0 + CORNER_LINE * len(lines)],
            }
        )
    return pl.DataFrame(rows)


def corner_layers(table: pl.DataFrame) -> list[alt.Chart]:
    return [
        alt.Chart(table.filter(pl.col("align") == align).drop("box"))
        .mark_text(
            align=align,
            baseline="top",
            fontWeight="bold",
            color="#444",
            fontSize=CORNER_SIZE,
            lineHeight=CORNER_LINE,
        )
        .encode(
            x=alt.X("x:Q", scale=alt.Scale(domain=list(X_DOMAIN), nice=False, reverse=True)),
            y=alt.Y("y:Q", scale=None, axis=None),
            text=alt.Text("text:N"),
        )
        for align in ("left", "right")
    ]


def _marks(data: pl.DataFrame, largest: float, shapes: dict[str, str], width: int, height: int) -> list[Mark]:
    return [
        Mark(
            r["function"],
            x_px(r["transfer_share"], width),
            y_px(r["authority"], height),
            mark_radius(r["spending_eur"] or 0.0, largest, shapes.get(r["status"], "square"), r["edge"]),
        )
        for r in data.iter_rows(named=True)
    ]


def placed(
    part: pl.DataFrame, largest: float, shapes: dict[str, str], fixed: list[Box], width: int, height: int
) -> tuple[list[Mark], list[Label]]:
    """The marks of ``part`` (its functions) and their labels, the largest spending placed first."""
    marks = _marks(part, largest, shapes, width, height)
    order = part.sort(["spending_eur", "function"], descending=[True, False])["function"].to_list()
    area = Box(1, 1, width - 1, height - 1)
    return marks, place_labels(marks, dict(zip(part["function"], part["function"])), area, fixed, order)


def label_rows(
    data: pl.DataFrame, largest: float, shapes: dict[str, str], fixed: list[Box], width: int, height: int, views: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(labels, key): one label per function for the whole matrix (``view`` "all") and, with ``views``, one per function
    placed among its own mission's only (``view`` "own"), so that hidden marks push no label away."""
    groups = [("all", data)]
    if views:
        groups += [("own", part) for _, part in data.group_by("mission", maintain_order=True)]
    labels, key = [], []
    for view, part in groups:
        names = dict(zip(part["function"], part["name"] if "name" in part.columns else part["function"]))
        _, labels_of_view = placed(part, largest, shapes, fixed, width, height)
        missions = dict(zip(part["function"], part["mission"]))
        for label in labels_of_view:
            lead = label.leader
            labels.append(
                {
                    "view": view,
                    "mission": missions[label.key],
                    "function": label.key,
                    "text": label.text,
                    "x": x_data(label.x, width),
                    "y": y_data(label.y, height),
                    "weight": "normal" if label.number is None else "bold",
                    **(
                        {"lx": x_data(lead[0], width), "ly": y_data(lead[1], height)}
                        | {"lx2": x_data(lead[2], width), "ly2": y_data(lead[3], height)}
                        if lead
                        else {"lx": None, "ly": None, "lx2": None, "ly2": None}
                    ),
                }
            )
        numbered = sorted((label.number, label.key) for label in labels_of_view if label.number is not None)
        columns = 1 if len(numbered) <= KEY_ONE_COLUMN else 2
        rows = -(-len(numbered) // columns)
        for i, (number, code) in enumerate(numbered):
            key.append(
                {
                    "view": view,
                    "mission": missions[code],
                    "text": f"{number}: {code} {names[code] or ''}".strip(),
                    "x": float(i // rows * width / columns),
                    "y": float(height + KEY_TOP + KEY_LINE * (i % rows)),
                }
            )
    schema = {"view": pl.String, "mission": pl.String, "text": pl.String, "x": pl.Float64, "y": pl.Float64}
    return pl.DataFrame(labels), pl.DataFrame(key, schema=schema)


VIEW = (  # the whole matrix's labels when no mission is chosen, else the chosen mission's own
    "(missione == null && datum.view == 'all') || "
    "(missione != null && datum.view == 'own' && datum.mission == missione)"
)


def label_layers(labels: pl.DataFrame, key: pl.DataFrame, interactive: bool, width: int) -> list[alt.Chart]:
    """The codes (numbers in bold), their leader lines and the key; with ``interactive`` each view shows with its own
    mission filter."""
    x_scale = alt.Scale(domain=list(X_DOMAIN), nice=False, reverse=True)
    y_scale = alt.Scale(domain=list(Y_DOMAIN), nice=False)
    leaders = labels.filter(pl.col("lx").is_not_null())
    layers = [  # one layer per weight: codes normal, numbers bold
        alt.Chart(labels.filter(pl.col("weight") == weight))
        .mark_text(fontSize=FONT_SIZE, align="center", baseline="middle", fontWeight=weight)
        .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), text=alt.Text("text:N"))
        for weight in ("normal", "bold")
        if (labels["weight"] == weight).any()
    ]
    if leaders.height:
        layers.append(
            alt.Chart(leaders)
            .mark_rule(color="#666", strokeWidth=0.6)
            .encode(x=alt.X("lx:Q", scale=x_scale), y=alt.Y("ly:Q", scale=y_scale), x2="lx2:Q", y2="ly2:Q")
        )
    if key.height:
        layers.append(
            alt.Chart(key)
            .mark_text(fontSize=FONT_SIZE, align="left", baseline="middle", limit=width / 2 - 8)
            .encode(
                x=alt.X("x:Q", scale=None, axis=None), y=alt.Y("y:Q", scale=None, axis=None), text=alt.Text("text:N")
            )
        )
    if interactive:
        return [layer.transform_filter(VIEW) for layer in layers]
    return [layer.transform_filter("datum.view == 'all'") for layer in layers]
