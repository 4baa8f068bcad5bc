"""Full cost by hand: the support programmes shared over the service lines by staff cost, and the switch.

The budget of tests/test_classification_golden.py (Provincia di Vercelli, rendiconto 2025, thousand euro):
the only support programme is 01.02 Segreteria generale (staff 800, goods and services 200 = 1,000).
Service functions with staff (1.01): 04.02 300, 08.01 500, 09.02 700, 10.04 400, 10.05 1,000, 16.02 300
= 3,200. So 10.05 receives 1,000/3,200 = 31.25 % of the pool = 312.5 (staff 250, goods 62.5).
"""

from __future__ import annotations

import copy

import pytest

from pipelines.classification import run_classification
from sources.catalogues import classification_config
from tests.test_classification_golden import K, _lines


def _run(basis: str, driver: str = "staff"):
    config = copy.deepcopy(classification_config())
    config["cost_basis"], config["full_cost_driver"] = basis, driver
    return {r["function"]: r for r in run_classification(_lines(), config=config).functions.iter_rows(named=True)}


@pytest.fixture(scope="module")
def direct():
    return _run("direct")


@pytest.fixture(scope="module")
def full():
    return _run("full")


def test_direct_and_full_cost_side_by_side(direct):
    roads = direct["10.05"]
    assert roads["direct_cents"] == roads["total_cents"] == 10_000 * K
    assert roads["support_allocated_cents"] == 312_500 * 100 and roads["full_cents"] == 10_312_500 * 100
    assert direct["01.02"]["full_cents"] == 0 and direct["01.02"]["support_allocated_cents"] == -1_000 * K
    assert direct["12.02"]["support_allocated_cents"] == 0  # no staff of its own: receives nothing
    allocated = sum(r["support_allocated_cents"] for r in direct.values())
    assert abs(allocated) <= len(direct)  # the pool is shared out, not created (rounding to the cent)


def test_the_full_cost_basis_moves_the_matrix(direct, full):
    env = full["09.02"]  # 700/3,200 of 1,000 = 218.75 of operating spending added to 1,000 (100 transfers)
    assert env["total_cents"] == 1_218_750 * 100 and env["cost_basis"] == "full"
    assert env["transfer_share"] == pytest.approx(100 / 1_218.75)
    assert env["direct_transfer_share"] == pytest.approx(0.1)
    roads = full["10.05"]  # staff 1,000 + 250 of the pool's 800 staff: rigid share (staff) 1,250 / 10,312.5
    assert roads["rigid_share"] == pytest.approx(1_250 / 10_312.5)
    assert roads["per_capita_eur"] == pytest.approx(10_312_500 / 176_941)
    assert full["01.02"]["quadrant"] is None and full["01.02"]["not_classified"] == "support"
    assert direct["09.02"]["total_cents"] == 1_000 * K  # the default basis is direct


def test_operating_driver_shares_by_operating_spending():
    by_operating = _run("direct", "operating")
    operating = {
        f: r["operating_cents"]
        for f, r in by_operating.items()
        if r["kind"] == "service" and (r["operating_cents"] or 0) > 0
    }
    share = operating["10.05"] / sum(operating.values())
    assert by_operating["10.05"]["support_allocated_cents"] == round(1_000 * K * share)


def test_unknown_basis_is_refused():
    with pytest.raises(ValueError, match="cost basis"):
        _run("average")
