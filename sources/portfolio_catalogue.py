"""The portfolio's parameters (``data/portfolio/priorities.yaml``) and what peer groups are made of, loaded once.

``portfolio_catalogue()`` gathers them, with the flags, the consistency rules and the statuses, into the one value the
ranking is built from (``transforms.ranking.PortfolioCatalogue``).
"""

from __future__ import annotations

from functools import cache

import polars as pl
import yaml

from sources.catalogues import flag_rules, status_labels, status_plans
from sources.plan_catalogue import consistency
from sources.reference import DATA_DIR, bodies
from transforms.ranking import PortfolioCatalogue

PORTFOLIO_DIR = DATA_DIR / "portfolio"


@cache
def portfolio_config() -> dict:
    return yaml.safe_load((PORTFOLIO_DIR / "priorities.yaml").read_text(encoding="utf-8"))


def body_table() -> pl.DataFrame:
    """Every body's type, population and region: what peer groups are made of."""
    return bodies().select(
        pl.col("istat_code").alias("body"),
        (pl.col("uts_type_code") == "3").alias("metro"),
        pl.col("population_census2011").alias("population"),
        pl.col("region_code").alias("region"),
    )


@cache
def portfolio_catalogue() -> PortfolioCatalogue:
    return PortfolioCatalogue(
        config=portfolio_config(),
        flag_rules=flag_rules(),
        consistency=consistency(),
        status_plans=status_plans(),
        status_labels={lang: status_labels(lang) for lang in ("it", "en")},
        bodies=body_table(),
    )
