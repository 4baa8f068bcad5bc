"""The matrix's labels can be read: no code over a mark or another code, on any set of functions (hypothesis), on
Bologna's 2025 final accounts as the renderer draws them, and in each mission's view; the quadrants are named as
``quadrants.csv`` names them."""

from __future__ import annotations

import json
import math
import re

import polars as pl
import vl_convert as vlc
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards.charts import SHAPES, matrix_chart, spec_of
from dashboards.label_layout import Box, text_width
from dashboards.matrix_labels import X_DOMAIN, Y_DOMAIN, corners, placed

WIDTH, HEIGHT = 560, 460
REACH = {
    "circle": 1.0,
    "square": math.sqrt(2),
    "diamond": 1.0,
    "cross": 1.08,
    "triangle-up": 1.33,
    "triangle-down": 1.33,
}

# Bologna (237), rendiconto 2025, as the demo classifies it: code, spending (cents), transfer share, authority, status,
# borderline, tier. The clusters of the first screenshots: 09.01/10.05, 08.01/10.04, 12.04/05.02, 09.02/09.03/16.02.
BOLOGNA = [
    ("01.08", 439532907, 0.0, 0.14, "retained", False, 1),
    ("01.09", 83526007, 0.1904, 0.0667, "retained", False, 2),
    ("03.01", 67136634, 0.0, 0.6333, "retained", False, 4),
    ("04.02", 3573833908, 0.0694, 0.3067, "retained", False, 1),
    ("04.06", 391041334, 0.4123, 0.0, "transferred", True, None),
    ("05.01", 128190564, 0.0, 0.0, "transferred", False, None),
    ("05.02", 122905812, 0.6851, 0.2533, "transferred", False, None),
    ("08.01", 232984890, 0.105, 0.82, "retained", False, 4),
    ("09.01", 173033079, 0.0, 0.5133, "retained", True, 3),
    ("09.02", 152173302, 0.1385, 0.88, "retained", False, 4),
    ("09.03", 73059653, 0.1761, 0.88, "retained", False, 3),
    ("09.05", 52146013, 0.4335, 0.54, "retained", True, 3),
    ("09.08", 67442818, 0.0, 0.84, "retained", False, 3),
    ("10.02", 1202128743, 0.8544, 0.8267, "retained", False, 2),
    ("10.04", 42673984, 0.0, 0.8, "retained", False, 4),
    ("10.05", 4411975582, 0.0249, 0.4733, "retained", True, 1),
    ("11.01", 107018627, 0.3215, 0.34, "retained", False, 2),
    ("12.02", 106288395, 0.8113, 0.1933, "transferred", False, None),
    ("12.04", 52967146, 0.6814, 0.2933, "retained", False, 1),
    ("12.07", 52733063, 1.0, 0.66, "transferred", False, None),
    ("14.01", 49066775, 0.6623, 0.46, "retained", True, 1),
    ("15.01", 96688432, 0.3657, 0.0, "transferred", False, None),
    ("15.02", 192183886, 0.8441, 0.6867, "transferred", False, None),
    ("16.01", 48162376, 0.6871, 0.6867, "transferred", False, None),
    ("16.02", 48159536, 0.1214, 0.88, "transferred", False, 3),
    ("18.01", 181757357, 1.0, 0.68, "retained", False, 2),
]


def frame(rows) -> pl.DataFrame:
    """The columns the matrix reads, as the pipeline hands them over."""
    return pl.DataFrame(
        rows,
        schema=["function", "total_cents", "transfer_share", "authority", "status", "borderline", "tier"],
        schema_overrides={"tier": pl.Int8},
        orient="row",
    ).with_columns(quadrant=pl.lit("direct"), name=pl.lit("Funzione"))


def chart_frame(functions: pl.DataFrame) -> pl.DataFrame:
    """The frame the chart places labels on (the chart's own columns: spending in euro, mission, stroke)."""
    return functions.with_columns(
        spending_eur=pl.col("total_cents") / 100,
        mission=pl.col("function").str.slice(0, 2),
        edge=pl.when(pl.col("borderline")).then(2.5).otherwise(0.5),
    )


def px(x: float, y: float) -> tuple[float, float]:
    """Data to pixels, written here again from the domains: transfers run from 100 % on the left."""
    return (
        (X_DOMAIN[1] - x) / (X_DOMAIN[1] - X_DOMAIN[0]) * WIDTH,
        (Y_DOMAIN[1] - y) / (Y_DOMAIN[1] - Y_DOMAIN[0]) * HEIGHT,
    )


