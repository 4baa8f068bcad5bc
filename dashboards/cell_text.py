"""How wide a text prints in a workbook cell, and how many lines it takes when it wraps: the advance widths of DejaVu
Sans (regular and bold), the font LibreOffice prints the workbook's Calibri with where Calibri and Carlito are missing.

DejaVu Sans is wider than Calibri, so a column wide enough here is wide enough in Excel. Widths are in the unit of
``set_column``: the width of the default font's digit "0", which is how both Excel and LibreOffice size a column
(LibreOffice: (width + 0.71) digits). The table was read from DejaVuSans.ttf and DejaVuSans-Bold.ttf 2.37 (``hmtx``
advances, 2048 units per em); a character outside it counts as wide as "M".
"""

from __future__ import annotations

from functools import cache, lru_cache

CHARS = (
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvw"
    "xyz{|}~¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóô"
    "õö÷øùúûüýþÿ€→–—‘’“”…•≥≤·×−"
)
REGULAR = (
    "651 821 942 1716 1303 1946 1597 563 799 799 1024 1716 651 739 651 690 1303 1303 1303 1303 1303 1303 "
    "1303 1303 1303 1303 690 690 1716 1716 1716 1087 2048 1401 1405 1430 1577 1294 1178 1587 1540 604 604 "
    "1343 1141 1767 1532 1612 1235 1612 1423 1300 1251 1499 1401 2025 1403 1251 1403 799 690 799 1716 "
    "1024 1024 1255 1300 1126 1300 1260 721 1300 1298 569 569 1186 569 1995 1298 1253 1300 1300 842 1067 "
    "803 1298 1212 1675 1212 1212 1075 1303 690 1303 1716 821 1303 1303 1303 1303 690 1024 1024 2048 965 "
    "1253 1716 2048 1024 1024 1716 821 821 1024 1303 1303 651 1024 821 965 1253 1985 1985 1985 1087 1401 "
    "1401 1401 1401 1401 1401 1995 1430 1294 1294 1294 1294 604 604 604 604 1587 1532 1612 1612 1612 1612 "
    "1612 1716 1612 1499 1499 1499 1499 1251 1239 1290 1255 1255 1255 1255 1255 1255 2011 1126 1260 1260 "
    "1260 1260 569 569 569 569 1253 1298 1253 1253 1253 1253 1253 1716 1253 1298 1298 1298 1298 1212 1300 "
    "1212 1303 1716 1024 2048 651 651 1061 1061 2048 1208 1716 1716 651 1716 1716 "
)
BOLD = (
    "713 934 1067 1716 1425 2052 1786 627 936 936 1071 1716 778 850 778 748 1425 1425 1425 1425 1425 1425 "
    "1425 1425 1425 1425 819 819 1716 1716 1716 1188 2048 1585 1561 1503 1700 1399 1399 1681 1714 762 762 "
    "1587 1305 2038 1714 1741 1501 1741 1577 1475 1397 1663 1585 2259 1579 1483 1485 936 748 936 1716 "
    "1024 1024 1382 1466 1214 1466 1389 891 1466 1458 702 702 1362 702 2134 1458 1407 1466 1466 1010 1219 "
    "979 1458 1335 1892 1321 1335 1192 1458 748 1458 1716 934 1425 1425 1303 1425 748 1024 1024 2048 1155 "
    "1323 1716 2048 1024 1024 1716 897 897 1024 1507 1303 778 1024 897 1155 1323 2120 2120 2120 1188 1585 "
    "1585 1585 1585 1585 1585 2222 1503 1399 1399 1399 1399 762 762 762 762 1716 1714 1741 1741 1741 1741 "
    "1741 1716 1741 1663 1663 1663 1663 1483 1511 1473 1382 1382 1382 1382 1382 1382 2146 1214 1389 1389 "
    "1389 1389 702 702 702 702 1407 1458 1407 1407 1407 1407 1407 1716 1407 1458 1458 1458 1458 1335 1466 "
    "1335 1425 1716 1024 2048 778 778 1346 1346 2048 1309 1716 1716 778 1716 1716 "
)
DIGIT = 1303  # the advance of "0", in both weights' table unit: a column 1 wide holds one "0"
DIGIT_POINTS = DIGIT / 2048 * 11  # 7.0: a digit of the 11-point font, in points
LINE_POINTS = 13.5  # an 11-point line: LibreOffice's DejaVu lines are 12.8 points apart; Calibri's in Excel ~15, but
# Excel's narrower Calibri wraps a text counted here in n lines into about 0.8 n
PADDING_POINTS = 3.0  # above and below a wrapped text


@cache
def _advances(bold: bool) -> dict[str, int]:
    return dict(zip(CHARS, (int(x) for x in (BOLD if bold else REGULAR).split()), strict=True))


def text_width(text: str, bold: bool = False, size: float = 11) -> float:
    """The width of ``text`` on one line, in column-width units (digits of the 11-point default font)."""
    return _width(text, bold) * size / 11


@lru_cache(maxsize=1 << 16)
def _width(text: str, bold: bool) -> float:
    """Kept per text: a workbook measures the same words and figures thousands of times (fitting, wrapping)."""
    advances = _advances(bold)
    wide = advances["M"]
    return sum(advances.get(ch, wide) for ch in text) / DIGIT


def longest_word(text: str, bold: bool = False) -> float:
    """The widest word of ``text``: a wrapped column narrower than it would split the word."""
    return max((text_width(word, bold) for word in str(text).split()), default=0.0)


def wrapped_lines(text: str, width: float, bold: bool = False) -> int:
    """How many lines ``text`` takes in a column ``width`` wide, wrapped at spaces as Excel and LibreOffice do (a word
    wider than the column is split, a line per column width)."""
    space = text_width(" ", bold)
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split():
            w = text_width(word, bold)
            if used and used + space + w > width:
                lines += 1
                used = 0.0
            if w > width:  # split by characters: each full width is one more line
                extra = int(w // width)
                lines += extra
                w -= extra * width
            used += (space if used else 0.0) + w
    return lines


def row_points(lines: int, size: float = 11) -> float:
    """A row's height in points for ``lines`` lines of ``size``-point text (at most Excel's 409)."""
    return min(lines * LINE_POINTS * size / 11 + PADDING_POINTS, 409.0)
