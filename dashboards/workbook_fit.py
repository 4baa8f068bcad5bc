"""A written sheet fitted for reading and printing: each column as wide as its longest text (up to the sheet's
maximum, never narrower than its longest word or figure), each row as tall as its wrapped text, the page portrait when
the columns fit it, else landscape. Over ``BUDGET`` (a landscape page at 88 %), that width goes to the text columns in
proportion to the text they hold (none below ``READING``), and a column of figures under a longer heading has its
heading turned upright; what is still too wide is scaled to the page width by the print set-up.

Measures are ``dashboards.cell_text``'s: DejaVu Sans, the widest of the fonts the workbook prints with.
"""

from __future__ import annotations

from math import sqrt

from dashboards.cell_text import DIGIT_POINTS, longest_word, row_points, text_width, wrapped_lines

GAP = 0.71  # LibreOffice makes a column (width + 0.71) digits wide; Excel (7 * width + 5) pixels
ROOM = 0.5  # a digit more than the text: the cell's inner margins
LONGEST_WORD = 40.0  # a word wider than this (a file name, a checksum) is split rather than widening its column
PORTRAIT = 74.0  # digits of 7 points across A4 portrait between half-inch margins (523 points)
LANDSCAPE = 110.0  # and landscape (770 points)
BUDGET = 125.0  # the width shared out over a landscape page: printed at 88 % at least when the text columns allow
READING = 20.0  # a text column is not narrowed below this (or its longest line): the page is scaled instead
TURN = 3.0  # a figures' column whose heading's longest word is this much wider than its figures: heading upright
DEFAULT_ROW = 15.0


def fit_sheet(sheet) -> None:
    """Set ``sheet``'s column widths, row heights and orientation from the cells and spans it wrote."""
    turned = turned_columns(sheet)
    widths = column_widths(sheet, turned)
    for col, width in enumerate(widths):
        sheet.ws.set_column(col, col, round(width, 2))
    heights = row_heights(sheet, widths, turned)
    for row, col, text, role in sheet.cells:
        if role == "header" and col in turned:
            sheet.ws.write_string(row, col, text, sheet.fmt["header_turned"])
    for row, height in heights.items():
        sheet.ws.set_row(row, height)
    if sum(w + GAP for w in widths) > PORTRAIT:
        sheet.ws.set_landscape()
    else:
        sheet.ws.set_portrait()


def turned_columns(sheet) -> set[int]:
    """On a sheet wider than ``BUDGET``, the columns holding figures only whose heading has a word much wider than
    the figures."""
    figures: dict[int, float] = {}
    words: dict[int, float] = {}
    texts = set()
    for _, col, text, role in sheet.cells:
        if role == "figure":
            figures[col] = max(figures.get(col, 0.0), text_width(text))
        elif role == "header":
            words[col] = max(words.get(col, 0.0), longest_word(text, True))
        elif text:
            texts.add(col)
    if sum(w + GAP for w in column_widths(sheet)) <= BUDGET:
        return set()
    return {c for c, w in figures.items() if c not in texts and c not in sheet.fixed and words.get(c, 0) > w + TURN}


def column_widths(sheet, turned: set[int] = frozenset()) -> list[float]:
    """Each column's width: its longest line up to the sheet's maximum, at least its longest word, header word (but
    for a turned heading) and figure; then, over a landscape page, the text columns share what the others leave."""
    count = len(sheet.widths)
    floor, want, mass = [2.0] * count, [2.0] * count, [0.0] * count
    for _, col, text, role in sheet.cells:
        if col >= count or (role == "header" and col in turned):
            continue
        bold = role in ("bold", "header")
        if role == "figure":
            floor[col] = max(floor[col], text_width(text) + ROOM + 1)  # and the figure's padding (formats' "_-_-")
            continue
        floor[col] = max(floor[col], min(longest_word(text, bold) + ROOM, LONGEST_WORD))
        if role != "header":
            want[col] = max(want[col], *(text_width(line, bold) + ROOM for line in text.split("\n")))
            mass[col] += text_width(text, bold)
    widths = [
        sheet.widths[c] if c in sheet.fixed else max(floor[c], min(want[c], sheet.widths[c])) for c in range(count)
    ]
    least = [max(floor[c], min(want[c], READING)) for c in range(count)]
    shared = [c for c in range(count) if c not in sheet.fixed and widths[c] > least[c]]
    return share_page(widths, least, shared, mass)


def share_page(widths: list[float], least: list[float], shared: list[int], mass: list[float]) -> list[float]:
    """While the columns are wider than ``BUDGET``, the room left by the others goes to the ``shared`` columns
    in proportion to the square root of the text each holds, none below its ``least`` nor above its width."""
    widths = list(widths)
    room = BUDGET - sum(w + GAP for c, w in enumerate(widths) if c not in shared) - GAP * len(shared)
    if not shared or sum(widths[c] for c in shared) <= room:
        return widths
    open_ = set(shared)
    while open_:
        weight = {c: sqrt(mass[c] or 1.0) for c in open_}
        left = room - sum(widths[c] for c in shared if c not in open_)
        total = sum(weight.values())
        pinned = False
        for c in sorted(open_):
            target = left * weight[c] / total
            if target < least[c] or target > widths[c]:
                widths[c] = least[c] if target < least[c] else widths[c]
                open_.discard(c)
                pinned = True
        if not pinned:
            for c in open_:
                widths[c] = left * weight[c] / total
            break
    return widths


def turned_length(text: str) -> float:
    """The length (digits) a heading turned upright needs to take two lines at most."""
    length = longest_word(text, True) + ROOM
    while wrapped_lines(text, length, True) > 2:
        length += 0.5
    return length


def row_heights(sheet, widths: list[float], turned: set[int] = frozenset()) -> dict[int, float]:
    """The rows whose text takes more than one line (or a larger font, or a heading turned upright), with the height
    it needs."""
    heights: dict[int, float] = {}
    for row, col, text, role in sheet.cells:
        if role == "figure" or col >= len(widths):
            continue
        if role == "header" and col in turned:  # upright, in two lines at most: as tall as its longer line
            need = turned_length(text) * DIGIT_POINTS + 8
        else:
            lines = wrapped_lines(text, widths[col], role in ("bold", "header"))
            need = row_points(lines) if lines > 1 else DEFAULT_ROW
        heights[row] = max(heights.get(row, DEFAULT_ROW), need)
    for row, first, last, text, bold, size in sheet.spans:
        width = (sum(widths[first : last + 1]) + GAP * (last - first)) * 11 / size
        lines = wrapped_lines(text, width, bold)
        heights[row] = max(heights.get(row, DEFAULT_ROW), row_points(lines, size) if lines > 1 or size > 11 else 0)
    return {row: min(height, 409.0) for row, height in heights.items() if height > DEFAULT_ROW}
