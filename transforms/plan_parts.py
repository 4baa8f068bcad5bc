"""The field-specific parts of every plan, in words (pure): co-production types with why, actors, instruments with
their citation, cases, phases or steps of the plan's kind, risks of the kind, and, for a mission total or a split, the
direction. The catalogues come in as a ``PlanCatalogue``."""

from __future__ import annotations

from string import Template

import polars as pl

from transforms import plan_rules
from transforms.plan_catalogue import PlanCatalogue
from transforms.plan_rules import for_region
from transforms.plan_texts import MONTHS, first_step

MISSION_ONLY = {
    "it": "Dati solo per missione, che comprende più campi: "
    "con il dettaglio per programma il piano si concentra su uno.",
    "en": "Mission-level data only, covering several fields: with programme detail the plan focuses on one.",
}
PARTS = (
    "field_name",
    "coproduction_types",
    "coproduction_why",
    "actors",
    "instruments",
    "cases",
    "phases_text",
    "risks_text",
    "direction",
)
HELPERS = ("delegation_why", "regional_law")  # words the DUP text needs, not stored


def _labels(codes: str | None, table: pl.DataFrame, key: str, lang: str, cite: bool = False) -> str:
    wanted = [c for c in (codes or "").split(";") if c]
    rows = {r[key]: r for r in table.iter_rows(named=True)}
    return "; ".join(
        f"{rows[c][f'label_{lang}']}" + (f" ({rows[c]['citation']})" if cite else "") for c in wanted if c in rows
    )


def field_parts(projects: pl.DataFrame, catalogue: PlanCatalogue, lang: str) -> dict[str, pl.Series]:
    """The field-specific parts of every plan, in words: co-production types with why, actors, instruments with their
    citation, cases, phases or steps of the plan's kind, risks of the kind (co-production risks only with
    co-production)."""
    fields = {r["field"]: r for r in catalogue.fields().iter_rows(named=True)}
    names = PARTS + (HELPERS if lang == "it" else ())
    parts: dict[str, list] = {k: [] for k in names}
    done: dict[tuple, dict] = {}  # the parts depend on the fields, the programme, the kind and the body: once each
    for r in projects.iter_rows(named=True):
        key = (
            tuple(r["fields"] or []),
            r["field"],
            r["function"],
            r["plan_kind"],
            r.get("name"),
            bool(r.get("coarse")),
            r.get("quadrant"),
            tuple(r.get("logics") or []),
            r["body"],
            r.get("governs"),
        )
        if key not in done:
            done[key] = _parts_of(r, fields, catalogue, lang)
        for name in names:
            parts[name].append(done[key][name])
    return {k: pl.Series(v, dtype=pl.String) for k, v in parts.items()}


def _steps(steps: pl.DataFrame, lang: str, allowed: str = "") -> str:
    rows = [s for s in steps.iter_rows(named=True) if s.get("when", "always") != "coproduction" or allowed]
    return "; ".join(
        f"{s[f'label_{lang}']} ({s['months_from']}-{s['months_to']} {MONTHS[lang]}): "
        f"{Template(s[f'description_{lang}']).safe_substitute(allowed=allowed)}"
        for s in rows
    )


def _risks(
    risks: pl.DataFrame, kind: str, keys: list[str], coproduces: bool, lang: str, governs: str | None = None
) -> str:
    """The risks of the plan's kind (``risks.csv``): general, of the kind, of its fields, of what a maintained function
    governs (grants or a service contract); those about co-production only where co-production is proposed."""
    scope = pl.col("scope")
    risks = risks.filter(
        pl.col("plan_kinds").str.split(";").list.contains(kind),
        (scope == "all")
        | (scope == "kind")
        | ((scope == "field") & pl.col("key").is_in(keys))
        | ((scope == "pass_through") & (pl.col("key") == (governs or "grants"))),
        (pl.col("when") == "always") | pl.lit(coproduces),
    )
    return "; ".join(f"{x[f'label_{lang}']} ({x[f'mitigation_{lang}']})" for x in risks.iter_rows(named=True))


