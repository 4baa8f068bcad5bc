"""Stage: co-assessment statistics per function and respondent type (``core.coassessment``) from ``core.ratings``."""

from __future__ import annotations

import polars as pl

from sources.ratings import config, t_quantiles
from transforms.coassessment import summary
from warehouse import store as warehouse
from warehouse.stored import Stored


def stage_coassessment(con, keys: pl.DataFrame) -> Stored:
    """n, mean and t interval of every scale per function and respondent type; the keys are replaced even without
    ratings."""
    ratings = warehouse.read_table(con, "ratings", keys)
    if ratings.is_empty():
        stats = summary(
            pl.DataFrame(
                schema={
                    "body": pl.String,
                    "year": pl.Int32,
                    "function": pl.String,
                    "respondent_type": pl.String,
                    "quality": pl.Int8,
                    "accessibility": pl.Int8,
                    "willingness": pl.Int8,
                }
            ),
            t_quantiles(),
            config()["statistics"]["min_n"],
        )
    else:
        stats = summary(ratings, t_quantiles(), config()["statistics"]["min_n"])
    return Stored(
        {"ratings": ratings.height, "functions": stats["function"].n_unique() if stats.height else 0},
        {"coassessment": (stats, keys)},
    )
