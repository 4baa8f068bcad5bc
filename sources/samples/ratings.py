"""Realistic generated co-assessment ratings for a body and year (``areavasta sample``, the demo, tests).

Users rate the services they meet (roads, schools, transport, social inclusion) more often than support
functions; Third Sector bodies rate fewer functions and are more willing to take part in delivery where
they already work (social, environment, culture). Means differ by function; answers are whole 1-5
numbers, some left blank. Deterministic for a (body, year, seed).
"""

from __future__ import annotations

import math
import random

import polars as pl

from transforms.coassessment import SCALES

# function -> (expected respondents, mean quality, mean willingness of the Third Sector, share of Third Sector
# respondents)
PROFILE = {
    "10.05": (40, 2.3, 2.2, 0.1),
    "04.02": (35, 3.4, 2.8, 0.15),
    "10.02": (28, 2.9, 2.4, 0.1),
    "12.04": (32, 3.1, 4.1, 0.45),
    "12.07": (18, 3.5, 3.9, 0.6),
    "09.05": (22, 3.8, 4.0, 0.5),
    "05.02": (9, 3.6, 3.7, 0.3),
    "14.01": (6, 3.2, 2.5, 0.2),
    "01.08": (3, 3.0, 1.8, 0.3),
}


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def generate_ratings(body: str, year: int, seed: int = 0) -> pl.DataFrame:
    rng = random.Random(f"{body}|{year}|{seed}")  # a text seed: the same draws on every machine and Python run
    rows = []
    for function, (expected, quality, third_sector_willing, third_sector) in PROFILE.items():
        mix = {
            "utente": (1 - third_sector) * 0.85,
            "terzo_settore": third_sector,
            "comunita": (1 - third_sector) * 0.15,
        }
        for number in range(_poisson(rng, expected)):
            kind = rng.choices(list(mix), weights=list(mix.values()))[0]
            willing = third_sector_willing if kind != "utente" else third_sector_willing - 1.2
            means = {
                "quality": quality + (0.3 if kind == "terzo_settore" else 0),
                "accessibility": quality + 0.2,
                "willingness": willing,
            }
            scores = {s: min(5, max(1, round(rng.gauss(means[s], 0.9)))) for s in SCALES}
            if rng.random() < 0.08:
                scores["accessibility"] = None  # a question left blank
            rows.append(
                {
                    "body": body,
                    "year": year,
                    "function": function,
                    "respondent_type": str(kind),
                    "respondent": f"{'U' if kind == 'utente' else 'T' if kind == 'terzo_settore' else 'C'}"
                    f"{number + 1:03d}-{function}",
                    **scores,
                    "note": None,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "body": pl.String,
            "year": pl.Int32,
            "function": pl.String,
            "respondent_type": pl.String,
            "respondent": pl.String,
            **{s: pl.Int8 for s in SCALES},
            "note": pl.String,
        },
    )
