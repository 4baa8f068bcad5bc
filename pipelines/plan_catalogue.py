"""The plan catalogues (``data/plans``, ``data/strategy``), loaded once; every row carries its source."""

from __future__ import annotations

import re
from functools import cache

import polars as pl
import yaml

from sources.catalogues import authority_catalogue, body_statuses
from sources.reference import DATA_DIR, bodies, fundamental_functions

PLANS_DIR = DATA_DIR / "plans"
STRATEGY_DIR = DATA_DIR / "strategy"


@cache
def plan_config() -> dict:
    return yaml.safe_load((PLANS_DIR / "plans.yaml").read_text(encoding="utf-8"))


@cache
def _csv(name: str) -> pl.DataFrame:
    return pl.read_csv(PLANS_DIR / name, infer_schema=False)


@cache
def _strategy(name: str) -> pl.DataFrame:
    return pl.read_csv(STRATEGY_DIR / name, infer_schema=False)


@cache
def template(name: str) -> str:
    return (PLANS_DIR / name).read_text(encoding="utf-8")


@cache
def mission_words() -> dict:
    """First step, direction and effect words of a plan for a function given only as a mission total."""
    return yaml.safe_load((PLANS_DIR / "mission_level.yaml").read_text(encoding="utf-8"))


@cache
def response_rules() -> list[dict]:
    return yaml.safe_load((PLANS_DIR / "response_rules.yaml").read_text(encoding="utf-8"))


@cache
def consistency() -> dict:
    """Pass-through functions and the flags that never go together (``consistency.yaml``)."""
    return yaml.safe_load((PLANS_DIR / "consistency.yaml").read_text(encoding="utf-8"))


def field_catalogue() -> pl.DataFrame:
    return _strategy("fields.csv")


def labelled_modes(lang: str = "it") -> pl.DataFrame:
    """Delivery modes per field with the mode's name in words (never the internal key)."""
    names = _strategy("modes.csv")
    return (
        _strategy("delivery_modes.csv")
        .join(names.select("mode", pl.col(f"label_{lang}").alias("_label")), on="mode", how="left")
        .with_columns(mode=pl.col("_label"))
        .drop("_label")
    )


@cache
def plan_kinds() -> dict[str, dict]:
    """Kind → its words, template, steps and legal source (``plan_kinds.csv``)."""
    return {r["kind"]: r for r in _csv("plan_kinds.csv").iter_rows(named=True)}


@cache
def maintain_governs() -> dict[str, dict]:
    """What a maintained (pass-through) function governs: grants or a service contract, with objective and steps."""
    return {r["governs"]: r for r in _csv("maintain_governs.csv").iter_rows(named=True)}


@cache
def delegations() -> dict[str, dict]:
    """Delegated programme → the co-production the delegation allows, why and source (``delegations.csv``)."""
    return {r["programme"]: r for r in _csv("delegations.csv").iter_rows(named=True)}


@cache
def programme_statuses(body: str) -> list[dict]:
    """The body's default status per service programme (catalogue by body type, then ``status_by_body.csv``)."""
    column = "status_citta_metropolitana" if is_metro(body) else "status_provincia"
    special = {
        r["programma"]: r["status"] for r in body_statuses().filter(pl.col("body") == body).iter_rows(named=True)
    }
    out = []
    for r in authority_catalogue().filter(pl.col("kind") == "service").iter_rows(named=True):
        status = special.get(r["programma"], r[column])
        if status != "not_applicable":
            out.append({"programme": r["programma"], "name": r["name"], "status": status})
    return out


@cache
def regional_laws(body: str) -> dict[str, str]:
    """Topic → citation of the laws of the body's own region (``regional_laws.csv``, a source per row); empty where none
    is known."""
    row = bodies().filter(pl.col("istat_code") == body)
    region = row["region"][0] if row.height else None
    laws = _csv("regional_laws.csv").filter(pl.col("region") == region)
    return dict(zip(laws["topic"], laws["citation"]))


def _and(items: list[str]) -> str:
    """``a) e b)``, ``c) ed e)``."""
    out = items[0]
    for item in items[1:]:
        out += (" ed " if item.startswith("e") else " e ") + item
    return out


def is_metro(body: str) -> bool:
    row = bodies().filter(pl.col("istat_code") == body)
    return row.height > 0 and row["uts_type_code"][0] == "3"


CITED = re.compile(r"c\. (\d+)(?: lett\. ([a-z])\))?")


@cache
def legal_basis(programme: str, metro: bool) -> str:
    """The clauses of L. 56/2014 art. 1 that make ``programme`` a fundamental function of a province (c. 85, c. 88) or of a
    metropolitan city (c. 44, and c. 85 through c. 44's first sentence), from the reference table of fundamental
    functions; empty for a programme no clause names."""
    table = fundamental_functions().filter(
        pl.col("retained") == "true", pl.col("missione_programma_codes").str.split(";").list.contains(programme)
    )
    cites: list[tuple[int, str]] = []
    for row in table.iter_rows(named=True):
        applies, ident = row["applies_to"], row["function_id"]
        if (
            ident == "GEN"
            or ident.startswith("P86")
            or (metro and (ident == "P88" or "citta_metropolitane" not in applies))
        ):
            continue  # c. 86: the mountain border provinces' own (status_by_body.csv); c. 88 is c. 44 lett. c) for a metro
        if not metro and "province" not in applies.split(";")[0]:
            continue
        found = CITED.search(row["legal_basis"] or "")
        if found:
            cites.append((int(found.group(1)), found.group(2) or ""))
    letters: dict[int, list[str]] = {}
    for number, letter in sorted(dict.fromkeys(cites), key=lambda c: (c[0] != 44, c)):
        letters.setdefault(number, []).append(letter)
    words = [
        f"c. {n} lett. " + _and([f"{x})" for x in found]) if all(found) else f"c. {n}" for n, found in letters.items()
    ]
    return f"L. 56/2014 art. 1 {'; '.join(words)}" if words else ""
