"""Generate the budget of a body: programmes it really runs, plausible macroaggregate mixes, amounts
scaled by population, drift over years, chapter-level lines. Seeded: same arguments, same budget.

Per-programme parameters (euro per inhabitant, how often a body has the programme, yearly growth,
macroaggregate mix) live in ``data/samples/programme_profiles.csv``.
"""

from __future__ import annotations

import hashlib
import random
from functools import cache

import polars as pl

from sources.model import BUDGET_LINE_COLUMNS
from sources.reference import DATA_DIR, bodies, macroaggregates, programmes

BASE_YEAR = 2020
KINDS = {
    "previsione": {
        "stanziamento": (1.0, 1.0),
        "stanziamento_cassa": (1.05, 1.25),
        "stanziamento_anno_2": (0.92, 1.02),
        "stanziamento_anno_3": (0.88, 1.0),
    },
    "rendiconto": {
        "stanziamento": (1.0, 1.1),
        "impegni": (0.80, 0.98),
        "pagamenti_competenza": (0.55, 0.80),
        "pagamenti_residui": (0.05, 0.20),
    },
}
FPV_SHARE = (0.10, 0.30)  # of capital appropriations, both phases


@cache
def programme_profiles() -> pl.DataFrame:
    return pl.read_csv(DATA_DIR / "samples" / "programme_profiles.csv", infer_schema=False).with_columns(
        pl.col("eur_per_capita", "presence", "growth").cast(pl.Float64)
    )


def _rng(*parts) -> random.Random:
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def chapters_per_line(population: int) -> int:
    """How finely the body's accounts split each programme × macroaggregate (2k–20k rows a budget)."""
    return max(2, min(60, round(2 + population / 75_000)))


def generate_budget(body: str, year: int, phase: str, seed: int = 0, detail: bool = True) -> pl.DataFrame:
    """Canonical-shaped budget lines (no provenance) for one body, year and phase.

    ``detail=False`` gives one line per programme × macroaggregate × kind (what annexes show).
    """
    info = bodies().filter(pl.col("istat_code") == body).row(0, named=True)
    population = info["population_census2011"]
    metro = info["uts_type_code"] == "3"
    names = dict(zip(programmes()["code"], programmes()["name"]))
    macro_names = dict(zip(macroaggregates()["code"], macroaggregates()["name"]))
    n_chapters = chapters_per_line(population) if detail else 1
    rows: dict[str, list] = {
        k: []
        for k in (
            "missione",
            "programma",
            "titolo",
            "macroaggregato",
            "amount_kind",
            "amount_cents",
            "capitolo",
            "description",
        )
    }
    chapter_seq = 0
    for profile in programme_profiles().iter_rows(named=True):
        code = profile["programma"]
        body_rng = _rng(seed, body, code)
        if body_rng.random() > profile["presence"]:
            continue
        level = profile["eur_per_capita"] * population * body_rng.lognormvariate(0, 0.25) * (1.25 if metro else 1.0)
        year_rng = _rng(seed, body, code, year, phase)
        level *= (1 + profile["growth"]) ** (year - BASE_YEAR) * year_rng.lognormvariate(0, 0.06)
        mix = {m: float(w) * body_rng.uniform(0.8, 1.2) for m, w in (p.split(":") for p in profile["mix"].split(";"))}
        total_weight = sum(mix.values())
        for macro, weight in mix.items():
            base = level * weight / total_weight
            kinds = {kind: base * year_rng.uniform(*bounds) for kind, bounds in KINDS[phase].items()}
            if phase == "rendiconto":
                kinds["pagamenti_competenza"] = kinds["impegni"] * (kinds["pagamenti_competenza"] / base)
                kinds["pagamenti_residui"] = kinds["impegni"] * (kinds["pagamenti_residui"] / base)
            if macro.startswith("2."):
                kinds["fpv"] = base * year_rng.uniform(*FPV_SHARE)
            weights = [body_rng.uniform(0.2, 1.0) for _ in range(n_chapters)]
            for index, share in enumerate(weights):
                chapter_seq += 1
                chapter = f"{code.replace('.', '')}{index + 1:03d}/{1 + index % 3}"
                for kind, amount in kinds.items():
                    rows["missione"].append(code[:2])
                    rows["programma"].append(code)
                    rows["titolo"].append(macro[0])
                    rows["macroaggregato"].append(macro)
                    rows["amount_kind"].append(kind)
                    rows["amount_cents"].append(round(amount * share / sum(weights) * 100))
                    rows["capitolo"].append(chapter if detail else None)
                    rows["description"].append(
                        f"{names[code]} - {macro_names[macro]}" + (f" ({index + 1})" if detail else "")
                    )
    schema = {k: BUDGET_LINE_COLUMNS[k] for k in rows}
    return pl.DataFrame(rows, schema=schema).with_columns(
        body=pl.lit(body), year=pl.lit(year, pl.Int32), phase=pl.lit(phase)
    )


def aggregate(lines: pl.DataFrame) -> pl.DataFrame:
    """Programme × macroaggregate × kind totals (what the official annexes print)."""
    keys = ["body", "year", "phase", "missione", "programma", "titolo", "macroaggregato", "amount_kind"]
    return lines.group_by(keys).agg(pl.col("amount_cents").sum()).sort(keys)


def with_total_payments(agg: pl.DataFrame) -> pl.DataFrame:
    """Add ``pagamenti`` (payments on competence + on residues) beside the two parts."""
    keys = [c for c in agg.columns if c not in ("amount_kind", "amount_cents")]
    total = (
        agg.filter(pl.col("amount_kind").is_in(["pagamenti_competenza", "pagamenti_residui"]))
        .group_by(keys)
        .agg(pl.col("amount_cents").sum())
        .with_columns(amount_kind=pl.lit("pagamenti"))
    )
    return pl.concat([agg.filter(pl.col("amount_kind") != "pagamenti"), total.select(agg.columns)])