def _fitting(table: pl.DataFrame, key: str, fields: list[str]) -> str:
    """The catalogue rows (cases, instruments) whose ``fields`` include one of the plan's fields, in catalogue order."""
    return ";".join(table.filter(pl.col("fields").str.split(";").list.set_intersection(fields).list.len() > 0)[key])


def _actors_of(body: str, catalogue: PlanCatalogue) -> dict[tuple, list[dict]]:
    """Actors by (scope, key), with the regional rows of the body's own region only."""
    out: dict[tuple, list[dict]] = {}
    for a in for_region(
        catalogue.strategy["actors.csv"], catalogue.regional_laws(body), ("delivery_mode_it", "delivery_mode_en")
    ).iter_rows(named=True):
        out.setdefault((a["scope"], a["key"]), []).append(a)
    return out


def _instruments_for(instruments: pl.DataFrame, kind: str, coproduces: bool, laws: dict[str, str]) -> pl.DataFrame:
    """The instruments a plan of ``kind`` may cite (``instruments.csv`` › ``plan_kinds``): a body does not co-design a
    function it hands over; co-production instruments only where co-production is proposed."""
    rows = instruments.filter(
        pl.col("plan_kinds").str.split(";").list.contains(kind), (pl.col("coproduction") != "true") | pl.lit(coproduces)
    )
    return for_region(rows, laws, ("citation",))


def _actors_text(r: dict, keys: list[str], actors_of: dict, kind: str, coproduces: bool, lang: str) -> str:
    """The field's and programme's actors that fit the plan's kind (``actors.csv`` › ``plan_kinds``), each once; a
    delegation names the Region first; a hand-over with no actor of its field names the function's holder."""
    own = [a for k in keys for a in actors_of.get(("field", k), [])] + actors_of.get(("programme", r["function"]), [])
    own = [a for a in own if kind in (a.get("plan_kinds") or "").split(";")]
    if kind == "delegation" and not coproduces:  # institutional only
        own = [a for a in own if "delegation" in a["plan_kinds"] and "maintain" in a["plan_kinds"]]
    if kind == "delegation" or (kind == "handover" and not own):
        own = actors_of.get(("kind", kind), []) + own
    unique = {a["actor"]: a for a in own}.values()  # a mission's fields can share an actor: named once
    return "; ".join(
        f"{a['actor' if lang == 'it' else 'actor_en']} ({a[f'resources_{lang}']}: {a[f'delivery_mode_{lang}']})"
        for a in unique
    )


