"""A hand-worked case: a small province's final accounts, classified line by line by hand.

Provincia di Vercelli (002, 176,941 inhabitants), rendiconto 2025, commitments (the default basis
for final accounts). Amounts below are in thousands of euro. Authority scores use the catalogue's
attributes and the default weights: score = 0.6·max(a/3) + 0.4·Σ w·a/3 − 0.30·direct_delivery/3, clamped to [0, 1],
with w = permits 0.25, controls 0.25, binding plans 0.30, allocation 0.20, and 60 % of the score from the
strongest single power (no weight for legal status).
"""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.classification import run_classification

K = 100_000  # cents in a thousand euro

# programme: {macroaggregate: thousand euro}
BUDGET = {
    "01.02": {"1.01": 800, "1.03": 200},  # support function: not classified
    "04.02": {"1.01": 300, "1.03": 1_700, "2.02": 3_000},  # schools: capital-heavy, direct
    "04.06": {"1.03": 600, "1.04": 400},  # transfer share exactly 0.40
    "08.01": {"1.01": 500, "1.03": 400, "1.04": 100},  # planning: just above the authority threshold
    "09.02": {"1.01": 700, "1.03": 200, "1.04": 100},  # environmental controls
    "10.02": {"1.03": 500, "1.04": 9_500},  # local public transport: transfers
    "10.04": {"1.01": 400},  # licences and controls
    "10.05": {"1.01": 1_000, "1.03": 3_000, "2.02": 6_000},  # roads
    "12.02": {"1.03": 200, "1.04": 800},  # disability (transferred)
    "15.02": {"1.03": 200, "1.04": 1_800},  # vocational training (transferred)
    "16.02": {"1.01": 300, "1.03": 100},  # hunting and fishing (delegated)
    "18.01": {"1.04": 500},  # transfers to municipalities
    "05.02": {"1.04": 5},  # 5 thousand euro: negligible
    "50.01": {"1.07": 300},  # interest: technical programme
    "11.01": {"1.03": 300, "1.04": 200, "2.03": 500},  # civil protection
    "50.02": {"4.03": 500},  # loan repayment (title 4)
}


def _lines() -> pl.DataFrame:
    rows = []
    for programme, macros in BUDGET.items():
        for macro, thousands in macros.items():
            rows.append((programme[:2], programme, macro[0], macro, "impegni", thousands * K))
    # an appropriation line must not count: the basis for final accounts is commitments
    rows.append(("10", "10.05", "1", "1.03", "stanziamento", 99_999 * K))
    frame = pl.DataFrame(
        rows, schema=["missione", "programma", "titolo", "macroaggregato", "amount_kind", "amount_cents"], orient="row"
    )
    return frame.with_columns(body=pl.lit("002"), year=pl.lit(2025, pl.Int32), phase=pl.lit("rendiconto"))


@pytest.fixture(scope="module")
def result():
    return run_classification(_lines())


def _row(result, function: str) -> dict:
    return result.functions.filter(pl.col("function") == function).row(0, named=True)


# function: (transfer share, authority by hand, quadrant, borderline)
# authority = 0.6·M + 0.4·S − 0.30·dd/3, M = strongest level/3, S = Σ w·level/3 with
# w = permits .25, controls .25, binding plans .30, allocation .20. Being a fundamental function adds
# nothing: status is the chart's mark, not authority.
EXPECTED = {
    # 0 transfers; M = 2/3, S = .20 + .0667 = .2667: .40 + .1067 - .20 = .3067
    "04.02": (0.0, 0.306667, "direct", False),
    # 400/1000 = 0.40 (distance exactly -0.10: not borderline); M = 1/3, S = .0667: .20 + .0267 - .30 < 0 -> 0
    "04.06": (0.4, 0.0, "direct", False),
    # 100/1000; M = 1, S = .0833 + .1667 + .30 = .55: .60 + .22 = .82
    "08.01": (0.1, 0.82, "regulation", False),
    # 100/1000; M = 1, S = .25 + .25 + .20 = .70: .60 + .28 = .88
    "09.02": (0.1, 0.88, "regulation", False),
    # 9500/10000; M = 1, S = .0833 + .0833 + .20 + .20 = .5667: .60 + .2267 = .8267
    "10.02": (0.95, 0.826667, "allocation", False),
    # 0/400; M = 1, S = .50: .60 + .20 = .80
    "10.04": (0.0, 0.8, "regulation", False),
    # 0/10000; M = 2/3, S = .1667 + .1667 + .10 = .4333: .40 + .1733 - .10 = .4733 (0.027 below: borderline)
    "10.05": (0.0, 0.473333, "direct", True),
    # 800/1000; M = 2/3, S = .10 + .1333 = .2333: .40 + .0933 - .30 = .1933
    "12.02": (0.8, 0.193333, "indirect", False),
    # 1800/2000; M = 1, S = .0833 + .0833 + .10 + .20 = .4667: .60 + .1867 - .10 = .6867
    "15.02": (0.9, 0.686667, "allocation", False),
    # 0/400; M = 1, S = .70: .88
    "16.02": (0.0, 0.88, "regulation", False),
    # 500/500; M = 1, S = .20: .60 + .08 = .68 (transfers to the comuni by public decision: allocation)
    "18.01": (1.0, 0.68, "allocation", False),
    # (200 + 500)/1000; M = 2/3, S = .0833 + .20 + .0667 = .35: .40 + .14 - .20 = .34
    "11.01": (0.7, 0.34, "indirect", False),
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
        "Trasferimenti 95% della spesa; autorità alta (0,83: piani vincolanti, allocazione di risorse)"
        " → servizi di allocazione → network"
    )
    assert _row(result, "09.02")["explanation_en"].startswith(
        "Operating spending 90% (transfers 10%); authority high (0.88: permits, controls"
    )


def test_status_from_the_catalogue(result):
    assert (_row(result, "16.02")["status"], _row(result, "12.02")["status"], _row(result, "10.05")["status"]) == (
        "delegated",
        "transferred",
        "retained",
    )


def test_sensitivity_names_what_moves(result):
    def moved(function):
        return (
            result.sensitivity.filter(pl.col("function") == function)
            .select("axis", "step", "quadrant_after")
            .sort("step")
            .rows()
        )

    # 10.05 (authority 0.473): a threshold at 0.45 or 0.40 makes it high -> regulation; above 0.5 nothing changes
    assert moved("10.05") == [("authority", -0.1, "regulation"), ("authority", -0.05, "regulation")]
    # 04.06 (transfer share exactly 0.40): at a 0.40 spending threshold the tie goes to transfers -> indirect
    assert moved("04.06") == [("spending", -0.1, "indirect")]
    # 08.01 (0.82) and 10.02 (0.83) are far from both thresholds
    assert moved("08.01") == moved("10.02") == []
