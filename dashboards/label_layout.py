"""Where the matrix writes each function's code, decided in pixels before the chart is drawn (pure geometry, no Altair).

Every mark is a circle of the radius its symbol reaches (Vega draws a symbol of area ``size`` in a square of side
``sqrt(size)``, ``size`` from the chart's size scale), every label a box from the font's advance widths
(``data/charts/text_widths.csv``: DejaVu Sans, the widest of the usual sans-serif fonts, so that Arial or Liberation
only make a label narrower). Labels are placed greedily, the largest spending first: each takes the first candidate,
nearest ring first, that overlaps no mark, no label or leader line already placed, no fixed text (the quadrants' names)
and stays inside the plot; rings away from the mark get a leader line. A label that finds no place becomes a number in
a key (number → code and name) and the number is placed the same way; only when even that fails is it written on its
mark.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache

from sources.reference import DATA_DIR

FONT_SIZE = 10  # the labels' font size (px)
SIZE_RANGE = (40.0, 900.0)  # the size scale's range (px², the area of the symbol's square)
REACH = {  # how far a symbol reaches from its centre, in half sides of its square (Vega's symbol paths)
    "circle": 1.0,
    "square": math.sqrt(2),
    "diamond": 1.0,
    "cross": math.hypot(1, 0.4),
    "triangle-up": math.hypot(1, math.sqrt(3) / 2),
    "triangle-down": math.hypot(1, math.sqrt(3) / 2),
}
GAPS = (2.0, 5.0, 10.0, 16.0, 24.0, 34.0, 46.0)  # rings around a mark (px between its edge and the label)
LEADER_FROM = 10.0  # from this ring on, a thin line joins the label to its mark
ANGLES = (0, 180, -30, 30, -150, 150, -90, 90, -60, 60, -120, 120, -15, 15, -165, 165)  # degrees, y down; right first
PAD = 1.0  # px kept free around every box and mark


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, pad: float = PAD) -> bool:
        return (
            self.x0 < other.x1 + pad
            and other.x0 < self.x1 + pad
            and self.y0 < other.y1 + pad
            and other.y0 < self.y1 + pad
        )

    def hits_circle(self, cx: float, cy: float, r: float, pad: float = PAD) -> bool:
        nx, ny = min(max(cx, self.x0), self.x1), min(max(cy, self.y0), self.y1)
        return math.hypot(cx - nx, cy - ny) < r + pad

    def inside(self, area: Box) -> bool:
        return area.x0 <= self.x0 and self.x1 <= area.x1 and area.y0 <= self.y0 and self.y1 <= area.y1

    def crossed_by(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the segment a-b passes through the box (Liang-Barsky clipping)."""
        t0, t1 = 0.0, 1.0
        dx, dy = b[0] - a[0], b[1] - a[1]
        for p, q in ((-dx, a[0] - self.x0), (dx, self.x1 - a[0]), (-dy, a[1] - self.y0), (dy, self.y1 - a[1])):
            if p == 0:
                if q < 0:
                    return False
                continue
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
            if t0 > t1:
                return False
        return True


@dataclass(frozen=True)
class Mark:
    key: str
    x: float  # centre, px
    y: float
    r: float  # what the symbol reaches, stroke included


@dataclass(frozen=True)
class Label:
    key: str
    text: str  # the code, or its number in the key
    x: float  # centre of the text, px
    y: float
    box: Box
    leader: tuple[float, float, float, float] | None  # from the mark's edge to the box, px
    number: int | None  # its number in the key, when the code did not fit
    on_mark: bool = False  # written on its own mark: no place was free even for the number


@cache
def _widths() -> dict[str, tuple[float, float]]:
    with (DATA_DIR / "charts" / "text_widths.csv").open(encoding="utf-8", newline="") as f:
        return {r["char"]: (float(r["regular"]), float(r["bold"])) for r in csv.DictReader(f)}


def text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """The advance width of ``text`` in px; a character the table lacks counts as wide as "M"."""
    widths = _widths()
    return sum(widths.get(c, widths["M"])[bold] for c in text) * size


def text_box(cx: float, cy: float, text: str, size: float = FONT_SIZE, bold: bool = False) -> Box:
    """The box of a text centred on (cx, cy): its width, and the height of a line (1.2 em)."""
    w, h = text_width(text, size, bold), 1.2 * size
    return Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def symbol_area(value: float, largest: float) -> float:
    """The area Vega-Lite gives a symbol: a linear scale from 0 to ``largest`` onto ``SIZE_RANGE``."""
    low, high = SIZE_RANGE
    return low + (high - low) * (max(value, 0.0) / largest if largest > 0 else 0.0)


def mark_radius(value: float, largest: float, shape: str = "circle", stroke: float = 0.5) -> float:
    return math.sqrt(symbol_area(value, largest)) / 2 * REACH.get(shape, math.sqrt(2)) + stroke / 2