def radius(value: float, largest: float, status: str, stroke: float) -> float:
    """What Vega draws: a symbol of area 40 + 860 · value / largest px² in a square of side sqrt(area)."""
    return math.sqrt(40 + 860 * value / largest) / 2 * REACH[SHAPES[status]] + stroke / 2


def overlapping(functions: pl.DataFrame) -> list[tuple[str, str]]:
    """Every pair (label, label or mark or name of a quadrant) that touches, from the boxes of the texts as written."""
    data = chart_frame(functions)
    largest = float(data["spending_eur"].max()) or 1.0
    fixed = [Box(*b) for b in corners("it", WIDTH, HEIGHT)["box"]]
    _, labels = placed(data, largest, SHAPES, fixed, WIDTH, HEIGHT)
    circles = {
        r["function"]: (
            *px(r["transfer_share"], r["authority"]),
            radius(r["spending_eur"], largest, r["status"], r["edge"]),
        )
        for r in data.iter_rows(named=True)
    }
    boxes = {}
    for label in labels:
        if label.on_mark:
            assert label.number is not None, label  # written on its mark only as a number of the key
            continue
        w, h = text_width(label.text, bold=label.number is not None), 12
        boxes[label.key] = Box(label.x - w / 2, label.y - h / 2, label.x + w / 2, label.y + h / 2)
    clashes = []
    for key, box in boxes.items():
        if not (0 <= box.x0 and box.x1 <= WIDTH and 0 <= box.y0 and box.y1 <= HEIGHT):
            clashes.append((key, "outside"))
        clashes += [(key, other) for other, b in boxes.items() if other > key and box.overlaps(b, pad=0)]
        clashes += [(key, f"mark {m}") for m, (x, y, r) in circles.items() if box.hits_circle(x, y, r, pad=0)]
        clashes += [(key, "quadrant name") for b in fixed if box.overlaps(b, pad=0)]
    return clashes


codes = st.tuples(st.integers(1, 19), st.integers(1, 9)).map(lambda c: f"{c[0]:02d}.{c[1]:02d}")
function_rows = st.lists(
    st.tuples(
        codes,
        st.integers(0, 5_000_000_000),
        st.floats(0, 1),
        st.floats(0, 1),
        st.sampled_from(sorted(SHAPES)),
        st.booleans(),
        st.sampled_from([1, 2, 3, 4, None]),
    ),
    min_size=1,
    max_size=45,
    unique_by=lambda r: r[0],
)


@settings(max_examples=100, deadline=None)
@given(function_rows)
def test_no_label_touches_a_mark_or_another_label(rows):
    """Any functions, however clustered: each code (or its number in the key) clears every mark, every other label and
    the quadrants' names, inside the plot; a label written on its mark is a number of the key."""
    assert overlapping(frame(rows)) == []


def test_a_pile_of_functions_falls_back_to_a_numbered_key():
    """Forty functions on one spot cannot all take their code beside them: numbers, and a key that names them."""
    rows = [(f"{m:02d}.{p:02d}", 10_000_000, 0.0, 0.5, "retained", False, 1) for m in range(1, 9) for p in range(1, 6)]
    spec = spec_of(matrix_chart(frame(rows), {"spending": 0.5, "authority": 0.5}))
    key = [row["text"] for rows in spec["datasets"].values() for row in rows if row.get("view") and "x" in row]
    numbered = [t for t in key if re.match(r"\d+: \d\d\.\d\d Funzione$", t)]
    assert numbered and overlapping(frame(rows)) == []


def _svg_items(svg: str) -> tuple[dict[str, tuple[float, float]], list[tuple[float, float, float]]]:
    """The codes written (text centre) and the circles drawn (centre, radius) in vl-convert's SVG."""
    texts = {
        m.group(3): (float(m.group(1)), float(m.group(2)))
        for m in re.finditer(
            r'<text[^>]*text-anchor="middle"[^>]*translate\(([-\d.]+),([-\d.]+)\)[^>]*>([\d.]+)</text>', svg
        )
    }
    circles = [
        (float(m.group(1)), float(m.group(2)), float(m.group(3)))
        for m in re.finditer(r'<path[^>]*translate\(([-\d.]+),([-\d.]+)\)" d="M([\d.]+),0A', svg)
    ]
    return texts, circles


