"""The plan catalogues as one value, and what they say of one body (pure; ``sources.plan_catalogue`` loads them).

The catalogues are ``data/plans`` and ``data/strategy`` with the classification's statuses, the flags' words and the
code lists a plan cites (bodies, fundamental functions). Of one body they say the status of each of its programmes, the
laws of its region and the clauses of L. 56/2014 that make a programme its fundamental function; each answer is kept
for the next plan of the same body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

CITED = re.compile(r"c\. (\d+)(?: lett\. ([a-z])\))?")


@dataclass
class PlanCatalogue:
    config: dict  # plans.yaml: tiers, adoption, kick-start
    tables: dict[str, pl.DataFrame]  # data/plans/*.csv by file name, every value text
    strategy: dict[str, pl.DataFrame]  # data/strategy/*.csv by file name
    templates: dict[str, str]  # data/plans/*.txt by file name: the DUP texts of each kind
    mission_words: dict  # mission_level.yaml: first step, direction and effect words of a mission total
    response_rules: list[dict]  # response_rules.yaml
    consistency: dict  # consistency.yaml: pass-through functions, flags that never go together
    status_plans: dict[str, str]  # status -> kind of plan (statuses.csv)
    status_labels: dict[str, dict[str, str]]  # language -> status -> words
    flag_rules: list[dict]  # portfolio/rules.yaml: the flags and what they mean for a plan
    full_cost_driver: str  # classification.yaml: the key that shares out the support programmes
    mission_effect: str  # report_labels.yaml: the effect of a plan for a mission total, in Italian
    authority: pl.DataFrame  # the authority catalogue: the service programmes and their status by body type
    body_statuses: pl.DataFrame  # statuses that differ by body (status_by_body.csv, status_by_region.csv)
    bodies: pl.DataFrame  # the code list of bodies: istat_code, region, uts_type_code
    fundamental_functions: pl.DataFrame  # the code list of the fundamental functions of L. 56/2014
    _kept: dict = field(default_factory=dict, repr=False, compare=False)

    def csv(self, name: str) -> pl.DataFrame:
        return self.tables[name]

    def fields(self) -> pl.DataFrame:
        return self.strategy["fields.csv"]

    def _keep(self, key: tuple, compute):
        if key not in self._kept:
            self._kept[key] = compute()
        return self._kept[key]

    def memo(self, key: tuple, compute):
        """``compute()`` once per ``key`` for this catalogue: the plans of 107 bodies share a few hundred
        combinations of region, kind and fields (each a polars filter of a catalogue)."""
        return self._keep(("memo", *key), compute)

    def plan_kinds(self) -> dict[str, dict]:
        """Kind → its words, template, steps and legal source (``plan_kinds.csv``)."""
        return self._keep(("plan_kinds",), lambda: _by(self.csv("plan_kinds.csv"), "kind"))

    def maintain_governs(self) -> dict[str, dict]:
        """What a maintained (pass-through) function governs: grants or a service contract, with objective and steps."""
        return self._keep(("maintain_governs",), lambda: _by(self.csv("maintain_governs.csv"), "governs"))

    def delegations(self) -> dict[str, dict]:
        """Delegated programme → the co-production the delegation allows, why and source (``delegations.csv``)."""
        return self._keep(("delegations",), lambda: _by(self.csv("delegations.csv"), "programme"))

    def is_metro(self, body: str) -> bool:
        """A metropolitan city (asked for every plan: kept per body, a filter of the code list cost 0.4 ms)."""
        return self._keep(("metro", body), lambda: _uts_type(self.bodies, body) == "3")

    def programme_statuses(self, body: str) -> list[dict]:
        """The body's default status per service programme (catalogue by body type, then the body's own statuses)."""
        return self._keep(("statuses", body), lambda: self._statuses(body))

    def _statuses(self, body: str) -> list[dict]:
        column = "status_citta_metropolitana" if self.is_metro(body) else "status_provincia"
        special = {
            r["programma"]: r["status"] for r in self.body_statuses.filter(pl.col("body") == body).iter_rows(named=True)
        }
        out = []
        for r in self.authority.filter(pl.col("kind") == "service").iter_rows(named=True):
            status = special.get(r["programma"], r[column])
            if status != "not_applicable":
                out.append({"programme": r["programma"], "name": r["name"], "status": status})
        return out

    def regional_laws(self, body: str) -> dict[str, str]:
        """Topic → citation of the laws of the body's own region (``regional_laws.csv``, a source per row); empty where
        none is known."""
        return self._keep(("laws", body), lambda: self._laws(body))

    def _laws(self, body: str) -> dict[str, str]:
        row = self.bodies.filter(pl.col("istat_code") == body)
        region = row["region"][0] if row.height else None
        laws = self.csv("regional_laws.csv").filter(pl.col("region") == region)
        return dict(zip(laws["topic"], laws["citation"]))

    def legal_basis(self, programme: str, metro: bool) -> str:
        """The clauses of L. 56/2014 art. 1 that make ``programme`` a fundamental function of a province (c. 85, c. 88)
        or of a metropolitan city (c. 44, and c. 85 through c. 44's first sentence), from the code list of fundamental
        functions; empty for a programme no clause names."""
        return self._keep(
            ("basis", programme, metro), lambda: legal_basis(self.fundamental_functions, programme, metro)
        )


def _uts_type(bodies: pl.DataFrame, body: str) -> str | None:
    row = bodies.filter(pl.col("istat_code") == body)
    return row["uts_type_code"][0] if row.height else None


def _by(table: pl.DataFrame, key: str) -> dict[str, dict]:
    return {r[key]: r for r in table.iter_rows(named=True)}


def _and(items: list[str]) -> str:
    """``a) e b)``, ``c) ed e)``."""
    out = items[0]
    for item in items[1:]:
        out += (" ed " if item.startswith("e") else " e ") + item
    return out


def legal_basis(fundamental_functions: pl.DataFrame, programme: str, metro: bool) -> str:
    """``PlanCatalogue.legal_basis`` from the code list itself."""
    table = fundamental_functions.filter(
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
            # c. 86: the mountain border provinces' own (status_by_body.csv); c. 88 is c. 44 lett. c) for a metro
            continue
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
