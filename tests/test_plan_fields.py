"""Field fit as data (issue 26): every reference case and instrument lists the fields it fits, with a reason, and a plan
picks only from those; the programme → field table follows the official programme names."""

from __future__ import annotations

import polars as pl

from sources.plan_catalogue import field_catalogue, plan_catalogue
from sources.plan_catalogue import plan_csv as _csv
from sources.plan_catalogue import strategy_csv as _strategy
from sources.reference import programmes
from tests.plan_frames import ranked_frame
from transforms.plan_assembly import build_plans


def _plans(functions: list[str]) -> tuple[dict, pl.DataFrame]:
    result = build_plans(ranked_frame(functions), plan_catalogue())
    return {r["function"]: r for r in result.projects.iter_rows(named=True)}, result.kpis


def test_every_case_and_instrument_lists_its_fields_with_a_reason():
    known = set(field_catalogue()["field"])
    for name, key in (("cases.csv", "case"), ("instruments.csv", "instrument")):
        table = _csv(name)
        assert {"fields", "fit_reason"} <= set(table.columns), name
        for row in table.iter_rows(named=True):
            assert set(row["fields"].split(";")) <= known and len(row["fit_reason"]) > 10, (name, row[key])


def test_a_plan_picks_cases_and_instruments_only_from_those_that_fit_its_field():
    functions = [p for ps in field_catalogue()["programmes"] for p in ps.split(";")]
    plans, _ = _plans(functions)
    field_of = dict(
        pl.DataFrame({"f": field_catalogue()["field"], "p": field_catalogue()["programmes"].str.split(";")})
        .explode("p")
        .select("p", "f")
        .iter_rows()
    )
    for table, key, part in (
        (_csv("cases.csv"), "case", "cases"),
        (_csv("instruments.csv"), "instrument", "instruments"),
    ):
        for row in table.iter_rows(named=True):
            fits = set(row["fields"].split(";"))
            for function, plan in plans.items():
                if row["label_it"] in (plan[part] or ""):
                    assert field_of[function] in fits, (function, row[key])
    assert "Peer educators" not in plans["04.02"]["cases"] and "Lambeth" not in plans["04.02"]["dup_text"]


def test_the_programme_field_table_follows_the_official_programme_names():
    names = dict(zip(programmes()["code"], programmes()["name"]))
    assert names["12.04"] == "Interventi per soggetti a rischio di esclusione sociale"
    plans, kpis = _plans(["12.04", "01.08", "18.01"])
    inclusion = plans["12.04"]
    assert "esclusione" in inclusion["field_name"].lower()
    words = (
        " ".join(str(v) for v in inclusion.values()).lower()
        + " ".join(kpis.filter(pl.col("function") == "12.04")["label"]).lower()
    )
    assert (
        "consigliera di parità" not in words and "discriminazion" not in words and "sul lavoro" not in words
    )  # 15.01's, not 12.04's
    data = set(kpis.filter(pl.col("function") == "01.08", pl.col("kind") != "financial")["kpi"])
    assert data and "tenders" not in data
    assert "tenders" not in set(kpis.filter(pl.col("function") == "18.01")["kpi"])


def test_every_field_has_indicators_of_its_own():
    kpis = _csv("field_kpis.csv")
    for field in field_catalogue()["field"]:
        assert kpis.filter(pl.col("field") == field).height >= 2, field
    assert set(_strategy("actors.csv").filter(pl.col("scope") == "field")["key"]) <= set(field_catalogue()["field"])
