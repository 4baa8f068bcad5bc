"""A written sheet fitted for reading and printing: each column as wide as its longest text (up to the sheet's
maximum, never narrower than its longest word or figure), each row as tall as its wrapped text, the page portrait when
the columns fit it, else landscape, with the wrapping columns narrowed toward their longest word to fit the page
width at 100 % (what still does not fit is scaled to the width by the print set-up).

Measures are ``dashboards.cell_text``'s: DejaVu Sans, the widest of the fonts the workbook prints with.
"""

from __future__ import annotations

from dashboards.cell_text import longest_word, row_points, text_width, wrapped_lines

GAP = 0.71  # LibreOffice makes a column (width + 0.71) digits wide; Excel (7 * width + 5) pixels
ROOM = 0.5  # a digit more than the text: the cell's inner margins
LONGEST_WORD = 40.0  # a word wider than this (a file name, a checksum) is split rather than widening its column
PORTRAIT = 74.0  # digits of 7 points across A4 portrait between half-inch margins (523 points)
LANDSCAPE = 110.0  # and landscape (770 points)
READING = 24.0  # a text column is not narrowed below this (or its longest line): the page is scaled instead
DEFAULT_ROW = 15.0


def fit_sheet(sheet) -> None:
    """Set ``sheet``'s column widths, row heights and orientation from the cells and spans it wrote."""
    widths = column_widths(sheet)
    for col, width in enumerate(widths):
        sheet.ws.set_column(col, col, round(width, 2))
    for row, height in row_heights(sheet, widths).items():
        sheet.ws.set_row(row, height)
    if sum(w + GAP for w in widths) > PORTRAIT:
        sheet.ws.set_landscape()
    else:
        sheet.ws.set_portrait()


def column_widths(sheet) -> list[float]:
    """Each column's width: its longest line up to the sheet's maximum, at least its longest word, header word and
    figure; then, while the columns are wider than a landscape page, the text columns narrowed in proportion, none
    below ``READING`` (the print set-up scales what is still too wide to the page width)."""
    count = len(sheet.widths)
    floor, want = [2.0] * count, [2.0] * count
    for _, col, text, role in sheet.cells:
        if col >= count:
            continue
        bold = role in ("bold", "header")
        if role == "figure":
            floor[col] = max(floor[col], text_width(text) + ROOM)
            continue
        floor[col] = max(floor[col], min(longest_word(text, bold) + ROOM, LONGEST_WORD))
        if role != "header":
            want[col] = max(want[col], *(text_width(line, bold) + ROOM for line in text.split("\n")))
    widths = [
        sheet.widths[c] if c in sheet.fixed else max(floor[c], min(want[c], sheet.widths[c])) for c in range(count)
    ]
    excess = sum(w + GAP for w in widths) - LANDSCAPE
    least = [max(floor[c], min(want[c], READING)) for c in range(count)]
    slack = {c: widths[c] - least[c] for c in range(count) if c not in sheet.fixed and widths[c] > least[c]}
    if excess > 0 and slack:
        share = min(1.0, excess / sum(slack.values()))
        for c, room in slack.items():
            widths[c] -= room * share
    return widths


def row_heights(sheet, widths: list[float]) -> dict[int, float]:
    """The rows whose text takes more than one line (or a larger font), with the height it needs."""
    heights: dict[int, float] = {}
    for row, col, text, role in sheet.cells:
        if role != "figure" and col < len(widths):
            lines = wrapped_lines(text, widths[col], role in ("bold", "header"))
            heights[row] = max(heights.get(row, DEFAULT_ROW), row_points(lines) if lines > 1 else DEFAULT_ROW)
    for row, first, last, text, bold, size in sheet.spans:
        width = (sum(widths[first : last + 1]) + GAP * (last - first)) * 11 / size
        lines = wrapped_lines(text, width, bold)
        heights[row] = max(heights.get(row, DEFAULT_ROW), row_points(lines, size) if lines > 1 or size > 11 else 0)
    return {row: height for row, height in heights.items() if height > DEFAULT_ROW}
