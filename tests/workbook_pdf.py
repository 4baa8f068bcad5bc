"""What a workbook prints, read back from LibreOffice's PDF: each sheet's text (its pages found by the sheet name in
the page header), the words and figures each sheet's cells should show whole, and words printed over each other."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl

BREAKS = re.compile(r"\s+|(?<=[-/])")  # LibreOffice wraps at spaces and after a hyphen or a slash


def to_pdf(soffice: str, workbook: Path, folder: Path) -> Path:
    result = subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
        capture_output=True,
        timeout=240,
        check=False,
    )
    pdf = folder / workbook.with_suffix(".pdf").name
    assert result.returncode == 0 and pdf.exists(), result.stderr
    return pdf


def sheet_texts(pdftotext: str, pdf: Path, names: list[str]) -> dict[str, str]:
    """Each sheet's printed text (``pdftotext -layout``), its pages told apart by the name in their header."""
    pages = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    texts = dict.fromkeys(names, "")
    for page in pages.split("\f"):
        first = page.strip().split("\n")[0] if page.strip() else ""
        owner = next((n for n in sorted(names, key=len, reverse=True) if first.rstrip().endswith(n)), None)
        if owner:
            texts[owner] += page + "\n"
    return texts


def shown(value, number_format: str, lang: str = "it") -> tuple[str, ...] | None:
    """A number as a reader of ``lang`` sees it with the workbook's formats (None for a format not known here): both
    roundings of a figure a hair from half (LibreOffice rounds the decimal it shows, Python the binary)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    figures = {_shown(value + nudge, number_format, lang) for nudge in (-1e-9, 0, 1e-9)} - {None}
    return tuple(sorted(figures)) or None


def _shown(value, number_format: str, lang: str) -> str | None:
    if "€" in number_format:
        text = f"{value:,.2f}"
    elif "%" in number_format:
        text = f"{value * 100:.0f}"  # percentages: the figure before "%"
    elif "/ 100" in number_format:
        text = f"{value:.1f}"
    elif "0.00" in number_format:
        text = f"{value:,.2f}"
    elif re.sub(r"\[\$-\w+\]|_-", "", number_format) in ("General", "0") and float(value).is_integer():
        text = str(int(value))
    else:
        return None
    return text.replace(",", " ").replace(".", ",").replace(" ", ".") if lang == "it" else text


def expected_pieces(path: Path, lang: str = "it") -> dict[str, list[tuple[str, str | tuple[str, ...]]]]:
    """Sheet -> (cell, piece) for every piece of text a cell must print whole: its words, cut only where LibreOffice
    wraps, and its figures as a reader of ``lang`` sees them (any of a figure's roundings)."""
    pieces: dict[str, list] = {}
    for sheet in openpyxl.load_workbook(path).worksheets:
        found = pieces.setdefault(sheet.title, [])
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    found += [(cell.coordinate, w) for w in BREAKS.split(cell.value) if w]
                elif (figures := shown(cell.value, cell.number_format, lang)) is not None:
                    found.append((cell.coordinate, figures))
    return pieces


def missing_pieces(pieces: dict[str, list], texts: dict[str, str]) -> list[tuple]:
    """(sheet, piece, times) for each piece its sheet's pages print fewer times than its cells hold it (cut at a
    cell's edge, glued to the next cell's text, split inside a word, a figure shown as ###), a figure by any of its
    roundings."""
    gone = []
    for sheet, found in pieces.items():
        printed = re.sub(r"\s+", " ", texts.get(sheet, ""))
        words = Counter(piece for _, piece in found if isinstance(piece, str))
        gone += [(sheet, word, n) for word, n in words.items() if printed.count(word) < n]
        gone += [
            (sheet, cell, figures)
            for cell, figures in found
            if not isinstance(figures, str) and not any(f in printed for f in figures)
        ]
    return gone


def overprinted(pdftotext: str, pdf: Path) -> list[tuple[int, str, str]]:
    """(page, word, word) for words printed over each other: their boxes share more than half a line's height and
    more than a quarter of the narrower one across (a heading turned upright in two lines shares a point or two)."""
    xml = subprocess.run([pdftotext, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for number, page in enumerate(xml.split("<page ")[1:], start=1):
        words = sorted(
            (float(y0), float(x0), float(x1), float(y1), w)
            for x0, y0, x1, y1, w in re.findall(
                r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page
            )
        )
        for i, (y0, x0, x1, y1, word) in enumerate(words):
            for v0, u0, u1, v1, other in words[i + 1 :]:
                if v0 > y1 - (y1 - y0) / 2:
                    break
                across = min(x1, u1) - max(x0, u0)
                if min(y1, v1) - max(y0, v0) > (y1 - y0) / 2 and across > max(1.0, min(x1 - x0, u1 - u0) / 4):
                    found.append((number, word, other))
    return found
