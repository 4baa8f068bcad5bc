"""A plan kind for each legal status (issue 26): retained → development or maintain, delegated → governing the
delegation (never an exit), transferred → hand-over with the residual spending, mixed → a split plan."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.plan_catalogue import plan_catalogue
from tests.plan_frames import ranked_frame
from transforms.plan_assembly import build_plans

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "areavasta" / "data" / "plans"


def _plans(functions: list[str], quadrant: str = "direct", status: str = "retained", **extra) -> dict:
    result = build_plans(ranked_frame(functions, quadrant=quadrant, status=status, **extra), plan_catalogue())
    return {r["function"]: r for r in result.projects.iter_rows(named=True)}


def test_a_delegated_function_governs_the_delegation_and_is_never_wound_down():
    plans = _plans(["16.02", "04.07"], status="delegated", revenue_cents=[120_000_000, None], cost_recovery=[0.8, None])
    for function, plan in plans.items():
        assert plan["plan_kind"] == "delegation", function
        text = plan["dup_text"]
        assert "Chiudere" not in text and "Uscita" not in text and "chiusura dei capitoli" not in text, function
        assert "Piano di cessione" not in text and "Regione" in text and "accordo" in text.lower()
        assert "costo pieno" in text.lower() and "standard" in text.lower()
    hunting = plans["16.02"]["dup_text"]
    assert "80 %" in hunting and "1,5 milioni di euro" in hunting  # cost recovery figure against the full cost
    assert "da rilevare" in plans["04.07"]["dup_text"]  # no revenue loaded: the coverage is to be collected, never 0


def test_co_production_on_a_delegated_function_only_where_the_delegation_allows_it():
    plans = _plans(["16.02", "04.07"], status="delegated")
    assert plans["16.02"]["coproduction_types"]  # voluntary wardens: L. 157/1992 art. 27
    for plan in plans.values():
        has = bool(plan["coproduction_types"])
        assert ("Stanchezza dei partner" in plan["risks_text"]) == has
        assert ("La co-produzione ha un costo" in plan["risks_text"]) == has  # covered by the agreement with the Region
        assert "Non è gratis" not in plan["risks_text"]  # its mitigation is the kick-start, which a delegation has not


def test_a_transferred_function_gets_a_handover_with_its_residual_spending_and_no_coproduction_risks():
    plans = _plans(["15.01", "15.02", "16.01"], status="transferred")
    for function, plan in plans.items():
        assert plan["plan_kind"] == "handover", function
        assert "Non è gratis" not in plan["risks_text"] and "Stanchezza dei partner" not in plan["risks_text"], function
        assert "1 milione di euro" in plan["dup_text"] or "1,0 milioni" in plan["dup_text"], plan["dup_text"]


def test_a_hand_over_never_claims_the_body_pays_nothing_and_keeps_what_the_law_leaves_it():
    plans = _plans(["15.01", "04.06"], status="transferred")
    for plan in plans.values():
        assert (
            "Non risulta spesa a carico" not in plan["dup_text"]
            and "va accertato nella ricognizione" in plan["dup_text"]
        )
    assert (
        "Resta all'ente la consigliera di parità" in plans["15.01"]["dup_text"]
        and "D.Lgs. 198/2006" in plans["15.01"]["dup_text"]
    )
    assert "consigliera" not in plans["04.06"]["dup_text"]
    assert "non delle parti che restano all'ente per legge" in plans["15.01"]["phases_text"]
    for plan in plans.values():  # a hand-over is measured by what is handed over, not by the service it no longer runs
        assert (
            "Spesa residua a carico del bilancio dell'ente" in plan["dup_text"]
            and "Personale ancora in carico" in plan["dup_text"]
        )
    hunting = _plans(["16.02"], status="transferred")["16.02"]["dup_text"]
    assert "Censimenti faunistici" not in hunting and "Procedimenti e pratiche ancora aperti" in hunting


def test_the_flags_of_the_ranking_become_cautions_in_the_plan():
    plans = _plans(
        ["09.02", "10.05", "01.08"],
        quadrant="regulation",
        authority=0.7,
        flags=[["protect", "verify_data"], ["revenue_opportunity"], []],
    )
    assert (
        "Avvertenze." in plans["09.02"]["dup_text"]
        and "restano all'ente e non si esternalizzano" in plans["09.02"]["dup_text"]
    )
    assert "verificare i dati" in plans["09.02"]["dup_text"]
    assert "diritti, canoni e tariffe" in plans["10.05"]["dup_text"]
    assert "Avvertenze" not in plans["01.08"]["dup_text"]


def test_a_kick_start_above_a_years_effect_says_the_case_is_not_the_saving():
    small = _plans(
        ["12.04"], total_cents=8_400_000, capital_cents=1_680_000, staff_cents=2_520_000, goods_services_cents=3_360_000
    )["12.04"]
    large = _plans(["10.05"])["10.05"]
    assert small["kick_start_cents"] > small["effect_high_cents"] and "non per il risparmio" in small["dup_text"]
    assert large["kick_start_cents"] < large["effect_high_cents"] and "non per il risparmio" not in large["dup_text"]


def test_the_full_cost_names_its_key_or_says_it_cannot_be_given():
    plans = _plans(["16.02", "04.07"], status="delegated", full_cents=[150_000_000, 100_000_000])
    assert "ripartita in base alla spesa di personale, è di 1,5 milioni di euro" in plans["16.02"]["dup_text"]
    assert "il costo pieno è da stimare" in plans["04.07"]["dup_text"]


def test_a_mission_with_programmes_of_different_status_gets_a_split_plan():
    plans = _plans(["04"], status="mixed", coarse=True)
    plan = plans["04"]
    assert plan["plan_kind"] == "split"
    text = plan["dup_text"]
    assert "04.02" in text and "04.07" in text and "04.06" in text
    assert "delega" in text.lower() and "cessione" in text.lower()


def test_a_pass_through_transfer_is_maintained_not_coproduced():
    plans = _plans(["18.01"], quadrant="allocation", transfer_share=0.95, operating_share=0.05, authority=0.6)
    plan = plans["18.01"]
    assert plan["plan_kind"] == "maintain" and plan["coproduction_types"] == "" and "coproduction" not in plan["logics"]
    assert "Non è gratis" not in plan["risks_text"]
    assert "art. 12 L. 241/1990" in plan["phases_text"] and "contratto di servizio" not in plan["dup_text"]


def test_local_transport_paid_to_the_agency_is_governed_as_a_service_contract_not_as_grants():
    """Suspending the payment of a public service contract would break its obligations: 10.02 is not an art. 12
    grant."""
    plan = _plans(["10.02"], quadrant="indirect", transfer_share=0.9, operating_share=0.1)["10.02"]
    assert plan["plan_kind"] == "maintain"
    assert "D.Lgs. 422/1997 art. 19" in plan["phases_text"] and "contratto di servizio" in plan["dup_text"]
    assert "si sospendono" not in plan["dup_text"] and "art. 12 L. 241/1990" not in plan["phases_text"]
    assert "Obblighi di servizio non verificati" in plan["risks_text"] and "senza criteri" not in plan["risks_text"]
    assert "art. 55" not in plan["instruments"] + plan["actors"]


def test_every_plan_kind_has_its_legal_source_in_the_catalogue_and_in_the_docs():
    kinds = pl.read_csv(PLANS / "plan_kinds.csv", infer_schema=False)
    assert set(kinds["kind"]) == {"development", "maintain", "delegation", "handover", "split"}
    assert kinds["legal_source"].str.len_chars().min() > 5 and kinds["source"].str.len_chars().min() > 5
    docs = (ROOT / "docs" / "PORTFOLIO.md").read_text(encoding="utf-8")
    for row in kinds.iter_rows(named=True):
        assert row["legal_source"] in docs, row["kind"]
    statuses = pl.read_csv(ROOT / "areavasta" / "data" / "classification" / "statuses.csv", infer_schema=False)
    assert dict(zip(statuses["status"], statuses["plan"]))["delegated"] == "delegation"


def test_risks_belong_to_the_plan_kind():
    risks = pl.read_csv(PLANS / "risks.csv", infer_schema=False)
    assert {"plan_kinds", "when", "source"} <= set(risks.columns)
    not_free = risks.filter(pl.col("risk") == "not_free").row(0, named=True)
    assert not_free["when"] == "coproduction" and "handover" not in not_free["plan_kinds"]
