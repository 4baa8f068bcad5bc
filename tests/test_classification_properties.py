"""Invariants of the metrics and the classification, on generated budgets (hypothesis)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.classification import run_classification
from sources.catalogues import classification_config, quadrants, spending_classes
from transforms.classify import classify
from transforms.metrics import CLASSES, function_metrics

PROGRAMMES = ["04.02", "08.01", "09.02", "10.02", "10.05", "12.02", "15.02", "16.02"]
MACROS = (
    spending_classes().filter(pl.col("macroaggregato").str.slice(0, 1).is_in(["1", "2"]))["macroaggregato"].to_list()
)
POPULATION = pl.DataFrame({"body": ["002"], "population": [176_941]})
BASIS = {"rendiconto": "impegni"}

line = st.tuples(st.sampled_from(PROGRAMMES), st.sampled_from(MACROS), st.integers(0, 10**11))


def _frame(rows) -> pl.DataFrame:
    return pl.DataFrame(
        [(p[:2], p, m[0], m, "impegni", cents) for p, m, cents in rows],
        schema=["missione", "programma", "titolo", "macroaggregato", "amount_kind", "amount_cents"],
        orient="row",
    ).with_columns(body=pl.lit("002"), year=pl.lit(2025, pl.Int32), phase=pl.lit("rendiconto"))


@given(st.lists(line, min_size=1, max_size=40))
def test_shares_lie_in_0_1_and_sum_to_1(rows):
    metrics = function_metrics(_frame(rows), spending_classes(), POPULATION, BASIS).filter(pl.col("total_cents") > 0)
    for name in (*CLASSES, "rigid", "capital"):
        assert metrics[f"{name}_share"].is_between(0, 1).all()
    total = metrics.select(pl.sum_horizontal([pl.col(f"{c}_share") for c in CLASSES]))
    assert ((total.to_series() - 1).abs() < 1e-9).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(line, min_size=1, max_size=30), st.randoms(use_true_random=False), st.data())
def test_row_order_and_splitting_do_not_change_the_result(rows, rng, data):
    before = run_classification(_frame(rows)).functions.sort("function")
    split = []
    for programme, macro, cents in rows:
        part = data.draw(st.integers(0, cents))
        split += [(programme, macro, part), (programme, macro, cents - part)]
    rng.shuffle(split)
    after = run_classification(_frame(split)).functions.sort("function")
    columns = ["function", "total_cents", "transfer_share", "authority", "quadrant", "borderline", "not_classified"]
    assert before.select(columns).equals(after.select(columns))


def _placed(points) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "body": "002",
            "year": 2025,
            "phase": "rendiconto",
            "function": [f"f{i}" for i in range(len(points))],
            "transfer_share": [x for x, _ in points],
            "authority": [y for _, y in points],
            "not_classified": pl.Series([None] * len(points), dtype=pl.String),
            **{
                a: 0 for a in ("permits", "controls", "binding_plans", "allocation", "legal_mandate", "direct_delivery")
            },
        }
    )


unit = st.floats(0, 1, allow_nan=False)


@given(st.lists(st.tuples(unit, unit), min_size=2, max_size=30), unit, unit)
def test_classification_is_monotone_in_each_axis(points, t_spending, t_authority):
    out = classify(_placed(points), quadrants(), t_spending, t_authority, 0.1)
    transfer = {r["function"]: r["quadrant"] in ("allocation", "indirect") for r in out.iter_rows(named=True)}
    high = {r["function"]: r["quadrant"] in ("allocation", "regulation") for r in out.iter_rows(named=True)}
    for (i, (xi, yi)), (j, (xj, yj)) in [((i, p), (j, q)) for i, p in enumerate(points) for j, q in enumerate(points)]:
        if xi <= xj and transfer[f"f{i}"]:
            assert transfer[f"f{j}"]
        if yi <= yj and high[f"f{i}"]:
            assert high[f"f{j}"]


@given(st.lists(st.tuples(unit, unit), min_size=1, max_size=30), unit, unit, unit)
def test_moving_a_threshold_only_moves_functions_across_it(points, t_spending, t_authority, new_spending):
    before = classify(_placed(points), quadrants(), t_spending, t_authority, 0.1)
    after = classify(_placed(points), quadrants(), new_spending, t_authority, 0.1)
    low, high = sorted((t_spending, new_spending))
    for b, a in zip(before.iter_rows(named=True), after.iter_rows(named=True)):
        if b["quadrant"] != a["quadrant"]:
            assert low <= round(b["transfer_share"], 12) <= high  # it lies between the old and the new threshold
            assert (b["quadrant"] in ("allocation", "regulation")) == (a["quadrant"] in ("allocation", "regulation"))


@settings(max_examples=30)
@given(st.lists(st.sampled_from(PROGRAMMES), min_size=1, max_size=8))
def test_zero_spending_never_yields_a_quadrant(programmes):
    functions = run_classification(_frame([(p, "1.03", 0) for p in programmes])).functions
    assert functions["quadrant"].null_count() == functions.height
    assert set(functions["not_classified"]) == {"negligible"}


def test_defaults_are_the_documented_ones():
    config = classification_config()
    assert config["thresholds"] == {"spending": 0.5, "authority": 0.5} and config["borderline_margin"] == 0.1
    assert config["amount_basis"] == {"rendiconto": "impegni", "previsione": "stanziamento"}
    assert abs(sum(config["authority_weights"].values()) - 1) < 1e-9


def test_technical_missions_at_mission_level_are_technical_never_negligible():
    """BDAP's mission-level files: mission 50 (debt) with hundreds of millions is technical, not 'negligible
    spending'."""
    from pipelines.classification import run_classification

    lines = pl.DataFrame(
        {
            "body": ["237"] * 4,
            "year": [2024] * 4,
            "phase": ["rendiconto"] * 4,
            "missione": ["50", "20", "99", "10"],
            "programma": [None] * 4,
            "titolo": [None] * 4,
            "macroaggregato": [None] * 4,
            "amount_kind": ["impegni"] * 4,
            "amount_cents": [298_000_000_00, 0, 5_000_000_00, 80_000_000_00],
        },
        schema_overrides={"year": pl.Int32, "programma": pl.String, "titolo": pl.String, "macroaggregato": pl.String},
    )
    functions = run_classification(lines).functions
    reasons = dict(functions.select("function", "not_classified").iter_rows())
    assert reasons["50"] == "technical" and reasons["20"] == "technical" and reasons["99"] == "technical"
    assert reasons["10"] == "no_detail"  # a service mission without macroaggregates: spending type not measurable


