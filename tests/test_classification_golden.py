"""A hand-worked case: a small province's final accounts, classified line by line by hand.

Provincia di Vercelli (002, 176,941 inhabitants), rendiconto 2025, commitments (the default basis
for final accounts). Amounts below are in thousands of euro. Authority scores use the catalogue's
attributes and the default weights: score = Σ w·a/3 − 0.30·direct_delivery/3, clamped to [0, 1],
with w = permits 0.25, controls 0.25, binding plans 0.20, allocation 0.15, legal mandate 0.15.
"""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.classification import run_classification

K = 100_000  # cents in a thousand euro

# programme: {macroaggregate: thousand euro}
BUDGET = {
    "01.02": {"1.01": 800, "1.03": 200},                      # support function: not classified
    "04.02": {"1.01": 300, "1.03": 1_700, "2.02": 3_000},     # schools: capital-heavy, direct
    "04.06": {"1.03": 600, "1.04": 400},                      # transfer share exactly 0.40
    "08.01": {"1.01": 500, "1.03": 400, "1.04": 100},         # planning: just above the authority threshold
    "09.02": {"1.01": 700, "1.03": 200, "1.04": 100},         # environmental controls
    "10.02": {"1.03": 500, "1.04": 9_500},                    # local public transport: transfers
    "10.04": {"1.01": 400},                                   # licences and controls
    "10.05": {"1.01": 1_000, "1.03": 3_000, "2.02": 6_000},   # roads
    "12.02": {"1.03": 200, "1.04": 800},                      # disability (transferred)
    "15.02": {"1.03": 200, "1.04": 1_800},                    # vocational training (transferred)
    "16.02": {"1.01": 300, "1.03": 100},                      # hunting and fishing (delegated)
    "18.01": {"1.04": 500},                                   # transfers to municipalities
    "05.02": {"1.04": 5},                                     # 5 thousand euro: negligible
    "50.01": {"1.07": 300},                                   # interest: technical programme
    "11.01": {"1.03": 300, "1.04": 200, "2.03": 500},         # civil protection
    "50.02": {"4.03": 500},                                   # loan repayment (title 4)
}


def _lines() -> pl.DataFrame:
    rows = []
    for programme, macros in BUDGET.items():
        for macro, thousands in macros.items():
            rows.append((programme[:2], programme, macro[0], macro, "impegni", thousands * K))
    # an appropriation line must not count: the basis for final accounts is commitments
    rows.append(("10", "10.05", "1", "1.03", "stanziamento", 99_999 * K))
    frame = pl.DataFrame(rows, schema=["missione", "programma", "titolo", "macroaggregato", "amount_kind", "amount_cents"], orient="row")
    return frame.with_columns(body=pl.lit("002"), year=pl.lit(2025, pl.Int32), phase=pl.lit("rendiconto"))


@pytest.fixture(scope="module")
def result():
    return run_classification(_lines())


def _row(result, function: str) -> dict:
    return result.functions.filter(pl.col("function") == function).row(0, named=True)


# function: (transfer share, authority by hand, quadrant, borderline)
EXPECTED = {
    # 0 transfers; 0.20*2/3 + 0.15*1/3 + 0.15*3/3 - 0.30*2/3 = 0.1333 + 0.05 + 0.15 - 0.20 = 0.1333
    "04.02": (0.0, 0.133333, "direct", False),
    # 400/1000 = 0.40 (distance exactly -0.10: not borderline); 0.05 + 0.15 - 0.30 < 0 -> 0
    "04.06": (0.4, 0.0, "direct", False),
    # 100/1000; 0.25/3 + 0.25/3 + 0.20 + 0.15 = 0.5167 (0.017 above the threshold: borderline)
    "08.01": (0.1, 0.516667, "regulation", True),
    # 100/1000; 0.25 + 0.25 + 0.1333 + 0.15 = 0.7833
    "09.02": (0.1, 0.783333, "regulation", False),
    # 9500/10000; 0.0833 + 0.0833 + 0.1333 + 0.15 + 0.15 = 0.60 (distance exactly 0.10: not borderline)
    "10.02": (0.95, 0.6, "allocation", False),
    # 0/400; 0.25 + 0.25 + 0.15 = 0.65
    "10.04": (0.0, 0.65, "regulation", False),
    # 0/10000; 0.1667 + 0.1667 + 0.0667 + 0.15 - 0.10 = 0.45 (0.05 below: borderline)
    "10.05": (0.0, 0.45, "direct", True),
    # 800/1000; 0.0667 + 0.10 - 0.30 < 0 -> 0
    "12.02": (0.8, 0.0, "indirect", False),
    # 1800/2000; 0.0833 + 0.0833 + 0.0667 + 0.15 - 0.10 = 0.2833
    "15.02": (0.9, 0.283333, "indirect", False),
    # 0/400; 0.25 + 0.25 + 0.1333 + 0.05 = 0.6833
    "16.02": (0.0, 0.683333, "regulation", False),
    # 500/500; 0.15 + 0.05 = 0.20
    "18.01": (1.0, 0.2, "indirect", False),
    # (200 + 500)/1000; 0.0833 + 0.1333 + 0.05 + 0.10 - 0.20 = 0.1667
    "11.01": (0.7, 0.166667, "indirect", False),
}


