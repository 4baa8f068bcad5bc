"""The code lists and catalogues the product ships (``areavasta/data``), loaded once.

Everything here is data: the CSV files carry their sources (see ``data/reference/SOURCES.md``).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

import polars as pl
import yaml

# Data files (code lists, catalogues, layouts) ship in the ``areavasta`` package: data, not code.
DATA_DIR = Path(str(files("areavasta") / "data"))
REFERENCE_DIR = DATA_DIR / "reference"


def _read_csv(name: str) -> pl.DataFrame:
    return pl.read_csv(REFERENCE_DIR / name, infer_schema=False)


@cache
def missions() -> pl.DataFrame:
    """Missioni: ``code`` ("04"), ``name``."""
    return _read_csv("missioni.csv")


@cache
def programmes() -> pl.DataFrame:
    """Programmi: ``code`` ("04.02"), ``name``, ``parent_code`` ("04"), ``regions_only``."""
    return _read_csv("programmi.csv").with_columns(pl.col("regions_only") == "true")


@cache
def titles() -> pl.DataFrame:
    """Titoli di spesa: ``code`` ("1"), ``name``."""
    return _read_csv("titoli_spesa.csv")


@cache
def macroaggregates() -> pl.DataFrame:
    """Macroaggregati di spesa: ``code`` ("1.03"), ``name``, ``parent_code`` (titolo), ``regions_only``."""
    return _read_csv("macroaggregati_spesa.csv").with_columns(pl.col("regions_only") == "true")


@cache
def revenue_titles() -> pl.DataFrame:
    """Titoli di entrata: ``code`` ("1"), ``roman`` ("I"), ``name``."""
    return _read_csv("titoli_entrata.csv")


@cache
def tipologie() -> pl.DataFrame:
    """Tipologie di entrata: ``code`` ("10101"), ``number`` ("101"), ``name``, ``parent_code`` (titolo),
    ``regions_only``."""
    return _read_csv("tipologie_entrata.csv").with_columns(pl.col("regions_only") == "true")


@cache
def bodies() -> pl.DataFrame:
    """The 107 supra-municipal units (ISTAT), with population (census 2011)."""
    return _read_csv("enti.csv").with_columns(
        pl.col("population_census2011").cast(pl.Int64),
        pl.col("n_comuni_2023").cast(pl.Int32),
        pl.col("l56_2014_ordinary_regime_inferred") == "true",
    )


@cache
def fundamental_functions() -> pl.DataFrame:
    return _read_csv("funzioni_fondamentali.csv")


@cache
def amount_kinds() -> pl.DataFrame:
    """The closed vocabulary of amount kinds (``data/amount_kinds.csv``)."""
    return pl.read_csv(DATA_DIR / "amount_kinds.csv", infer_schema=False).with_columns(
        pl.col("allow_negative") == "true"
    )


@cache
def settings_defaults() -> dict:
    return yaml.safe_load((DATA_DIR / "settings.yaml").read_text(encoding="utf-8"))


@cache
def code_sets() -> dict[str, frozenset[str]]:
    """Valid codes per dimension, for fast membership checks."""
    return {
        "missione": frozenset(missions()["code"]),
        "programma": frozenset(programmes()["code"]),
        "titolo": frozenset(titles()["code"]),
        "macroaggregato": frozenset(macroaggregates()["code"]),
        "amount_kind": frozenset(amount_kinds()["code"]),
        "titolo_entrata": frozenset(revenue_titles()["code"]),
        "tipologia": frozenset(tipologie()["code"]),
        "body": frozenset(bodies()["istat_code"]),
    }


def resolve_body(value: str | None) -> str | None:
    """Turn what a user or a file says about a body into its ISTAT code, or None.

    Accepted: the ISTAT code of the unit (``237``), the historical province code (``037``),
    the car plate (``BO``) or the name (``Bologna``, ``Città metropolitana di Bologna``).
    The two code lists never collide (checked by a test).
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit():
        return _body_index()["codes"].get(text.zfill(3))
    return _body_index()["names"].get(text.casefold())


@cache
def _body_index() -> dict[str, dict[str, str]]:
    """Every spelling ``resolve_body`` accepts, to its ISTAT code (ambiguous spellings left out), built once."""
    table = bodies()
    codes: dict[str, str] = {}
    for column in ("historical_province_code", "istat_code"):  # the ISTAT code wins (the lists never collide)
        for value, count in table.group_by(column).len().iter_rows():
            if count == 1:
                codes[value] = table.filter(pl.col(column) == value)["istat_code"][0]
    names: dict[str, str] = {}
    for column in (
        "ente_denominazione",
        "name",
        "sigla",
    ):  # a later column overrides: the search order is sigla, name, full name
        lowered = table.select(pl.col(column).str.to_lowercase().alias("text"), "istat_code")
        for text, count in lowered.group_by("text").len().iter_rows():
            if count == 1:
                names[text] = lowered.filter(pl.col("text") == text)["istat_code"][0]
    return {"codes": codes, "names": names}


def body_name(code: str) -> str:
    return _body_names().get(code, code)


@cache
def _body_names() -> dict[str, str]:
    return dict(bodies().select("istat_code", "ente_denominazione").iter_rows())
