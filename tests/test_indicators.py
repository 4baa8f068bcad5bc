"""Execution indicators on hand-worked figures (issue 27): each formula of ``data/indicators/execution.csv`` computed by
hand on a small body, per body, mission and programme; an indicator whose inputs are missing is empty with the
reason."""

from __future__ import annotations

import polars as pl
import pytest

from sources.reference import DATA_DIR
from transforms.indicators import (
    execution_indicators,
    function_signal,
    indicator_peers,
    line_filter,
)

CATALOGUE = pl.read_csv(DATA_DIR / "indicators" / "execution.csv", infer_schema=False)


def _spending(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["missione", "programma", "titolo", "macroaggregato", "amount_kind", "amount_cents"], orient="row"
    ).with_columns(body=pl.lit("237"), year=pl.lit(2025, pl.Int32), phase=pl.lit("rendiconto"))


def _revenue(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["titolo", "tipologia", "amount_kind", "amount_cents"], orient="row").with_columns(
        body=pl.lit("237"), year=pl.lit(2025, pl.Int32), phase=pl.lit("rendiconto")
    )


SPENDING = _spending(
    [
        # roads 10.05: 1,000 appropriated on current spending, 800 committed, 600 paid on competence; 400 opening
        # residues, 300 paid
        ("10", "10.05", "1", "1.03", "stanziamento", 100_000),
        ("10", "10.05", "1", "1.03", "impegni", 80_000),
        ("10", "10.05", "1", "1.03", "pagamenti_competenza", 60_000),
        ("10", "10.05", "1", "1.03", "residui_passivi_iniziali", 40_000),
        ("10", "10.05", "1", "1.03", "pagamenti_residui", 30_000),
        ("10", "10.05", "2", "2.02", "stanziamento", 100_000),
        ("10", "10.05", "2", "2.02", "impegni", 20_000),
        ("10", "10.05", "2", "2.02", "fpv", 50_000),
        # schools 04.02: staff 300 committed of 300; interest 50; loan repayment (title 4) 150 — the rigid part
        ("04", "04.02", "1", "1.01", "stanziamento", 30_000),
        ("04", "04.02", "1", "1.01", "impegni", 30_000),
        ("04", "04.02", "1", "1.07", "impegni", 5_000),
        ("04", "04.02", "1", "1.07", "stanziamento", 5_000),
        ("50", "50.02", "4", "4.03", "impegni", 15_000),
        ("50", "50.02", "4", "4.03", "stanziamento", 15_000),
    ]
)
REVENUE = _revenue(
    [
        ("1", "10101", "accertamenti", 150_000),
        ("1", "10101", "riscossioni_competenza", 120_000),
        ("2", "20101", "accertamenti", 100_000),
        ("2", "20101", "riscossioni_competenza", 50_000),
        ("3", "30100", "accertamenti", 50_000),
        ("3", "30100", "riscossioni_competenza", 40_000),
        ("4", "40200", "accertamenti", 70_000),  # capital revenue: not in the first three titles
    ]
)


@pytest.fixture(scope="module")
def found() -> dict:
    table = execution_indicators(SPENDING, REVENUE, CATALOGUE)
    return {(r["detail"], r["code"], r["indicator"]): r for r in table.iter_rows(named=True)}


def test_spending_indicators_per_body_mission_and_programme_by_hand(found):
    # titles 1 and 2 only: commitments 800 + 200 + 300 + 50 = 1,350 of 1,000 + 1,000 + 300 + 50 = 2,350 appropriated
    assert found[("body", "", "commitment_capacity")]["value"] == pytest.approx(135_000 / 235_000)
    assert found[("function", "10.05", "commitment_capacity")]["value"] == pytest.approx(100_000 / 200_000)
    assert found[("mission", "04", "commitment_capacity")]["value"] == pytest.approx(1.0)
    assert found[("function", "10.05", "payment_capacity")]["value"] == pytest.approx(60_000 / 100_000)
    assert found[("function", "10.05", "payables_disposal")]["value"] == pytest.approx(30_000 / 40_000)
    assert found[("function", "10.05", "fpv_share")]["value"] == pytest.approx(50_000 / 200_000)


def test_revenue_and_rigidity_indicators_of_the_body_by_hand(found):
    assert found[("body", "", "collection_speed")]["value"] == pytest.approx(210_000 / 300_000)
    assert found[("body", "", "financial_autonomy")]["value"] == pytest.approx(
        200_000 / 300_000
    )  # (150 + 50) / (150 + 100 + 50)
    # staff 300 + interest 50 + loan repayment 150 = 500 of current revenue 3,000
    assert found[("body", "", "structural_rigidity")]["value"] == pytest.approx(50_000 / 300_000)
    assert ("function", "10.05", "financial_autonomy") not in found  # revenue has no programme: body level only