@pytest.mark.parametrize("function", sorted(EXPECTED))
def test_quadrant_computed_by_hand(result, function):
    share, authority, quadrant, borderline = EXPECTED[function]
    row = _row(result, function)
    assert row["transfer_share"] == pytest.approx(share)
    assert row["authority"] == pytest.approx(authority, abs=1e-6)
    assert (row["quadrant"], row["borderline"]) == (quadrant, borderline)


def test_not_classified_with_reasons(result):
    reasons = {f: _row(result, f)["not_classified"] for f in ("01.02", "05.02", "50.01", "50.02")}
    assert reasons == {"01.02": "support", "05.02": "negligible", "50.01": "technical", "50.02": "technical"}
    assert _row(result, "05.02")["explanation_it"] == "Non classificata: spesa nulla o trascurabile"


def test_every_function_is_listed_never_dropped(result):
    assert sorted(result.functions["function"]) == sorted(BUDGET)


def test_function_metrics_by_hand(result):
    roads = _row(result, "10.05")
    assert roads["total_cents"] == 10_000 * K  # the 99,999 of appropriations are ignored
    assert roads["rigid_share"] == pytest.approx(1_000 / 10_000)  # staff
    assert roads["capital_share"] == pytest.approx(6_000 / 10_000)
    assert roads["operating_share"] == pytest.approx(1.0)
    transport = _row(result, "10.02")
    assert transport["per_capita_eur"] == pytest.approx(10_000_000 / 176_941)
    assert _row(result, "50.01")["financial_share"] == pytest.approx(1.0)


def test_body_rigidity_includes_debt_service(result):
    body = result.bodies.row(0, named=True)
    # titles 1-2: 1000+5000+1000+1000+1000+10000+400+10000+1000+2000+400+500+5+300+1000 = 34,605
    assert body["total_cents"] == 34_605 * K
    # staff 800+300+500+700+400+1000+300 = 4,000; interest 300; repayment 500
    assert (body["staff_cents"], body["interest_cents"], body["repayment_cents"]) == (4_000 * K, 300 * K, 500 * K)
    assert body["rigidity_share"] == pytest.approx((4_000 + 300 + 500) / (34_605 + 500))
    # transfers: 400+100+100+9500+800+1800+500+5+200+500 = 13,905
    assert body["transfer_share"] == pytest.approx(13_905 / 34_605)


def test_explanation_sentence(result):
    assert _row(result, "10.02")["explanation_it"] == (
        "Trasferimenti 95% della spesa; autorità alta (0,60: piani vincolanti, allocazione di risorse, funzione fondamentale)"
        " → servizi di allocazione → network"
    )
    assert _row(result, "09.02")["explanation_en"].startswith("Operating spending 90% (transfers 10%); authority high (0.78: permits, controls")


def test_status_from_the_catalogue(result):
    assert (_row(result, "16.02")["status"], _row(result, "12.02")["status"], _row(result, "10.05")["status"]) == (
        "delegated", "transferred", "retained",
    )


def test_sensitivity_names_what_moves(result):
    moved = result.sensitivity.filter(pl.col("function") == "10.05").select("axis", "step", "quadrant_after").sort("step").rows()
    # authority 0.45: the threshold at 0.45 or 0.40 makes it high -> regulation; above 0.5 nothing changes
    assert moved == [("authority", -0.1, "regulation"), ("authority", -0.05, "regulation")]
    assert {"08.01", "04.06"} <= set(result.sensitivity["function"])
    # 10.02 (authority 0.60) stays high when the threshold rises to 0.60: ties go to high authority
    assert "10.02" not in set(result.sensitivity["function"])
