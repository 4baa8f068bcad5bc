"""The stages across bodies, per year: peer benchmarks (groups, outliers, where each body's indicators stand) and the
national overview; each reads through its reader and returns what it computed (``pipelines.stages``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.stages import INDICATOR_COLUMNS, METRIC_COLUMNS, basis_where, year_keys
from sources.catalogues import (
    classification_config,
    indicator_catalogue,
    spending_classes,
)
from sources.outlier_confirmations import read_confirmations
from sources.portfolio_catalogue import body_table, portfolio_config
from transforms import classification as tclassification
from transforms import ranking as tranking
from transforms.indicators import execution_indicators, indicator_peers
from warehouse import store as warehouse
from warehouse.stored import Stored


def stage_peers(
    con, years: list[int], peer_group: str | None = None, peer_list: list[str] | None = None, home: Path | None = None
) -> Stored:
    """Cross-body, per year: outliers (less those a person confirmed in ``<home>/confirmed_outliers.csv``, stored as
    ``core.confirmed_outliers``), peer groups (the rule the run configuration chooses) and named peer medians."""
    config = peer_config(peer_group, peer_list)
    confirmed = read_confirmations(home)
    matrix = con.execute("SELECT * FROM core.ruffini_matrix WHERE year <= ?", [max(years)]).pl()
    # every body analysed gets benchmarks; those analysed from BDAP (nobody uploaded) are open-data peers of the others
    from_bdap = warehouse.open_data_partitions(con, matrix.select("body", "year").unique()).select(
        "body", "year", "phase"
    )
    open_data = national_metrics(con, max(years))
    found, groups = tranking.benchmarks(
        tranking.with_source(matrix, from_bdap),
        config,
        body_table(),
        confirmed if confirmed.height else None,
        open_data,
        years,
    )
    standing = indicator_peers(peer_indicators(con, years), groups)
    every_body = body_table().select("body")  # the confirmations are replaced whole: the file is the truth
    return Stored(
        {
            "rows": found.height,
            "outliers": int(found["outlier"].sum()),
            "bodies": found["body"].n_unique(),
            "open_data_bodies": open_data["body"].n_unique() if open_data.height else 0,
            "peer_group": config["peers"]["group"],
            "indicators_with_peers": standing.height,
            "confirmed_outliers": confirmed.height,
        },
        {
            "peer_benchmarks": (found, year_keys(years)),
            "peer_groups": (groups, year_keys(years)),
            "indicator_peers": (standing, year_keys(years)),
            "confirmed_outliers": (confirmed, every_body),
        },
    )


def peer_indicators(con, years: list[int]) -> pl.DataFrame:
    """The execution indicators of every body these years: as stored (bodies analysed), and for the bodies known only
    from the national open data, computed on ``core.national_lines`` (spending only: the national extract has no
    revenue)."""
    wanted = year_keys(years)
    stored = warehouse.read_table(con, "execution_indicators", wanted)
    lines = warehouse.read_table(con, "national_lines", wanted, INDICATOR_COLUMNS)
    if lines.is_empty():
        return stored
    if stored.height:
        lines = lines.join(stored.select("body", "year", "phase").unique(), on=["body", "year", "phase"], how="anti")
    national = execution_indicators(lines, pl.DataFrame(), indicator_catalogue())
    return pl.concat([stored, national], how="diagonal_relaxed") if stored.height else national


def peer_config(peer_group: str | None = None, peer_list: list[str] | None = None) -> dict:
    """The portfolio parameters with the peer group a command line (run configuration) chooses
    (``transforms.ranking.with_peer_group``)."""
    return tranking.with_peer_group(portfolio_config(), peer_group, peer_list)


def national_metrics(con, last_year: int) -> pl.DataFrame:
    """Function metrics of every body in the national open data (``core.national_lines``) up to ``last_year``,
    per programme and per mission."""
    basis = classification_config()["amount_basis"]
    lines = warehouse.read_table(
        con, "national_lines", None, METRIC_COLUMNS, f"t.year <= {int(last_year)} AND ({basis_where()})"
    )
    if not lines.height:
        return lines
    return tranking.open_data_peers(lines, spending_classes(), body_table().select("body", "population"), basis)


def stage_national(con, years: list[int]) -> Stored:
    """Per year: how each body's spending on service lines splits by quadrant (the national overview,
    ``transforms.classification.overview``)."""
    matrix = con.execute("SELECT body, year, phase, quadrant, total_cents, kind, coarse FROM core.ruffini_matrix").pl()
    overview = tclassification.overview(matrix, years)
    return Stored(
        {"bodies": overview["body"].n_unique(), "rows": overview.height},
        {"national_overview": (overview, year_keys(years))},
    )
