"""What the DUP document is made of (``DupInputs``), its words (``data/plans/dup_document.yaml``) and the few phrases
both its sections use: the DUP's period, a programme's place in the ranking, spending per inhabitant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

import polars as pl
import yaml

from sources.catalogues import status_labels
from sources.reference import DATA_DIR, missions

WORDS_FILE = DATA_DIR / "plans" / "dup_document.yaml"


@cache
def _data() -> dict:
    return yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))


def words(lang: str) -> dict:
    return _data()[lang]


def period(year: int, phase: str) -> tuple[int, int]:
    """The DUP's first and last year: a forecast's own three years, the next forecast's after final accounts."""
    first = year + int(_data()["first_year"][phase])
    return first, first + 2


def stem(body: str, year: int, phase: str, lang: str) -> str:
    """The file's name without suffix: the workbook's (``237_2025_rendiconto``, ``…_en`` in English)."""
    return f"{body}_{year}_{phase}{'' if lang == 'it' else '_' + lang}"


@dataclass
class DupInputs:
    body: str
    year: int
    phase: str
    lang: str
    functions: pl.DataFrame  # the matrix of this body, year and phase, with the tier
    ranked: pl.DataFrame  # the portfolio (rank, score, tier, reasons)
    plans: list[dict]  # core.plans rows, by code
    kpis: dict[str, list[dict]]  # function → core.plan_kpis rows
    body_figures: dict  # core.body_metrics row
    forecast: (
        pl.DataFrame | None
    )  # the opening forecast's appropriations (function, offset, titolo, cents); None: not loaded
    chart_png: bytes | None = None  # the matrix chart, the same picture as the workbook's
    units: dict[str, str] = field(default_factory=dict)  # function → responsible unit (sources.dup_units)
    units_problem: str | None = None  # the body's file of units could not be used: why
    units_file: str = ""
    phases: dict[str, list[tuple[str, str, str, str]]] = field(
        default_factory=dict
    )  # function → (phase, months, who, activity)
    last_months: dict[str, int] = field(default_factory=dict)
    pilots: dict[str, str] = field(default_factory=dict)
    positions: dict[str, tuple[str, str]] = field(default_factory=dict)  # function → Bovaird's grid today, target
    workbook: str = ""
    manifest_id: str | None = None
    as_of: dt.datetime | None = None
    open_data: str | None = None

    @property
    def w(self) -> dict:
        return words(self.lang)

    @property
    def years(self) -> list[int]:
        first, last = period(self.year, self.phase)
        return list(range(first, last + 1))

    def period_text(self) -> str:
        first, last = period(self.year, self.phase)
        return self.w["period"].format(first=first, last=last)


def mission_names() -> dict[str, str]:
    return dict(zip(missions()["code"], missions()["name"]))


def position(row: dict, n: int, w: dict, lang: str, reasons: bool = True) -> str:
    """Where a programme stands in the ranking ("1° su 20 nella graduatoria (priorità alta: …)"), or why it is
    outside."""
    if row.get("rank") is not None:
        why = row.get(f"reasons_{lang}") or "" if reasons else ""
        return w["position_ranked"].format(
            rank=row["rank"], n=n, tier=row.get(f"tier_{lang}") or "", reasons=f": {why}" if why else ""
        )
    if row.get("status"):
        return w["position_outside"].format(status=status_labels(lang).get(row["status"], row["status"]))
    return w["position_unclassified"]


def per_capita_words(eur: float | None, lang: str) -> str:
    """Spending per inhabitant in whole euro ("64 euro per abitante"): cents per inhabitant are false precision."""
    w = words(lang)
    if eur is None:
        return "n.d." if lang == "it" else "n/a"
    if abs(eur) < 1:
        return w["under_one_euro"]
    value = f"{round(eur):,}".replace(",", "." if lang == "it" else ",")
    return w["per_capita"].format(value=value)
