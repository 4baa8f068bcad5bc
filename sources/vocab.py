"""Matching what a file says (header cells, drop-down values) to the product's vocabularies.

Works on the few distinct texts of a file, not on every row: callers map the result back
with a join or ``replace_strict``.
"""

from __future__ import annotations

import re
from functools import cache

from sources.reference import amount_kinds, bodies, macroaggregates, missions
from transforms.codes import best_name_match, fold_text

_YEAR = re.compile(r"\b(20\d{2})\b")


@cache
def _kind_tables() -> tuple[dict[str, str], list[tuple[re.Pattern, str]]]:
    table = amount_kinds()
    exact: dict[str, str] = {}
    for row in table.iter_rows(named=True):
        for text in (row["code"], row["label_it"], row["label_en"], row["code"].replace("_", " ")):
            exact[fold_text(text)] = row["code"]
    patterns = [(re.compile(row["header_pattern"]), row["code"]) for row in table.iter_rows(named=True)]
    return exact, patterns


_YEAR_OFFSET_KIND = {0: "stanziamento", 1: "stanziamento_anno_2", 2: "stanziamento_anno_3"}


def amount_kind_of(text: str | None, budget_year: int | None = None) -> str | None:
    """``Impegnato`` → ``impegni``; ``Previsioni di competenza anno 2027`` in a 2026 budget →
    ``stanziamento_anno_2``."""
    folded = fold_text(text)
    if not folded:
        return None
    exact, patterns = _kind_tables()
    if folded in exact:
        return exact[folded]
    year_match = _YEAR.search(folded)
    without_year = " ".join(_YEAR.sub(" ", folded).replace(" anno ", " ").split()).removesuffix(" anno")
    for candidate in (folded, without_year):
        for pattern, code in patterns:
            if pattern.search(candidate):
                if code == "stanziamento" and year_match and budget_year:
                    return _YEAR_OFFSET_KIND.get(int(year_match.group(1)) - budget_year)
                return code
    return None


@cache
def _mission_names() -> dict[str, str]:
    return dict(zip(missions()["code"], missions()["name"]))


def mission_name(code: str) -> str:
    return _mission_names().get(code, "")


def mission_order() -> list[str]:
    """Mission codes in the order of the D.Lgs. 118/2011 scheme (the order export columns follow)."""
    return list(_mission_names())


_MISSION_CODE = re.compile(r"^(?:missione\s*)?(\d{1,2})\b")


def mission_of(text: str | None) -> str | None:
    """``MISSIONE 04``, ``04 - Istruzione…`` or a damaged mission name → ``"04"``."""
    folded = fold_text(text)
    match = _MISSION_CODE.match(folded)
    if match:
        code = match.group(1).zfill(2)
        return code if code in _mission_names() else None
    stripped = re.sub(r"^missione\s+", "", folded)
    return best_name_match(stripped, _mission_names())


@cache
def _macro_names() -> dict[str, str]:
    names = dict(zip(macroaggregates()["code"], macroaggregates()["name"]))
    names["2.02b"] = "Investimenti fissi lordi"  # the short form the official export prints
    return names


_MACRO_CODE = re.compile(r"^(?:macroaggregato\s*)?(\d)\s?(\d{2})\b")


def macro_of(text: str | None) -> str | None:
    """``101 Redditi da lavoro dipendente``, ``1.01 - …`` or the bare name → ``"1.01"``."""
    folded = fold_text(text)
    match = _MACRO_CODE.match(folded)
    if match:
        return f"{match.group(1)}.{match.group(2)}"
    code = best_name_match(folded, _macro_names())
    return code.removesuffix("b") if code else None


@cache
def _body_names() -> list[tuple[str, str]]:
    pairs = [(fold_text(name), code) for name, code in zip(bodies()["ente_denominazione"], bodies()["istat_code"])]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def body_in_text(folded_text: str) -> str | None:
    """The body whose full name ("provincia di …", "citta metropolitana di …") the text contains."""
    for name, code in _body_names():
        if name in folded_text:
            return code
    return None
