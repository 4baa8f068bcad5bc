"""Region-aware references (issue 26): a plan cites regional laws of the body's own region only, from a data file with
a source per row; where none is known for that region, the national instrument alone. Never another region's law."""

from __future__ import annotations

import re

import polars as pl

from sources.plan_catalogue import plan_catalogue
from sources.reference import DATA_DIR, bodies
from tests.plan_frames import ranked_frame
from transforms.plan_assembly import build_plans

REGIONS = sorted(set(bodies()["region"]))


def _plans_for(body: str, functions: list[str], status: str = "retained") -> dict:
    ranked = ranked_frame(functions, body=body, quadrant="regulation", status=status, authority=0.6)
    return {
        r["function"]: r
        for r in build_plans(ranked.drop("full_cents", "status_source"), plan_catalogue()).projects.iter_rows(
            named=True
        )
    }


def _texts(plan: dict) -> str:
    return " ".join(str(v) for k, v in plan.items() if isinstance(v, str))


def test_every_regional_law_has_a_region_a_citation_and_a_source():
    laws = pl.read_csv(DATA_DIR / "plans" / "regional_laws.csv", infer_schema=False)
    assert laws.height and set(laws["region"]) <= set(REGIONS)
    for row in laws.iter_rows(named=True):
        assert row["citation"].startswith("L.R.") and len(row["source"]) > 10, row


def test_no_plan_cites_another_regions_law():
    """One body per region, the environmental, waste, parks, police and hunting plans (the fields with regional GEV
    laws)."""
    one_per_region = bodies().group_by("region").agg(pl.col("istat_code").first())
    for region, body in one_per_region.iter_rows():
        plans = _plans_for(body, ["09.02", "09.03", "09.05", "03.01"]) | _plans_for(
            body, ["16.02", "04.07"], "delegated"
        )
        for function, plan in plans.items():
            text = _texts(plan)
            assert "es. L.R." not in text and "e.g. L.R." not in text, (body, function)
            for cited in re.findall(r"L\.R\. ([A-Z][\w'-]+(?: [A-Z][\w'-]+)*)", text):
                assert region.startswith(cited), (body, region, function, cited)


def test_bologna_and_torino_get_their_own_regions_guards_or_none():
    bologna = _plans_for("237", ["09.02"])["09.02"]
    torino = _plans_for("201", ["09.02"])["09.02"]
    assert "Lombardia" not in _texts(bologna) and "Lombardia" not in _texts(torino)
    assert "L.R. Emilia-Romagna 23/1989" in bologna["instruments"]
    assert "L.R. Piemonte 32/1982" in torino["instruments"]
    napoli = _plans_for("263", ["09.02"])[
        "09.02"
    ]  # no regional guards' law known for Campania: the national instruments alone
    assert "L.R." not in _texts(napoli) and "D.Lgs. 117/2017 art. 56" in napoli["instruments"]
    assert "Guardie ecologiche volontarie (" not in napoli["actors"]


def test_a_delegation_names_its_own_regions_reallocation_law_or_the_national_rule():
    assert "L.R. Emilia-Romagna 13/2015" in _plans_for("237", ["16.02"], "delegated")["16.02"]["dup_text"]
    assert "L.R. Campania 14/2015" in _plans_for("263", ["16.02"], "delegated")["16.02"]["dup_text"]
    campobasso = _plans_for("070", ["16.02"], "delegated")["16.02"]["dup_text"]  # no Molise reallocation law on file
    assert "L. 56/2014 art. 1 c. 89" in campobasso and "L.R." not in campobasso
    assert campobasso.count("c. 89") == 1, campobasso  # not once from the status and again as the national rule


def test_a_fundamental_function_states_its_clause_for_the_body_type():
    """A metropolitan city's roads are c. 44 lett. d) (and c. 85 through c. 44); a province's are c. 85 lett. b)
    alone."""
    bologna = _plans_for("237", ["10.05", "04.02"])
    vercelli = _plans_for("002", ["10.05", "14.01"], "retained")
    assert "Funzione fondamentale: L. 56/2014 art. 1 c. 44 lett. d); c. 85 lett. b)." in bologna["10.05"]["dup_text"]
    assert "c. 85 lett. c) ed e)" in bologna["04.02"]["dup_text"]
    assert "Funzione fondamentale: L. 56/2014 art. 1 c. 85 lett. b)." in vercelli["10.05"]["dup_text"]
    assert "c. 44" not in " ".join(
        _texts(p) for p in vercelli.values()
    )  # a province is never given a metropolitan clause
    assert "Funzione fondamentale" not in vercelli["14.01"]["dup_text"]


def test_central_purchasing_is_c_88_for_a_province_and_not_for_a_metropolitan_city():
    legal_basis = plan_catalogue().legal_basis

    assert legal_basis("01.03", False) == "L. 56/2014 art. 1 c. 88"
    assert "c. 88" not in legal_basis("01.03", True)  # c. 44 lett. c) for a metropolitan city
    assert legal_basis("18.01", False) == ""  # not a fundamental function: no clause invented


def test_plans_kept_per_region_equal_those_from_a_fresh_catalogue():
    """The catalogue keeps each region's actors, instruments and risks once (``PlanCatalogue.memo``, issue 30): a body
    planned after bodies of other regions gets exactly what a fresh catalogue gives it."""
    shared = plan_catalogue.__wrapped__()
    order = ["201", "237", "263", "215"]  # Piemonte, Emilia-Romagna, Campania, Lombardia

    def plans(body: str, catalogue) -> pl.DataFrame:
        ranked = ranked_frame(["09.02", "09.03", "09.05", "03.01"], body=body, quadrant="regulation", authority=0.6)
        return build_plans(ranked.drop("full_cents", "status_source"), catalogue).projects

    for body in order:
        plans(body, shared)
    for body in reversed(order):
        assert plans(body, shared).equals(plans(body, plan_catalogue.__wrapped__())), body