def test_mission_level_shares_that_cannot_be_measured_are_empty_not_zero():
    from pipelines.classification import run_classification

    lines = pl.DataFrame(
        {
            "missione": ["10", "50"],
            "programma": [None, None],
            "titolo": ["1", "1"],
            "macroaggregato": [None, None],
            "amount_kind": ["impegni"] * 2,
            "amount_cents": [50_000_000_00, 298_000_000_00],
        },
        schema_overrides={"programma": pl.String, "macroaggregato": pl.String},
    ).with_columns(body=pl.lit("002"), year=pl.lit(2025, pl.Int32), phase=pl.lit("rendiconto"))
    rows = {r["function"]: r for r in run_classification(lines).functions.iter_rows(named=True)}
    assert (
        rows["10"]["transfer_share"] is None
        and rows["10"]["rigid_share"] is None
        and rows["10"]["not_classified"] == "no_detail"
    )
    assert rows["50"]["not_classified"] == "technical"  # 298 million of debt is never "negligible"


def test_mission_level_functions_carry_the_missions_name():
    from pipelines.classification import run_classification

    lines = pl.DataFrame(
        {
            "missione": ["10"],
            "programma": [None],
            "titolo": ["1"],
            "macroaggregato": ["1.03"],
            "amount_kind": ["impegni"],
            "amount_cents": [50_000_000_00],
        },
        schema_overrides={"programma": pl.String},
    ).with_columns(body=pl.lit("002"), year=pl.lit(2025, pl.Int32), phase=pl.lit("rendiconto"))
    row = run_classification(lines).functions.row(0, named=True)
    assert (row["function"], row["name"]) == ("10", "Trasporti e diritto alla mobilità")
