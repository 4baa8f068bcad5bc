"""The classification catalogues: complete, in range, and documented."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.catalogues import (
    ATTRIBUTES,
    authority_catalogue,
    quadrants,
    spending_classes,
)
from sources.reference import macroaggregates, programmes


def test_every_programme_has_exactly_one_catalogue_row():
    catalogue = authority_catalogue()
    assert catalogue["programma"].is_unique().all()
    assert sorted(catalogue["programma"]) == sorted(programmes()["code"])


def test_catalogue_values_are_in_range_and_justified():
    catalogue = authority_catalogue()
    for attribute in ATTRIBUTES:
        assert catalogue[attribute].is_between(0, 3).all(), attribute
    assert set(catalogue["kind"]) == {"service", "support", "technical", "regions_only"}
    statuses = {"retained", "transferred", "delegated", "non_fundamental", "not_applicable"}
    assert set(catalogue["status_provincia"]) <= statuses and set(catalogue["status_citta_metropolitana"]) <= statuses
    assert catalogue["justification"].str.len_chars().min() > 10
    regions_only = set(programmes().filter(pl.col("regions_only"))["code"])
    assert set(catalogue.filter(pl.col("kind") == "regions_only")["programma"]) == regions_only


def test_every_macroaggregate_has_a_spending_class():
    classes = spending_classes()
    assert sorted(classes["macroaggregato"]) == sorted(macroaggregates()["code"])
    assert set(classes["spending_class"]) == {"operating", "transfer", "financial", "excluded"}
    rigid = set(classes.filter(pl.col("rigid"))["macroaggregato"])
    assert {"1.01", "1.07"} <= rigid and all(code[0] in "14" for code in rigid)


def test_four_quadrants_cover_both_axes():
    table = quadrants()
    assert sorted(zip(table["authority"], table["spending"])) == [
        ("high", "operating"),
        ("high", "transfer"),
        ("low", "operating"),
        ("low", "transfer"),
    ]


def test_catalogues_are_documented():
    text = (Path(__file__).resolve().parents[1] / "docs" / "CLASSIFICATION.md").read_text(encoding="utf-8")
    for needle in ("spending_classes.csv", "authority_catalogue.csv", "quadrants.csv", "classification.yaml", "tie"):
        assert needle in text


def test_default_statuses_follow_the_fundamental_functions_table():
    """A programme mapped only to retained functions is retained (or delegated back); only to transferred ones,
    transferred.

    Programmes the table maps both ways (12.04 and 15.01: equal opportunities stayed, social and job services left)
    are a choice of the catalogue, documented in its justification.
    """
    from sources.reference import fundamental_functions

    catalogue = authority_catalogue()
    for who, column in (("province", "status_provincia"), ("citta_metropolitane", "status_citta_metropolitana")):
        retained, transferred = set(), set()
        for row in fundamental_functions().iter_rows(named=True):
            if who in row["applies_to"] and not row["applies_to"].startswith("province_montane"):
                codes = set(row["missione_programma_codes"].split(";"))
                (retained if row["retained"] == "true" else transferred).update(codes)
        status = dict(zip(catalogue["programma"], catalogue[column]))
        assert retained & transferred == {"12.04", "15.01"}
        assert {status[p] for p in retained - transferred} <= {"retained", "delegated"}
        assert {status[p] for p in transferred - retained} <= {"transferred", "delegated"}


def test_every_status_cites_its_source_and_no_status_claims_a_wrong_paragraph():
    catalogue = authority_catalogue()
    assert catalogue["status_source"].str.len_chars().min() > 10
    source = dict(zip(catalogue["programma"], catalogue["status_source"]))
    status = dict(zip(catalogue["programma"], catalogue["status_provincia"]))
    # assistance to disabled pupils went to the Regions (L. 208/2015 c. 947), not kept under c. 85
    assert status["04.06"] == "transferred" and "L. 208/2015 art. 1 c. 947" in source["04.06"]
    # provincial police is not a c. 85 function: only the staff needed for the fundamental functions stays
    assert "D.L. 78/2015 art. 5" in source["03.01"] and "non elencata al c. 85" in source["03.01"]
    # c. 86 covers the three mountain border provinces only
    assert status["19.01"] == "non_fundamental" and "c. 86" in source["19.01"]
    for programme, text in source.items():
        if (
            status[programme] == "retained"
            and catalogue.filter(pl.col("programma") == programme)["kind"][0] == "service"
        ):
            assert any(s in text for s in ("c. 85", "c. 44", "c. 86", "art.")), programme


def test_mountain_border_provinces_keep_international_relations_as_a_fundamental_function():
    from pipelines.classification import run_classification

    lines = pl.DataFrame(
        {
            "missione": ["19"],
            "programma": ["19.01"],
            "titolo": ["1"],
            "macroaggregato": ["1.03"],
            "amount_kind": ["impegni"],
            "amount_cents": [5_000_000_00],
        }
    )
    both = pl.concat([lines.with_columns(body=pl.lit(b)) for b in ("025", "002")]).with_columns(
        year=pl.lit(2025, pl.Int32), phase=pl.lit("rendiconto")
    )
    rows = {r["body"]: r for r in run_classification(both).functions.iter_rows(named=True)}
    assert (
        rows["025"]["status"] == "retained"
        and "relazioni con gli enti territoriali montani" in rows["025"]["status_source"]
    )  # Belluno
    assert "solo province montane" in rows["002"]["status_source"]
    assert rows["002"]["status"] == "non_fundamental"  # Vercelli


def test_every_programme_a_body_runs_has_a_field_with_actors_kpis_and_known_instruments():
    from sources.plan_catalogue import field_catalogue
    from sources.plan_catalogue import plan_csv as _csv
    from sources.plan_catalogue import strategy_csv as _strategy

    fields = field_catalogue()
    mapped = [p for ps in fields["programmes"] for p in ps.split(";")]
    assert len(mapped) == len(set(mapped))  # a programme belongs to one field
    catalogue = authority_catalogue().filter(pl.col("kind") == "service")
    run = catalogue.filter(
        (pl.col("status_provincia") != "not_applicable") | (pl.col("status_citta_metropolitana") != "not_applicable")
    )
    assert set(run["programma"]) <= set(mapped)
    instruments, cases = set(_csv("instruments.csv")["instrument"]), set(_csv("cases.csv")["case"])
    fitting = {f for t in (_csv("instruments.csv"), _csv("cases.csv")) for fs in t["fields"] for f in fs.split(";")}
    assert (
        instruments and cases and set(fields["field"]) - {"local_transfers"} <= fitting
    )  # each field has cases or instruments
    for f in fields.iter_rows(named=True):
        assert f["field"] in set(_strategy("actors.csv")["key"]) and f["field"] in set(
            _csv("field_kpis.csv")["field"]
        ), f["field"]
        assert f["reasoning"]
    assert _csv("instruments.csv")["citation"].str.len_chars().min() > 5