def _parts_of(r: dict, fields: dict, catalogue: PlanCatalogue, lang: str) -> dict:
    """One plan's parts, named as in ``PARTS`` (and ``HELPERS``)."""
    csv, memo = catalogue.csv, catalogue.memo  # the catalogue filters once per region, kind and fields
    laws = catalogue.regional_laws(r["body"])
    region = tuple(sorted(laws.items()))
    actors_of = memo(("actors", region), lambda: _actors_of(r["body"], catalogue))
    keys = [k for k in (r["fields"] or []) if k in fields]
    f = fields.get(r["field"]) or {}
    kind = r["plan_kind"]
    merged = {
        "coproduction_types": ";".join(
            dict.fromkeys(c for k in keys for c in fields[k]["coproduction_types"].split(";"))
        ),
        "instruments": memo(("fit", "instrument", *keys), lambda: _fitting(csv("instruments.csv"), "instrument", keys)),
        "cases": memo(("fit", "case", *keys), lambda: _fitting(csv("cases.csv"), "case", keys)),
    }
    delegation = catalogue.delegations().get(r["function"]) or {}
    allowed = plan_rules.allowed_types(merged["coproduction_types"], delegation.get("coproduction_types"), kind)
    types = memo(("types", allowed, lang), lambda: _labels(allowed, csv("coproduction_types.csv"), "type", lang))
    why = (
        f.get(f"why_{lang}") or ""
        if len(keys) < 2
        else (
            MISSION_ONLY[lang]
            + " "
            + "; ".join(f"«{fields[k][f'name_{lang}']}»: {fields[k][f'why_{lang}']}" for k in keys)
        )
    )
    actors = _actors_text(r, keys, actors_of, kind, bool(allowed), lang)
    instruments = memo(
        ("instruments", merged["instruments"], kind, bool(allowed), region, lang),
        lambda: _labels(
            merged["instruments"],
            _instruments_for(csv("instruments.csv"), kind, bool(allowed), laws),
            "instrument",
            lang,
            cite=True,
        ),
    )
    cases = memo(("cases", merged["cases"], lang), lambda: _labels(merged["cases"], csv("cases.csv"), "case", lang))
    cases = cases if allowed else ""
    direction = ""
    if kind == "development":
        rows = memo(("rows", "phases.csv"), lambda: csv("phases.csv").rows(named=True))
        steps = [
            Template(p[f"description_{lang}"]).safe_substitute(
                pilot=f.get(f"pilot_{lang}") or "", instruments=instruments
            )
            for p in rows
        ]
        phases = "; ".join(
            f"{p[f'label_{lang}']} ({p['months_from']}-{p['months_to']} {MONTHS[lang]}, {p[f'owner_{lang}']}): {s}"
            for p, s in zip(rows, steps)
        )
    elif kind == "split":
        phases, direction = first_step(catalogue, lang), _split_direction(r, catalogue, lang)
    elif kind == "maintain":
        phases = _steps(csv(catalogue.maintain_governs()[r.get("governs") or "grants"]["steps"]), lang)
    else:
        phases = _steps(csv(catalogue.plan_kinds()[kind]["steps"]), lang, types)
    if r.get("coarse") and kind != "split":  # a mission total: first get programme detail; a direction, no euro
        words = catalogue.mission_words
        phases = f"{first_step(catalogue, lang)}; {phases}"
        logic_names = dict(zip(csv("response_logics.csv")["code"], csv("response_logics.csv")[f"name_{lang}"]))
        template = words["direction"].get(f"{kind}_{lang}") or words["direction"][f"handover_{lang}"]
        direction = template.format(
            governance=r.get(f"governance_{lang}") or "",
            service_type=r.get(f"service_type_{lang}") or "",
            logics=", ".join(logic_names.get(x, x).lower() for x in r.get("logics") or []) or "-",
        )
    return dict(
        field_name=", ".join(fields[k][f"name_{lang}"] for k in keys) or r.get("name") or r["function"],
        coproduction_types=types,
        coproduction_why=why,
        actors=actors,
        instruments=instruments,
        cases=cases,
        phases_text=phases,
        risks_text=memo(
            ("risks", kind, bool(allowed), lang, r.get("governs"), *keys),
            lambda: _risks(csv("risks.csv"), kind, keys, bool(allowed), lang, r.get("governs")),
        ),
        direction=direction,
        delegation_why=delegation.get(f"why_{lang}") or "",
        regional_law=f"legge regionale di riordino: {laws['reallocation']}"
        if "reallocation" in laws
        else "L. 56/2014 art. 1 c. 89",
    )


def _split_direction(r: dict, catalogue: PlanCatalogue, lang: str) -> str:
    """Each programme of the mission with its status and the kind of plan that status calls for."""
    kinds, statuses = catalogue.plan_kinds(), catalogue.status_labels[lang]
    rows = [p for p in catalogue.programme_statuses(r["body"]) if p["programme"].startswith(f"{r['function']}.")]
    return "; ".join(
        f"{p['programme']} {p['name']} ({statuses.get(p['status'], p['status'])}): "
        f"{kinds[catalogue.status_plans.get(p['status'], 'development')][f'label_{lang}']}"
        for p in rows
    )
