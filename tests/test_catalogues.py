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
    statuses = {"retained", "transferred", "delegated", "not_applicable"}
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
    assert sorted(zip(table["authority"], table["spending"])) == [("high", "operating"), ("high", "transfer"), ("low", "operating"), ("low", "transfer")]


def test_catalogues_are_documented():
    text = (Path(__file__).resolve().parents[1] / "docs" / "CLASSIFICATION.md").read_text(encoding="utf-8")
    for needle in ("spending_classes.csv", "authority_catalogue.csv", "quadrants.csv", "classification.yaml", "tie"):
        assert needle in text


def test_default_statuses_follow_the_fundamental_functions_table():
    """A programme mapped only to retained functions is retained (or delegated back); only to transferred ones, transferred.

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