def _candidates(mark: Mark, w: float, h: float):
    """(box, leader) around a mark: nearest ring first, right of the mark first on each ring."""
    for gap in GAPS:
        for angle in ANGLES:
            ux, uy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
            px, py = mark.x + (mark.r + gap) * ux, mark.y + (mark.r + gap) * uy
            cx = px + (w / 2 if ux > 0.35 else -w / 2 if ux < -0.35 else 0.0)
            cy = py + (h / 2 if uy > 0.35 else -h / 2 if uy < -0.35 else 0.0)
            box = Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            yield box, _leader(mark, box) if gap >= LEADER_FROM else None


def _leader(mark: Mark, box: Box) -> tuple[float, float, float, float]:
    """A line from the mark's edge to the nearest point of the box."""
    ex, ey = min(max(mark.x, box.x0), box.x1), min(max(mark.y, box.y0), box.y1)
    d = math.hypot(ex - mark.x, ey - mark.y) or 1.0
    return mark.x + (ex - mark.x) * mark.r / d, mark.y + (ey - mark.y) * mark.r / d, ex, ey


def _gap(box: Box, mark: Mark) -> float:
    """How far the box is from the mark's edge."""
    nx, ny = min(max(mark.x, box.x0), box.x1), min(max(mark.y, box.y0), box.y1)
    return math.hypot(mark.x - nx, mark.y - ny) - mark.r


def _nearest_is_own(box: Box, own: Mark, marks: list[Mark]) -> bool:
    """Whether a reader would take the label for its own mark's: no other mark nearer to it."""
    return all(m is own or _gap(box, m) > _gap(box, own) for m in marks)


def _segment_hits_circle(seg: tuple[float, float, float, float], cx: float, cy: float, r: float) -> bool:
    ax, ay, bx, by = seg
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((cx - ax) * dx + (cy - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(ax + t * dx - cx, ay + t * dy - cy) < r


def _free(box, leader, own: Mark, marks, boxes, leaders, area) -> bool:
    if not box.inside(area) or any(box.overlaps(b) for b in boxes):
        return False
    if any(box.hits_circle(m.x, m.y, m.r) for m in marks):
        return False
    if any(box.crossed_by(seg[:2], seg[2:]) for seg in leaders):
        return False
    if leader is not None:
        if any(b.crossed_by(leader[:2], leader[2:]) for b in boxes):
            return False
        if any(m is not own and _segment_hits_circle(leader, m.x, m.y, m.r) for m in marks):
            return False
    return True


def place_labels(
    marks: list[Mark], texts: dict[str, str], area: Box, fixed: list[Box] = (), order: list[str] | None = None
) -> list[Label]:
    """A label for every mark, in ``order`` (keys; default the given order): its code where one is free, else a number
    (1, 2, … in the order of the codes) placed the same way, else the number on its mark."""
    by_key = {m.key: m for m in marks}
    boxes: list[Box] = list(fixed)
    leaders: list[tuple[float, float, float, float]] = []
    placed: dict[str, Label] = {}

    def attempt(mark: Mark, text: str, number: int | None) -> Label | None:
        w, h = text_width(text, bold=number is not None) + 2, 1.2 * FONT_SIZE
        fallback = None
        for box, leader in _candidates(mark, w, h):
            if not _free(box, leader, mark, marks, boxes, leaders, area):
                continue
            if _nearest_is_own(box, mark, marks):
                break
            if fallback is None and _free(box, _leader(mark, box), mark, marks, boxes, leaders, area):
                fallback = box, _leader(mark, box)  # nearer another mark: only with a line to its own
        else:
            if fallback is None:
                return None
            box, leader = fallback
        boxes.append(box)
        if leader is not None:
            leaders.append(leader)
        return Label(mark.key, text, (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2, box, leader, number)

    def over_marks(mark: Mark, text: str, number: int) -> Label:
        """A number that finds no free place: on its mark or just beside it over other marks, clear of every text; on
        its mark whatever it covers when even that fails."""
        own = text_box(mark.x, mark.y, text, bold=True)
        beside = list(_candidates(mark, own.x1 - own.x0, own.y1 - own.y0))[: len(ANGLES)]  # the nearest ring
        for box, _ in [(own, None), *beside]:
            if box.inside(area) and not any(box.overlaps(b) for b in boxes):
                if not any(box.crossed_by(seg[:2], seg[2:]) for seg in leaders):
                    boxes.append(box)
                    return Label(mark.key, text, (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2, box, None, number, True)
        return Label(mark.key, text, mark.x, mark.y, own, None, number, on_mark=True)

    for key in order or [m.key for m in marks]:
        label = attempt(by_key[key], texts[key], None)
        if label is not None:
            placed[key] = label
    missing = sorted(k for k in by_key if k not in placed)
    for number, key in enumerate(missing, start=1):
        mark = by_key[key]
        placed[key] = attempt(mark, str(number), number) or over_marks(mark, str(number), number)
    return [placed[m.key] for m in marks]