def test_missing_inputs_leave_the_indicator_empty_with_the_reason_never_zero():
    without = SPENDING.filter(pl.col("amount_kind") != "residui_passivi_iniziali")
    table = execution_indicators(
        without, pl.DataFrame(), CATALOGUE
    )  # no revenue lines at all: as the warehouse reads them
    disposal = table.filter(pl.col("indicator") == "payables_disposal", pl.col("detail") == "body").row(0, named=True)
    assert disposal["value"] is None and disposal["missing"] == "kind:residui_passivi_iniziali"
    autonomy = table.filter(pl.col("indicator") == "financial_autonomy").row(0, named=True)
    assert autonomy["value"] is None and autonomy["missing"] == "kind:accertamenti"
    schools = table.filter(pl.col("indicator") == "payment_capacity", pl.col("code") == "04.02").row(0, named=True)
    assert schools["value"] == 0.0 and schools["missing"] is None  # commitments, no payments: a real 0 %
    roads_fpv = (
        execution_indicators(SPENDING.filter(pl.col("titolo") == "2"), REVENUE, CATALOGUE)
        .filter(pl.col("indicator") == "payment_capacity", pl.col("code") == "10.05")
        .row(0, named=True)
    )
    assert roads_fpv["missing"] == "kind:pagamenti_competenza"


def test_no_lines_at_all_give_no_indicators_of_the_right_types():
    table = execution_indicators(SPENDING.clear(), pl.DataFrame(), CATALOGUE)
    assert table.is_empty() and table.schema["year"] == pl.Int32


def test_zero_denominator_is_a_reason_not_a_division():
    nothing = SPENDING.with_columns(
        amount_cents=pl.when(pl.col("amount_kind") == "stanziamento").then(0).otherwise(pl.col("amount_cents"))
    )
    row = (
        execution_indicators(nothing, REVENUE, CATALOGUE)
        .filter(pl.col("indicator") == "commitment_capacity", pl.col("detail") == "body")
        .row(0, named=True)
    )
    assert row["value"] is None and row["missing"] == "zero_denominator"


def test_every_indicator_has_a_reference_a_source_and_known_kinds():
    kinds = set(pl.read_csv(DATA_DIR / "amount_kinds.csv", infer_schema=False)["code"])
    for r in CATALOGUE.iter_rows(named=True):
        assert len(r["reference"]) > 20 and len(r["source"]) > 10, r["indicator"]
        assert set(r["num_kinds"].split("|")) <= kinds and set(r["den_kinds"].split("|")) <= kinds, r["indicator"]
        assert r["direction"] in ("up", "down", "watch") and set(r["levels"].split(";")) <= {
            "body",
            "mission",
            "function",
        }


def test_a_filter_takes_any_of_its_alternatives():
    lines = pl.DataFrame({"titolo": ["1", "1", "4", "2"], "macroaggregato": ["1.01", "1.03", "4.03", "2.02"]})
    assert lines.filter(line_filter("macroaggregato=1.01|1.07;titolo=4")).height == 2
    assert lines.filter(line_filter("titolo=1|2")).height == 3 and lines.filter(line_filter(None)).height == 4


def _scored(
    values: dict[str, float | None],
    indicator: str = "commitment_capacity",
    detail: str = "body",
    code: str = "",
    year: int = 2025,
    phase: str = "rendiconto",
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "body": list(values),
            "year": year,
            "phase": phase,
            "detail": detail,
            "code": code,
            "indicator": indicator,
            "value": list(values.values()),
        },
        schema_overrides={"year": pl.Int32, "value": pl.Float64},
    )


def _group(body: str, peers: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"body": body, "year": 2025, "phase": "rendiconto", "peer": peers}, schema_overrides={"year": pl.Int32}
    )


def test_a_body_stands_among_its_peers_by_hand():
    # peers 0.40, 0.50, 0.55, 0.90 (0.99 is not in the group; 005 has no value): Q1 0.475, median 0.525, Q3 0.6375
    table = _scored({"237": 0.58, "001": 0.40, "002": 0.90, "003": 0.55, "004": 0.50, "005": None, "099": 0.99})
    row = indicator_peers(table, _group("237", ["001", "002", "003", "004", "005"])).row(0, named=True)
    assert row["peers"] == 4 and row["value"] == 0.58
    assert (row["peer_min"], row["peer_max"]) == (0.40, 0.90)
    assert (
        row["peer_q1"] == pytest.approx(0.475)
        and row["peer_median"] == pytest.approx(0.525)
        and row["peer_q3"] == pytest.approx(0.6375)
    )
    assert row["peers_below"] == 3  # 0.40, 0.50 and 0.55; only 0.90 above
    assert row["peer_bodies"] == ["001", "002", "003", "004"] and row["peer_values"] == [0.40, 0.90, 0.55, 0.50]