def test_bologna_as_drawn_has_every_code_beside_its_mark():
    """Bologna's matrix: every code written as a code (no key needed) clear of every mark and label; and the renderer
    (vl-convert's SVG, the workbook's PNG) draws the marks and the codes where the placement counted them."""
    functions = frame(BOLOGNA)
    assert overlapping(functions) == []
    spec = spec_of(matrix_chart(functions, {"spending": 0.5, "authority": 0.5}))
    svg = vlc.vegalite_to_svg(json.dumps(spec))
    texts, circles = _svg_items(svg)
    assert set(texts) == {r[0] for r in BOLOGNA}  # all 26 as codes
    data = chart_frame(functions)
    largest = float(data["spending_eur"].max())
    _, labels = placed(data, largest, SHAPES, [Box(*b) for b in corners("it", WIDTH, HEIGHT)["box"]], WIDTH, HEIGHT)
    origin_x = min(x for x, _ in texts.values()) - min(label.x for label in labels)  # the plot's offset in the SVG
    origin_y = min(y for _, y in texts.values()) - min(label.y for label in labels)
    for label in labels:
        x, y = texts[label.key]
        assert abs(x - origin_x - label.x) < 0.6 and abs(y - origin_y - label.y) < 0.6, label
    drawn = sorted(round(r, 1) for _, _, r in circles if r > 3.5)  # legend symbols aside, one per retained function
    expected = sorted(
        round(math.sqrt(40 + 860 * r["spending_eur"] / largest) / 2, 1)
        for r in data.iter_rows(named=True)
        if r["status"] == "retained"
    )
    assert all(any(abs(d - e) < 0.15 for d in drawn) for e in expected), (drawn, expected)


def test_each_missions_view_places_its_own_labels():
    """The page's mission filter: labels placed among the mission's marks only, clear of each other there too."""
    spec = spec_of(matrix_chart(frame(BOLOGNA), {"spending": 0.5, "authority": 0.5}, interactive=True))
    rows = [row for rows in spec["datasets"].values() for row in rows if row.get("view") == "own"]
    assert {r["function"] for r in rows} == {r[0] for r in BOLOGNA}
    for mission in {r["mission"] for r in rows}:
        own = frame([r for r in BOLOGNA if r[0][:2] == mission])
        assert overlapping(own) == [], mission
    filters = json.dumps([layer.get("transform") for layer in spec["layer"]])
    assert "datum.view == 'own' && datum.mission == missione" in filters


def test_the_quadrants_are_named_as_quadrants_csv_names_them():
    """Each corner of the chart, in both languages: the service type and the governance mode of ``quadrants.csv``,
    word for word (the bottom-left once read "esternalizzazione / coprogettazione", dropping "network")."""
    from sources.catalogues import quadrants

    table = quadrants()
    for lang in ("it", "en"):
        spec = spec_of(matrix_chart(frame(BOLOGNA), {"spending": 0.5, "authority": 0.5}, lang))
        shown = {
            tuple(row["text"])
            for rows in spec["datasets"].values()
            for row in rows
            if isinstance(row.get("text"), list)
        }
        expected = {
            (r[f"service_type_{lang}"][0].upper() + r[f"service_type_{lang}"][1:], "→ " + r[f"governance_{lang}"])
            for r in table.iter_rows(named=True)
        }
        assert shown == expected, (lang, shown)
    assert "esternalizzazione / network / coprogettazione" in table["governance_it"].to_list()


def _literals(path) -> list[str]:
    """The strings a module writes (docstrings aside: they may quote an example)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]


def _yaml_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_yaml_strings(k), *_yaml_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _yaml_strings(v)]
    return [value] if isinstance(value, str) else []


def test_no_product_file_names_a_quadrant_but_quadrants_csv():
    """Chart, tables, workbook, DUP, command line: a quadrant's name is read from ``quadrants.csv``, never written out
    again in code or in another data file (where a second copy drifts: "esternalizzazione / coprogettazione")."""
    from pathlib import Path

    import yaml

    from sources.catalogues import quadrants

    root = Path(__file__).resolve().parents[1]
    table = quadrants()
    names = {
        n.lower()
        for lang in ("it", "en")
        for n in (*table[f"service_type_{lang}"], *table[f"governance_{lang}"])
        if " " in n
    }
    found = []
    for room in ("sources", "transforms", "warehouse", "pipelines", "dashboards", "cli"):
        for path in (root / room).rglob("*.py"):
            found += [(path.name, s) for s in _literals(path) if any(n in s.lower() for n in names)]
    for path in (root / "areavasta" / "data").rglob("*.yaml"):
        strings = _yaml_strings(yaml.safe_load(path.read_text(encoding="utf-8")))
        found += [(path.name, s) for s in strings if any(n in s.lower() for n in names)]
    assert found == [], found
