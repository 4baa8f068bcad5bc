"""The status of a non-fundamental function follows the body's own Region (L. 56/2014 c. 89 and each Region's law):
``status_by_region.csv``, one row per Region (or per body type, or per body), each with its citation and source."""

from __future__ import annotations

import polars as pl

from sources.catalogues import authority_catalogue, body_statuses, statuses
from sources.plan_catalogue import plan_catalogue
from sources.reference import DATA_DIR, bodies

REGIONAL = pl.read_csv(DATA_DIR / "classification" / "status_by_region.csv", infer_schema=False)


def _status(body: str, programme: str) -> str:
    return {p["programme"]: p["status"] for p in plan_catalogue().programme_statuses(body)}[programme]


def test_every_row_names_a_region_a_known_status_programme_citation_and_source():
    regions, codes = set(bodies()["region"]), set(authority_catalogue()["programma"])
    for r in REGIONAL.iter_rows(named=True):
        assert r["region"] in regions and r["programma"] in codes and r["status"] in set(statuses()["status"]), r
        assert r["body_type"] in ("all", "provincia", "citta_metropolitana") or r["body_type"] in set(
            bodies()["istat_code"]
        ), r
        assert "L.R." in r["status_source"] and len(r["source"]) > 20 and r["confidence"] in ("verified", "likely"), r
        assert ("verificare" in r["status_source"]) == (r["confidence"] == "likely"), r  # a secondary source says so


def test_hunting_and_fishing_follow_the_region():
    assert _status("237", "16.02") == "transferred"  # Bologna: Emilia-Romagna took it back (L.R. 13/2015)
    assert _status("215", "16.02") == "transferred"  # Milano: L.R. Lombardia 32/2015
    assert _status("014", "16.02") == "delegated"  # Sondrio: the Lombardia exception, one body's row
    assert _status("016", "16.02") == "transferred"  # Bergamo: the Lombardia rule
    assert _status("002", "16.02") == "delegated"  # Vercelli: Piemonte confirmed it to the provinces


def test_a_named_body_beats_its_type_and_its_region():
    found = body_statuses()
    sondrio = found.filter(pl.col("body") == "014", pl.col("programma") == "16.02")
    assert sondrio.height == 1 and "7/2016" in sondrio["status_source"][0]
    assert found.filter(pl.col("body") == "014", pl.col("programma") == "09.07")["status"].to_list() == [
        "retained"
    ]  # c. 86
    assert found.unique(["body", "programma"]).height == found.height
