"""From a file on disk to extracted budget lines: look inside, pick the layout, run its reader."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sources.container import (
    DAMAGED_ZIP,
    Container,
    _first_line,
    inspect_file,
    scan_formulas,
)
from sources.findings import Finding
from sources.grid import Grid, open_workbook, read_csv_grid, read_sheet
from sources.layouts import Profile, matches, profiles
from sources.national import stream_profile
from sources.readers.blocks import read_blocks
from sources.readers.table import read_table
from sources.settings import Settings
from sources.steps import Steps
from transforms.codes import fold_text

_SCANNER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="formula-scan")


def extract(
    path: Path,
    settings: Settings,
    display_name: str | None = None,
    year: int | None = None,
    mapping: dict | None = None,
) -> Steps:
    """Steps (``sources.steps``) to every sheet of the file that fits one layout, read by that layout's engine
    (with the officer's mapping, if any): a pair of the extracted parts and the findings that stopped the file."""
    name = display_name or path.name
    container, findings = inspect_file(path, settings, name)
    if container is None:
        return [], findings
    if container.kind == "csv" and stream_profile(path, (container.text or "").split("\n", 1)[0]) is not None:
        # a national extract: its own command, streamed
        return [], [Finding("NATIONAL_EXTRACT", file=name)]
    formulas = _SCANNER.submit(scan_formulas, container, name) if container.kind == "xlsx" else None
    try:
        reader = open_workbook(container) if container.kind == "xlsx" else None
        chosen = _choose(container, reader)
    except Exception as exc:  # calamine refuses a damaged part of the workbook
        chosen = exc
    if formulas is not None:
        try:
            findings = formulas.result()
        except DAMAGED_ZIP as exc:  # a member whose compressed data is damaged
            return [], [Finding("FILE_CORRUPT", file=name, params={"detail": _first_line(exc)})]
        if findings:
            return [], findings
    if isinstance(chosen, Exception):
        return [], [Finding("FILE_CORRUPT", file=name, params={"detail": (str(chosen).splitlines() or ["?"])[0][:200]})]
    if chosen is None:
        if _questionnaire(container):  # a co-assessment questionnaire: its own command
            return [], [Finding("RATINGS_FILE", file=name)]
        return [], [Finding("LAYOUT_UNKNOWN", file=name)]
    profile, grids = chosen
    extracted = []
    for grid in grids:
        if profile.engine == "table":
            extracted.append((yield from read_table(profile, grid, name, year)))
        else:
            extracted.append(read_blocks(profile, grid, name, settings.subtotal_tolerance_cents, year, mapping))
    extras = {}
    if container.kind == "xlsx":
        by_name = {sheet.name: sheet for sheet in container.sheets}
        wanted = [(key, by_name[name]) for key, name in profile.spec.get("extra_sheets", {}).items() if name in by_name]
        for key, sheet in wanted:
            extras[key] = read_sheet(reader, container, sheet)
    for part in extracted:
        part.kind = container.kind
        part.extras = extras
    if extracted and container.warnings:
        extracted[0].findings[:0] = container.warnings
    return extracted, []


def _questionnaire(container: Container) -> bool:
    if container.kind == "xlsx":
        return any(sheet.name == "Valutazioni" for sheet in container.sheets)
    return "tipo di rispondente" in fold_text((container.text or "").split("\n", 1)[0])


def _choose(container: Container, reader) -> tuple[Profile, list[Grid]] | None:
    if container.kind == "csv":
        grid = read_csv_grid(container)
        head = grid.head_cells()
        for profile in profiles():
            if matches(profile, "csv", None, head):
                return profile, [grid]
        return None
    grids: dict[str, Grid] = {}

    def grid_of(sheet) -> Grid:
        if sheet.name not in grids:
            grids[sheet.name] = read_sheet(reader, container, sheet)
        return grids[sheet.name]

    for profile in profiles():
        if "xlsx" not in profile.formats:
            continue
        wanted = profile.detect.get("sheet")
        candidates = [s for s in container.sheets if wanted is None or s.name == wanted]
        hits = [grid_of(s) for s in candidates if matches(profile, "xlsx", s.name, grid_of(s).head_cells())]
        if hits:
            return profile, hits
    return None
