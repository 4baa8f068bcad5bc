"""The planner's list of bodies on the portal's home: a search (name, car plate, ISTAT code), filters (region, type as
``enti.csv`` says it, with or without data), the bodies with data first, and a heading that says what the list holds.

By default the list holds the bodies ``enti.csv`` marks as in the ordinary regime of law 56/2014
(``l56_2014_ordinary_regime_inferred``): the 76 provinces of the ordinary-statute regions and all 14 metropolitan
cities, the Sicilian and Sardinian ones included (Palermo, Catania, Messina, Cagliari). The heading says so, not
"ordinary-statute regions". ``?tutti=1`` lists every body. Everything works as a GET form; ``static/portal.js`` also
filters as one types.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import polars as pl

from sources.reference import bodies

SCOPES = {
    "l56": "Città metropolitane e province nel regime della legge 56/2014",
    "tutti": "Tutti gli enti di area vasta",
}
DATA_CHOICES = {"": "con e senza dati", "con": "solo con dati caricati", "senza": "solo senza dati"}


def plain(text: str) -> str:
    """Lower case without accents: what a search compares ("forlì" and "forli" are one)."""
    decomposed = unicodedata.normalize("NFD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


@dataclass(frozen=True)
class BodyList:
    """What the home shows a planner: the rows, the heading, what was asked, and the choices of the filters."""

    rows: list[dict]
    heading: str
    scope_note: str
    everyone: bool
    query: dict
    regions: list[str]
    types: list[str]
    in_scope: int


def in_scope(everyone: bool) -> pl.DataFrame:
    """The bodies the list starts from: every body, or those enti.csv marks in the ordinary regime of law 56/2014."""
    table = bodies()
    return table if everyone else table.filter(pl.col("l56_2014_ordinary_regime_inferred"))


def scope_note(everyone: bool) -> str:
    """What the list starts from and what it leaves out, counted from enti.csv by type (its words)."""
    table = bodies()
    if everyone:
        return f"Tutti i {table.height} enti di enti.csv, anche quelli fuori dal regime ordinario della legge 56/2014."
    kept = table.filter(pl.col("l56_2014_ordinary_regime_inferred"))
    left = table.filter(~pl.col("l56_2014_ordinary_regime_inferred"))

    def counted(frame: pl.DataFrame) -> str:
        groups = frame.group_by("uts_type").len().sort("uts_type")
        return ", ".join(f"{kind} {n}" for kind, n in groups.iter_rows())

    # the metropolitan cities of regions whose other bodies are outside the regime (Sicily, Sardinia)
    special = kept.filter(pl.col("region").is_in(left["region"].unique().to_list()))["name"].to_list()
    among = f"; comprese {', '.join(special)}, in regioni i cui altri enti ne sono fuori" if special else ""
    return (
        f"{kept.height} enti ({counted(kept)}{among}). "
        f"Fuori dal regime, non in elenco: {left.height} enti ({counted(left)})."
    )


def body_list(params, with_data: set[str]) -> BodyList:
    """The list for the query ``params`` (``q``, ``regione``, ``tipo``, ``dati``, ``tutti``), bodies with data first
    and then by name."""
    everyone = params.get("tutti") == "1"
    table = in_scope(everyone)
    query = {
        "q": str(params.get("q", ""))[:100].strip(),
        "regione": str(params.get("regione", ""))[:60],
        "tipo": str(params.get("tipo", ""))[:60],
        "dati": str(params.get("dati", "")) if params.get("dati") in DATA_CHOICES else "",
    }
    rows = []
    for row in table.iter_rows(named=True):
        code = row["istat_code"]
        search = plain(" ".join((code, row["sigla"] or "", row["name"], row["ente_denominazione"])))
        has_data = code in with_data
        if query["q"] and not all(word in search for word in plain(query["q"]).split()):
            continue
        if (query["regione"] and row["region"] != query["regione"]) or (
            query["tipo"] and row["uts_type"] != query["tipo"]
        ):
            continue
        if (query["dati"] == "con" and not has_data) or (query["dati"] == "senza" and has_data):
            continue
        rows.append({**row, "has_data": has_data, "search": search})
    rows.sort(key=lambda r: (not r["has_data"], plain(r["name"])))
    return BodyList(
        rows=rows,
        heading=SCOPES["tutti" if everyone else "l56"],
        scope_note=scope_note(everyone),
        everyone=everyone,
        query=query,
        regions=sorted(table["region"].unique().to_list()),
        types=sorted(table["uts_type"].unique().to_list()),
        in_scope=table.height,
    )


def template_choice(params, this_year: int) -> tuple[int, str]:
    """The year and phase the upload form starts from, and so the template link beside it: ``?year=&phase=`` when
    valid, else this year's forecast (``static/portal.js`` keeps the link in step as the officer changes them)."""
    year = str(params.get("year", ""))
    phase = str(params.get("phase", ""))
    chosen_year = int(year) if year.isascii() and year.isdigit() and 2000 <= int(year) <= 2100 else this_year
    return chosen_year, phase if phase in ("previsione", "rendiconto") else "previsione"