def test_peers_count_only_at_the_same_detail_and_code():
    body = _scored({"237": 0.5}, detail="function", code="10.05")
    peers = pl.concat(
        [
            _scored({"001": 0.7}, detail="mission", code="10"),
            _scored({"002": 0.9}, detail="function", code="10.05"),
            _scored({"003": 0.8}, detail="function", code="04.02"),
        ]
    )
    found = indicator_peers(pl.concat([body, peers]), _group("237", ["001", "002", "003"])).filter(
        pl.col("body") == "237"
    )
    assert found.height == 1 and found["peer_bodies"].to_list() == [["002"]]


def _functions(phase: str, year: int, function: str = "10.05") -> pl.DataFrame:
    return pl.DataFrame(
        {"body": ["237"], "year": [year], "phase": [phase], "function": [function]}, schema_overrides={"year": pl.Int32}
    )


def test_the_portfolio_signal_of_a_forecast_comes_from_the_latest_earlier_final_accounts():
    measured = pl.concat(
        [
            _scored({"237": v}, detail="function", code="10.05", year=y)
            for y, v in ((2023, 0.3), (2024, 0.4), (2025, 0.8))
        ]
    )
    forecast = function_signal(measured, _functions("previsione", 2025), "commitment_capacity").row(0, named=True)
    assert (forecast["commitment_capacity"], forecast["commitment_capacity_year"]) == (0.4, 2024)
    accounts = function_signal(measured, _functions("rendiconto", 2025), "commitment_capacity").row(0, named=True)
    assert (accounts["commitment_capacity"], accounts["commitment_capacity_year"]) == (0.8, 2025)
    assert function_signal(
        measured, _functions("rendiconto", 2022), "commitment_capacity"
    ).is_empty()  # no accounts that year


def test_a_mission_total_takes_the_missions_value_not_a_programmes():
    measured = pl.concat(
        [_scored({"237": 0.3}, detail="mission", code="10"), _scored({"237": 0.9}, detail="function", code="10.05")]
    )
    row = function_signal(measured, _functions("rendiconto", 2025, "10"), "commitment_capacity").row(0, named=True)
    assert row["commitment_capacity"] == 0.3


def test_a_summary_without_titles_is_measured_on_every_mission_but_debt_advances_and_clearing():
    """BDAP's summary by mission has no titles: missions 01-20 count, 50 (debt), 60 (treasury advances) and 99 (clearing
    accounts) do not, and a file with titles still counts titles 1 and 2 only."""
    summary = _spending(
        [
            ("10", None, None, None, "stanziamento", 100_000),
            ("10", None, None, None, "impegni", 70_000),
            ("60", None, None, None, "stanziamento", 900_000),
            ("60", None, None, None, "impegni", 0),
            ("99", None, None, None, "stanziamento", 50_000),
            ("99", None, None, None, "impegni", 50_000),
        ]
    )
    row = (
        execution_indicators(summary, pl.DataFrame(), CATALOGUE)
        .filter(pl.col("indicator") == "commitment_capacity", pl.col("detail") == "body")
        .row(0, named=True)
    )
    assert row["value"] == pytest.approx(0.7) and row["denominator_cents"] == 100_000
    lines = pl.DataFrame({"titolo": ["1", "3", None, None], "missione": ["10", "10", "10", "50"]})
    assert (
        lines.filter(line_filter("titolo=1|2;titolo=&missione!=50|60|99")).height == 2
    )  # title 1; mission 10 without title
    with_funds = pl.concat(
        [
            SPENDING,
            _spending(
                [
                    ("20", "20.02", "1", "1.10", "stanziamento", 500_000),  # FCDE: never committed
                    ("20", None, None, None, "stanziamento", 70_000),
                ]
            ),
        ]
    )
    body = (
        execution_indicators(with_funds, pl.DataFrame(), CATALOGUE)
        .filter(pl.col("indicator") == "commitment_capacity", pl.col("detail") == "body")
        .row(0, named=True)
    )
    assert body["value"] == pytest.approx(135_000 / 235_000)  # mission 20's funds are not a delivery problem
    assert (
        lines.filter(line_filter("titolo=&missione!=")).height == 2
        and lines.filter(line_filter("missione=")).height == 0
    )
