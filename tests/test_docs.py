"""Documentation kept true to the code."""

from __future__ import annotations

from pathlib import Path

from sources.findings import catalogue
from sources.layouts import profiles

ROOT = Path(__file__).resolve().parents[1]


def test_every_finding_code_is_documented():
    text = (ROOT / "docs" / "VALIDATION.md").read_text(encoding="utf-8")
    assert [code for code in catalogue() if f"`{code}`" not in text] == []


def test_every_layout_is_in_the_readme():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [p.name for p in profiles() if f"`{p.name}`" not in text] == []


def test_every_finding_has_both_languages():
    assert [code for code, spec in catalogue().items() if not (spec.get("it") and spec.get("en"))] == []


def test_every_amount_kind_and_official_fixture_is_documented():
    import polars as pl

    text = (ROOT / "docs" / "LAYOUTS.md").read_text(encoding="utf-8")
    kinds = pl.read_csv(ROOT / "areavasta" / "data" / "amount_kinds.csv", infer_schema=False)["code"]
    assert [k for k in kinds if f"`{k}`" not in text] == []
    fixtures = [p.name for p in (ROOT / "tests" / "fixtures" / "official").iterdir() if p.suffix in (".csv", ".xlsx")]
    assert [f for f in fixtures if f"`{f}`" not in text] == []
