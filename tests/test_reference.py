"""The reference data the product ships: complete, consistent, and resolvable."""

from __future__ import annotations

import polars as pl

from sources.reference import (
    REFERENCE_DIR,
    bodies,
    macroaggregates,
    missions,
    programmes,
    resolve_body,
    titles,
)


def test_reference_files_carry_their_sources():
    text = (REFERENCE_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for name in ("missioni.csv", "programmi.csv", "macroaggregati_spesa.csv", "enti.csv", "funzioni_fondamentali.csv"):
        assert name in text


def test_code_lists_are_consistent():
    assert missions().height == 23 and titles().height == 7 and macroaggregates().height == 28
    assert programmes()["code"].is_unique().all()
    assert (programmes()["code"].str.slice(0, 2) == programmes()["parent_code"]).all()
    assert set(programmes()["parent_code"]) <= set(missions()["code"])
    assert set(macroaggregates()["parent_code"]) <= set(titles()["code"])


def test_107_bodies_and_codes_never_collide():
    table = bodies()
    assert table.height == 107 and table["istat_code"].is_unique().all()
    assert not set(table["istat_code"]) & set(table["historical_province_code"]) - set(
        table.filter(pl.col("istat_code") == pl.col("historical_province_code"))["istat_code"]
    )


def test_body_resolution_by_every_name():
    for value in ("237", "037", "BO", "bologna", "Città metropolitana di Bologna", " 37 "):
        assert resolve_body(value) == "237"
    assert resolve_body("Atlantide") is None and resolve_body("999") is None
