"""Portfolio priorities on hand-worked cases: scores, tiers, reasons, flags, peers, outliers."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.classification import run_classification
from sources.portfolio_catalogue import portfolio_catalogue, portfolio_config
from sources.samples.budget import generate_budget
from transforms import portfolio as tp
from transforms.ranking import run_portfolio

WEIGHTS = {
    "size": 0.25,
    "manoeuvrability": 0.20,
    "transformation": 0.25,
    "peer_gap": 0.15,
    "trend": 0.05,
    "status": 0.10,
}


def _functions(rows):
    """rows: function, quadrant, total (k€), rigid share, status, per capita, peer median, growth."""
    return pl.DataFrame(
        rows,
        schema=[
            "function",
            "quadrant",
            "total_cents",
            "rigid_share",
            "status",
            "per_capita_eur",
            "peer_median_eur",
            "growth",
        ],
        orient="row",
    ).with_columns(
        body=pl.lit("002"),
        year=pl.lit(2025, pl.Int32),
        phase=pl.lit("rendiconto"),
        outlier=pl.lit(False),
        total_cents=pl.col("total_cents") * 100_000,
    )


def test_score_computed_by_hand():
    frame = _functions(
        [
            # roads: largest (size 1), rigid 10 %, direct (1.0), per capita 60 vs peers 40 (+50 % -> 0.5), flat (0.5),
            # retained (0.3)
            ("10.05", "direct", 10_000, 0.10, "retained", 60.0, 40.0, 0.0),
            # planning: a tenth of roads (size 0.1), rigid 60 %, regulation (0.5), per capita at peers (0), +10 %/yr
            # (0.75), retained
            ("08.01", "regulation", 1_000, 0.60, "retained", 5.0, 5.0, 0.10),
        ]
    )
    scored = tp.score(tp.components(frame, portfolio_config()), WEIGHTS).sort("function")
    # 10.05: 100 * (0.25*1 + 0.20*0.9 + 0.25*1.0 + 0.15*0.5 + 0.05*0.5 + 0.10*0.3) / 1.0 = 81.0
    # 08.01: 100 * (0.25*0.1 + 0.20*0.4 + 0.25*0.5 + 0.15*0 + 0.05*0.75 + 0.10*0.3) = 29.75
    assert scored["score"].to_list() == [pytest.approx(29.75), pytest.approx(81.0)]


def test_missing_components_are_left_out_not_counted_as_zero():
    frame = _functions([("10.05", "direct", 10_000, 0.10, "retained", 60.0, None, None)])
    row = tp.score(tp.components(frame, portfolio_config()), WEIGHTS).row(0, named=True)
    # no peers, one year: 100 * (0.25 + 0.18 + 0.25 + 0.03) / (0.25 + 0.20 + 0.25 + 0.10) = 88.75
    assert row["score"] == pytest.approx(88.75)


DOCUMENTED_WEIGHTS = {
    "size": 0.25,
    "manoeuvrability": 0.20,
    "transformation": 0.25,
    "peer_gap": 0.15,
    "trend": 0.05,
    "status": 0.10,
    "co_assessment": 0.0,
    "delivery": 0.0,
}  # docs/PORTFOLIO.md, table of components


def test_the_shipped_weights_score_each_component_as_documented():
    """One function per component, that component 1 and every other 0: its score is 100 x its weight / the sum of
    weights, so swapping any two different weights in priorities.yaml moves two scores; the docs table says the same."""
    weights = portfolio_config()["weights"]
    frame = pl.DataFrame(
        [
            {
                "body": "002",
                "year": 2025,
                "phase": "rendiconto",
                "function": component,
                **{f"c_{c}": float(c == component) for c in tp.COMPONENTS},
            }
            for component in tp.COMPONENTS
        ]
    )
    scores = dict(tp.score(frame, weights).select("function", "score").iter_rows())
    assert scores == {c: pytest.approx(100 * w) for c, w in DOCUMENTED_WEIGHTS.items()} and sum(
        weights.values()
    ) == pytest.approx(1.0)
    table = Path(__file__).parents[1] / "docs" / "PORTFOLIO.md"
    documented = {
        name.replace(" ", "_").replace("-", "_"): float(weight)
        for name, weight in re.findall(
            r"^\| ([a-z -]+) \| ([\d.]+) \|", table.read_text(encoding="utf-8"), re.MULTILINE
        )
    }
    assert documented == DOCUMENTED_WEIGHTS == weights


def test_quartile_tiers_split_tied_scores_by_position_never_all_into_the_top_tier():
    """Eight functions with one score: ranks 1-8 in order (``ordinal``), two per tier, as without the tie."""
    frame = pl.DataFrame(
        {"body": "002", "year": 2025, "phase": "rendiconto", "function": list("abcdefgh"), "score": [50.0] * 8}
    )
    tiered = tp.tiers(frame, "quartiles")
    assert tiered["tier"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4] and tiered["rank"].to_list() == list(range(1, 9))
    ties = frame.with_columns(score=pl.Series([90.0, 80, 80, 80, 80, 80, 30, 20]))
    assert tp.tiers(ties, "quartiles")["tier"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4]


@given(st.lists(st.sampled_from([10.0, 25.5, 50.0, 75.0, 99.0]), min_size=1, max_size=40))
def test_quartile_tiers_are_quarters_of_the_functions_whatever_the_ties(scores):
    """Tier sizes differ by at most one and follow the order of scores; ranks are 1..n, each once."""
    frame = pl.DataFrame(
        {
            "body": "002",
            "year": 2025,
            "phase": "rendiconto",
            "function": [f"f{i}" for i in range(len(scores))],
            "score": scores,
        }
    )
    tiered = tp.tiers(frame, "quartiles").sort("rank")
    n = len(scores)
    assert tiered["rank"].to_list() == list(range(1, n + 1))
    assert tiered["tier"].to_list() == [(rank - 1) * 4 // n + 1 for rank in range(1, n + 1)]
    assert tiered["score"].to_list() == sorted(scores, reverse=True)


def test_quartile_and_mean_sd_tiers():
    frame = pl.DataFrame(
        {
            "body": "002",
            "year": 2025,
            "phase": "rendiconto",
            "function": list("abcdefgh"),
            "score": [90.0, 80, 70, 60, 50, 40, 30, 20],
        }
    )
    assert tp.tiers(frame, "quartiles")["tier"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4]
    # mean 55, sd 24.5: >= 79.5 -> 1; >= 55 -> 2; >= 30.5 -> 3; else 4
    assert tp.tiers(frame, "mean_sd")["tier"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4]


def test_flags_follow_the_written_rules():
    frame = pl.DataFrame(
        {
            "quadrant": ["direct", "allocation"],
            "direct_delivery": [3, 0],
            "status": ["transferred", "retained"],
            "total_cents": [100, 100],
            "tier": [3, 1],
            "legal_mandate": [0, 3],
            "permits": [0, 1],
            "operating_share": [0.9, 0.05],
            "goods_services_share": [0.5, 0.0],
            "outlier": [False, True],
            "commitment_capacity": [0.2, 0.45],
        }
    )
    assert tp.flags(frame, __import__("sources.catalogues", fromlist=["flag_rules"]).flag_rules())[
        "flags"
    ].to_list() == [
        ["hand_over", "co_produce", "commission"],
        ["verify_data", "partner", "protect", "delivery_gap"],
    ]


@pytest.mark.parametrize(
    ("status", "committed", "raised"),
    [
        ("retained", 0.45, True),
        ("delegated", 0.2, True),
        ("retained", 0.5, False),
        ("transferred", 0.1, False),
        ("retained", None, False),
    ],
)
def test_a_function_that_commits_less_than_half_has_a_delivery_gap(status, committed, raised):
    """Retained, delegated or mixed functions committing under half their appropriation in the final accounts; a
    transferred one is handed over instead, and a function without final accounts is not judged."""
    frame = pl.DataFrame(
        {"status": [status], "commitment_capacity": [committed], "total_cents": [100]},
        schema_overrides={"commitment_capacity": pl.Float64},
    )
    rules = [
        r for r in __import__("sources.catalogues", fromlist=["flag_rules"]).flag_rules() if r["code"] == "delivery_gap"
    ]
    assert tp.flags(frame, rules)["flags"].to_list() == [["delivery_gap"] if raised else []]


def test_the_plan_names_the_delivery_gap_with_its_figure_and_year():
    from sources.catalogues import flag_rules
    from transforms.plan_texts import cautions

    text = cautions(
        {"flags": ["delivery_gap"], "commitment_capacity": 0.42, "commitment_capacity_year": 2024, "year": 2026},
        flag_rules(),
    )
    assert (
        "Avvertenze. Nel rendiconto 2024 la funzione ha impegnato il 42 % dello stanziamento: prima di cambiare modello"
        in text
    )
    assert "{" not in cautions(
        {"flags": ["delivery_gap", "verify_data"], "commitment_capacity": 0.08, "year": 2025}, flag_rules()
    )


def test_the_delivery_component_is_one_minus_commitment_and_moves_no_ranking_by_default():
    frame = _functions(
        [
            ("10.05", "direct", 10_000, 0.10, "retained", 60.0, 40.0, 0.0),
            ("08.01", "regulation", 1_000, 0.60, "retained", 5.0, 5.0, 0.10),
        ]
    )
    config = portfolio_config()
    measured = tp.components(frame.with_columns(commitment_capacity=pl.Series([0.3, None])), config).sort("function")
    assert measured["c_delivery"].to_list() == [None, pytest.approx(0.7)]
    assert tp.components(frame, config)["c_delivery"].null_count() == 2  # nothing measured: left out, not 0
    scored = tp.score(measured, config["weights"])["score"].to_list()
    assert scored == tp.score(tp.components(frame, config), config["weights"]).sort("function")["score"].to_list()
    weighted = tp.score(measured, {**config["weights"], "delivery": 0.2}).sort("function")["score"].to_list()
    assert weighted[1] != scored[1] and weighted[0] == scored[0]


@pytest.fixture(scope="module")
def national():
    bodies = ["002", "003", "004", "005", "006", "096", "103", "034", "035"]
    lines = pl.concat([generate_budget(b, y, "rendiconto") for b in bodies for y in (2024, 2025)])
    return lines


def test_a_data_error_never_tops_the_ranking(national):
    # Novara (003) reports its planning spending in cents as if it were euro: 100 times too much.
    broken = national.with_columns(
        amount_cents=pl.when((pl.col("body") == "003") & (pl.col("programma") == "08.01") & (pl.col("year") == 2025))
        .then(pl.col("amount_cents") * 100)
        .otherwise(pl.col("amount_cents"))
    )
    portfolio = run_portfolio(run_classification(broken).functions, portfolio_catalogue())
    novara = portfolio.ranked.filter(pl.col("body") == "003", pl.col("year") == 2025)
    planning = novara.filter(pl.col("function") == "08.01").row(0, named=True)
    assert planning["outlier"] and "verify_data" in planning["flags"]
    assert planning["c_peer_gap"] is None and planning["c_trend"] is None
    assert novara.row(0, named=True)["function"] != "08.01"
    # ...and the error does not move the peers' medians: Vercelli's planning gap is unchanged
    clean = run_portfolio(run_classification(national).functions, portfolio_catalogue()).ranked
    key = (pl.col("body") == "002") & (pl.col("function") == "08.01") & (pl.col("year") == 2025)
    assert portfolio.ranked.filter(key)["peer_median_eur"].item() == pytest.approx(
        clean.filter(key)["peer_median_eur"].item(), rel=0.2
    )


def test_peers_same_type_widened_until_five(national):
    portfolio = run_portfolio(run_classification(national).functions, portfolio_catalogue())
    vercelli = portfolio.peers.filter(pl.col("body") == "002", pl.col("year") == 2025)
    assert vercelli.height >= 5 and vercelli["band"].n_unique() == 1
    assert "237" not in vercelli["peer"].to_list()  # a metropolitan city is not a province's peer


def test_every_ranked_function_has_reasons_and_weight_sensitivity(national):
    portfolio = run_portfolio(run_classification(national).functions, portfolio_catalogue())
    assert portfolio.ranked["reasons_it"].str.len_chars().min() > 10
    assert set(portfolio.sensitivity["weight"]) <= set(tp.COMPONENTS)
    assert set(portfolio.sensitivity["factor"].round(2)) <= {0.8, 1.2}
