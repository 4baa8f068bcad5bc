"""Layout profiles: each supported file layout described as data (``areavasta/data/layouts``).

A profile names its reader engine (``table`` for long or tidy tables, ``blocks`` for annexes
and matrices with hierarchical row blocks) and everything that differs between layouts:
where the header is, which axis carries which dimension, row-label patterns, subtotal rows,
number format. Detection looks at the file and picks the first profile (in file-name order)
whose ``detect`` rules match one of its sheets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from sources.reference import DATA_DIR

LAYOUT_DIR = DATA_DIR / "layouts"


@dataclass(frozen=True)
class Profile:
    name: str
    engine: str
    formats: tuple[str, ...]
    number_format: str
    detect: dict
    spec: dict = field(hash=False, compare=False)
    description_it: str = ""
    description_en: str = ""

    def description(self, lang: str = "it") -> str:
        return self.description_en if lang == "en" else self.description_it


def _load(path: Path) -> Profile:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Profile(
        name=spec["name"],
        engine=spec["engine"],
        formats=tuple(spec["formats"]),
        number_format=spec.get("number_format", "it"),
        detect=spec.get("detect", {}),
        spec=spec,
        description_it=spec.get("description_it", ""),
        description_en=spec.get("description_en", ""),
    )


@cache
def profiles() -> tuple[Profile, ...]:
    return tuple(_load(path) for path in sorted(LAYOUT_DIR.glob("*.yaml")))


def profile(name: str) -> Profile:
    for candidate in profiles():
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def header_row_with(cells: list[list[str]], wanted: list[str]) -> int | None:
    """Index of the first row containing every wanted folded header text."""
    wanted_set = set(wanted)
    for index, row in enumerate(cells):
        if wanted_set <= set(row):
            return index
    return None


def matches(profile: Profile, kind: str, sheet: str | None, cells: list[list[str]]) -> bool:
    """Does this sheet (its folded head) look like the profile's layout?"""
    rules = profile.detect
    if kind not in profile.formats:
        return False
    if "sheet" in rules and sheet is not None and sheet != rules["sheet"]:
        return False
    if "header_cells" in rules and header_row_with(cells, rules["header_cells"]) is None:
        return False
    text = " | ".join(" ".join(c for c in row if c) for row in cells)
    if "title_any" in rules and not any(re.search(p, text) for p in rules["title_any"]):
        return False
    if "header_any" in rules and not any(
        re.search(p, cell) for row in cells for cell in row for p in rules["header_any"]
    ):
        return False
    return True


@dataclass(frozen=True)
class OtherColumns:
    """The header columns a wide profile does not load: recognised ones (``columns_not_kept``: index → reason) and
    unknown ones (neither a field, an amount kind, a recognised column nor a ``descriptive_columns`` pattern)."""

    not_kept: dict[int, str]
    unknown: list[int]


def other_columns(spec: dict, folded: list[str], used: set[int]) -> OtherColumns:
    """Sort the columns of ``folded`` (a folded header row) that are not in ``used`` (fields and amount columns)."""
    reasons = {text: reason for reason, texts in spec.get("columns_not_kept", {}).items() for text in texts}
    descriptive = [re.compile(p) for p in spec.get("descriptive_columns", [])]
    not_kept, unknown = {}, []
    for index, text in enumerate(folded):
        if index in used:
            continue
        if text in reasons:
            not_kept[index] = reasons[text]
        elif not any(p.search(text) for p in descriptive):
            unknown.append(index)
    return OtherColumns(not_kept, unknown)
