"""Glue for the restructuring plans: the priority functions of a ranked portfolio become plans of the kind their legal
status calls for (``plan_kinds.csv``): development or maintain (retained), governing the delegation (delegated by the
Region), hand-over (transferred), split (a mission whose programmes differ in status)."""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

import polars as pl

from pipelines.plan_catalogue import (  # noqa: F401  (re-exported: stages, report and tests import them from here)
    PLANS_DIR,
    _csv,
    _strategy,
    consistency,
    delegations,
    field_catalogue,
    labelled_modes,
    maintain_governs,
    mission_words,
    plan_config,
    plan_kinds,
    programme_statuses,
    regional_laws,
    response_rules,
)
from pipelines.plan_texts import MONTHS, dup_text, first_step
from sources.catalogues import status_labels, status_plans
from transforms import plan_rules
from transforms import plans as tplans
from transforms import strategy as tstrategy
from transforms.plan_rules import for_region

MISSION_ONLY = {
    "it": "Dati solo per missione, che comprende più campi: con il dettaglio per programma il piano si concentra su uno.",
    "en": "Mission-level data only, covering several fields: with programme detail the plan focuses on one.",
}
KEYS = ["body", "year", "phase", "function"]


@dataclass
class Plans:
    projects: pl.DataFrame  # one row per plan, of the kind its status calls for
    projection: pl.DataFrame  # baseline vs with-plan spending for the next three years
    kpis: pl.DataFrame  # field indicators (baseline "dato da rilevare" until the body gives it) and financial ratios


def _labels(codes: str | None, table: pl.DataFrame, key: str, lang: str, cite: bool = False) -> str:
    wanted = [c for c in (codes or "").split(";") if c]
    rows = {r[key]: r for r in table.iter_rows(named=True)}
    return "; ".join(
        f"{rows[c][f'label_{lang}']}" + (f" ({rows[c]['citation']})" if cite else "") for c in wanted if c in rows
    )


def handover_candidates(matrix: pl.DataFrame, ranked: pl.DataFrame) -> pl.DataFrame:
    """Transferred and delegated functions with real spending that the ranking left out (not own-funded)."""
    candidates = matrix.filter(
        tstrategy.plan_kind(status_plans()).is_in(["handover", "delegation"]),
        pl.col("kind") == "service",
        ~pl.col("not_classified").fill_null("").is_in(["negligible", "technical", "regions_only"]),
        pl.col("total_cents") > 0,
    )
    return candidates.join(ranked.select(KEYS), on=KEYS, how="anti")


def _with_kind(chosen: pl.DataFrame) -> pl.DataFrame:
    rules = consistency()["pass_through"]
    through = plan_rules.pass_through(rules)
    why = pl.coalesce([pl.when(plan_rules.pass_through([r])).then(pl.lit(r["because_it"])) for r in rules])
    governs = pl.coalesce(
        [pl.when(plan_rules.pass_through([r])).then(pl.lit(r.get("governs", "grants"))) for r in rules]
    )
    chosen = chosen.with_columns(
        plan_kind=plan_rules.plan_kind(status_plans(), through), pass_through_why=why, governs=governs
    )
    return chosen.with_columns(
        plan_kind=pl.Series(
            [_one_kind(r) for r in chosen.select("body", "function", "plan_kind").iter_rows(named=True)],
            dtype=pl.String,
        )
    )


def _one_kind(r: dict) -> str:
    """A mission marked mixed whose pertinent programmes all call for one kind of plan gets that kind, not a split
    (mission 10 of a province: 10.01 rail is not the body's, every other programme is retained)."""
    if r["plan_kind"] != "split":
        return r["plan_kind"]
    kinds = {
        status_plans().get(p["status"])
        for p in programme_statuses(r["body"])
        if p["programme"].startswith(f"{r['function']}.")
    }
    return kinds.pop() if len(kinds) == 1 else "split"


def build_plans(
    ranked: pl.DataFrame,
    config: dict | None = None,
    lang: str = "it",
    effect_scale: float = 1.0,
    logic_scale: dict[str, float] | None = None,
    texts: bool = True,
    matrix: pl.DataFrame | None = None,
) -> Plans:
    """Plans for the functions in ``plan_tiers`` and, from ``matrix``, for every transferred or delegated function the
    ranking left out. Only development plans propose response logics, effects and kick-start resources; scenarios scale
    the expected effects (all, or per response logic)."""
    config = config or plan_config()
    chosen = ranked.filter(pl.col("tier").is_in(config["plan_tiers"]))
    if matrix is not None and matrix.height:
        chosen = pl.concat([chosen, handover_candidates(matrix, ranked)], how="diagonal_relaxed")
    for column in ("full_cents", "revenue_cents", "cost_recovery", "coarse", "status_source"):
        if column not in chosen.columns:
            chosen = chosen.with_columns(pl.lit(None).alias(column))
    chosen = _with_kind(tstrategy.with_field(chosen, field_catalogue())).with_columns(
        operating_cents=pl.col("operating_share") * pl.col("total_cents"),
        transfer_cents=pl.col("transfer_share") * pl.col("total_cents"),
    )
    develop = pl.col("plan_kind") == "development"
    projects = tplans.positions(chosen, _csv("quadrant_plans.csv"), _csv("bovaird_grid.csv"), field_catalogue(), lang)
    projects = tplans.response_logics(projects, response_rules(), lang).with_columns(
        logics=pl.when(develop).then(pl.col("logics")).otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )
    effects = _csv("effects.csv").with_columns(
        pl.col("low").cast(pl.Float64)
        * pl.col("logic").replace_strict(logic_scale or {}, default=1.0, return_dtype=pl.Float64)
        * effect_scale,
        pl.col("high").cast(pl.Float64)
        * pl.col("logic").replace_strict(logic_scale or {}, default=1.0, return_dtype=pl.Float64)
        * effect_scale,
    )
    projects = tplans.expected_effect(projects, effects)
    projects = tplans.kick_start(
        projects, config["kick_start_share"], config["kick_start_min_eur"], config["kick_start_max_eur"]
    ).with_columns(kick_start_cents=pl.when(develop).then(pl.col("kick_start_cents")).otherwise(0))
    projects = tplans.detail_first(projects)
    if not texts:  # a scenario needs the projection only: no words, no indicators
        return Plans(projects, tplans.projection(projects, config["adoption"]), _kpis(projects.clear(), lang))
    other = "en" if lang == "it" else "it"  # both languages stored: the workbook is written in either
    projects = projects.with_columns(
        **_field_parts(projects, lang), **{f"{k}_{other}": v for k, v in _field_parts(projects, other).items()}
    )
    kpis = _kpis(projects, lang)
    kpi_rows: dict[tuple, list[dict]] = {}
    for k in kpis.iter_rows(named=True):
        kpi_rows.setdefault((k["body"], k["year"], k["function"]), []).append(k)
    projects = projects.with_columns(
        dup_text=pl.Series(
            [
                dup_text(r, effects, kpi_rows.get((r["body"], r["year"], r["function"]), []), lang)
                for r in projects.iter_rows(named=True)
            ],
            dtype=pl.String,
        )
    ).drop("pass_through_why", "governs", "delegation_why", "regional_law")
    return Plans(projects, tplans.projection(projects, config["adoption"]), kpis)


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


def _field_parts(projects: pl.DataFrame, lang: str) -> dict[str, pl.Series]:
    """The field-specific parts of every plan, in words: co-production types with why, actors, instruments with their
    citation, cases, phases or steps of the plan's kind, risks of the kind (co-production risks only with co-production)."""
    fields = {r["field"]: r for r in field_catalogue().iter_rows(named=True)}
    names = PARTS + (HELPERS if lang == "it" else ())
    parts: dict[str, list] = {k: [] for k in names}
    done: dict[
        tuple, tuple
    ] = {}  # the parts depend on the fields, the programme, the kind and the body: computed once each
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
            done[key] = _parts_of(r, fields, lang)
        for name in names:
            parts[name].append(done[key][name])
    return {k: pl.Series(v, dtype=pl.String) for k, v in parts.items()}


def _steps(name: str, lang: str, allowed: str = "") -> str:
    rows = [s for s in _csv(name).iter_rows(named=True) if s.get("when", "always") != "coproduction" or allowed]
    return "; ".join(
        f"{s[f'label_{lang}']} ({s['months_from']}-{s['months_to']} {MONTHS[lang]}): "
        f"{Template(s[f'description_{lang}']).safe_substitute(allowed=allowed)}"
        for s in rows
    )


def _risks(kind: str, keys: list[str], coproduces: bool, lang: str, governs: str | None = None) -> str:
    """The risks of the plan's kind (``risks.csv``): general, of the kind, of its fields, of what a maintained function
    governs (grants or a service contract); those about co-production only where co-production is proposed."""
    scope = pl.col("scope")
    risks = _csv("risks.csv").filter(
        pl.col("plan_kinds").str.split(";").list.contains(kind),
        (scope == "all")
        | (scope == "kind")
        | ((scope == "field") & pl.col("key").is_in(keys))
        | ((scope == "pass_through") & (pl.col("key") == (governs or "grants"))),
        (pl.col("when") == "always") | pl.lit(coproduces),
    )
    return "; ".join(f"{x[f'label_{lang}']} ({x[f'mitigation_{lang}']})" for x in risks.iter_rows(named=True))


def _fitting(name: str, key: str, fields: list[str]) -> str:
    """The catalogue rows (cases, instruments) whose ``fields`` include one of the plan's fields, in catalogue order."""
    table = _csv(name)
    return ";".join(table.filter(pl.col("fields").str.split(";").list.set_intersection(fields).list.len() > 0)[key])


def _actors_of(body: str) -> dict[tuple, list[dict]]:
    """Actors by (scope, key), with the regional rows of the body's own region only."""
    out: dict[tuple, list[dict]] = {}
    for a in for_region(
        _strategy("actors.csv"), regional_laws(body), ("delivery_mode_it", "delivery_mode_en")
    ).iter_rows(named=True):
        out.setdefault((a["scope"], a["key"]), []).append(a)
    return out


def _instruments_for(kind: str, coproduces: bool, laws: dict[str, str]) -> pl.DataFrame:
    """The instruments a plan of ``kind`` may cite (``instruments.csv`` › ``plan_kinds``): a body does not co-design a
    function it hands over; co-production instruments only where co-production is proposed."""
    rows = _csv("instruments.csv").filter(
        pl.col("plan_kinds").str.split(";").list.contains(kind), (pl.col("coproduction") != "true") | pl.lit(coproduces)
    )
    return for_region(rows, laws, ("citation",))


def _actors_text(r: dict, keys: list[str], actors_of: dict, kind: str, coproduces: bool, lang: str) -> str:
    """The field's and programme's actors that fit the plan's kind (``actors.csv`` › ``plan_kinds``), each once; a delegation
    names the Region first; a hand-over with no actor of its field names the function's holder."""
    own = [a for k in keys for a in actors_of.get(("field", k), [])] + actors_of.get(("programme", r["function"]), [])
    own = [a for a in own if kind in (a.get("plan_kinds") or "").split(";")]
    if kind == "delegation" and not coproduces:
        own = [
            a for a in own if "delegation" in a["plan_kinds"] and "maintain" in a["plan_kinds"]
        ]  # institutional only
    if kind == "delegation" or (kind == "handover" and not own):
        own = actors_of.get(("kind", kind), []) + own
    unique = {a["actor"]: a for a in own}.values()  # a mission's fields can share an actor: named once
    return "; ".join(
        f"{a['actor' if lang == 'it' else 'actor_en']} ({a[f'resources_{lang}']}: {a[f'delivery_mode_{lang}']})"
        for a in unique
    )


def _parts_of(r: dict, fields: dict, lang: str) -> dict:
    """One plan's parts, named as in ``PARTS`` (and ``HELPERS``)."""
    laws = regional_laws(r["body"])
    actors_of = _actors_of(r["body"])
    keys = [k for k in (r["fields"] or []) if k in fields]
    f = fields.get(r["field"]) or {}
    kind = r["plan_kind"]
    merged = {
        "coproduction_types": ";".join(
            dict.fromkeys(c for k in keys for c in fields[k]["coproduction_types"].split(";"))
        ),
        "instruments": _fitting("instruments.csv", "instrument", keys),
        "cases": _fitting("cases.csv", "case", keys),
    }
    delegation = delegations().get(r["function"]) or {}
    allowed = plan_rules.allowed_types(merged["coproduction_types"], delegation.get("coproduction_types"), kind)
    types = _labels(allowed, _csv("coproduction_types.csv"), "type", lang)
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
    instruments = _labels(
        merged["instruments"], _instruments_for(kind, bool(allowed), laws), "instrument", lang, cite=True
    )
    cases = _labels(merged["cases"], _csv("cases.csv"), "case", lang) if allowed else ""
    direction = ""
    if kind == "development":
        steps = [
            Template(p[f"description_{lang}"]).safe_substitute(
                pilot=f.get(f"pilot_{lang}") or "", instruments=instruments
            )
            for p in _csv("phases.csv").iter_rows(named=True)
        ]
        phases = "; ".join(
            f"{p[f'label_{lang}']} ({p['months_from']}-{p['months_to']} {MONTHS[lang]}, {p[f'owner_{lang}']}): {s}"
            for p, s in zip(_csv("phases.csv").iter_rows(named=True), steps)
        )
    elif kind == "split":
        phases, direction = first_step(lang), _split_direction(r, lang)
    elif kind == "maintain":
        phases = _steps(maintain_governs()[r.get("governs") or "grants"]["steps"], lang)
    else:
        phases = _steps(plan_kinds()[kind]["steps"], lang, types)
    if r.get("coarse") and kind != "split":  # a mission total: first get programme detail; a direction, no euro
        words = mission_words()
        phases = f"{first_step(lang)}; {phases}"
        logic_names = dict(zip(_csv("response_logics.csv")["code"], _csv("response_logics.csv")[f"name_{lang}"]))
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
        risks_text=_risks(kind, keys, bool(allowed), lang, r.get("governs")),
        direction=direction,
        delegation_why=delegation.get(f"why_{lang}") or "",
        regional_law=f"legge regionale di riordino: {laws['reallocation']}"
        if "reallocation" in laws
        else "L. 56/2014 art. 1 c. 89",
    )


def _split_direction(r: dict, lang: str) -> str:
    """Each programme of the mission with its status and the kind of plan that status calls for."""
    kinds, statuses = plan_kinds(), status_labels(lang)
    rows = [p for p in programme_statuses(r["body"]) if p["programme"].startswith(f"{r['function']}.")]
    return "; ".join(
        f"{p['programme']} {p['name']} ({statuses.get(p['status'], p['status'])}): "
        f"{kinds[status_plans().get(p['status'], 'development')][f'label_{lang}']}"
        for p in rows
    )


def _kpis(projects: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Field indicators first (output, outcome; baseline unknown until the body gives it), financial ratios beside them."""
    rows = []
    by_field: dict[str, list[dict]] = {}
    for kpi in _csv("field_kpis.csv").iter_rows(named=True):
        by_field.setdefault(kpi["field"], []).append(kpi)
    financial_rows = list(_csv("kpis.csv").iter_rows(named=True))
    for project in projects.iter_rows(named=True):
        fields = (
            ["kind:handover"] if project["plan_kind"] == "handover" else dict.fromkeys(project["fields"] or [])
        )  # a hand-over
        field_kpis = {
            k["label_it"]: k for f in fields for k in by_field.get(f, [])
        }  # measures the hand-over; a mission's
        for kpi in field_kpis.values():  # fields can share an indicator: listed once
            rows.append(
                {
                    "body": project["body"],
                    "year": project["year"],
                    "function": project["function"],
                    "kpi": kpi["kpi"],
                    "kind": kpi["kind"],
                    "label": kpi[f"label_{lang}"],
                    "label_en": kpi["label_en"],
                    "unit": kpi["unit"],
                    "baseline": None,
                    "format": "unit",
                    "direction": kpi["direction"],
                    "data_needed": kpi[f"data_needed_{lang}"],
                    "data_needed_en": kpi["data_needed_en"],
                }
            )
        for kpi in financial_rows:
            rows.append(
                {
                    "body": project["body"],
                    "year": project["year"],
                    "function": project["function"],
                    "kpi": kpi["kpi"],
                    "kind": "financial",
                    "label": kpi[f"label_{lang}"],
                    "label_en": kpi["label_en"],
                    "unit": "€" if kpi["format"] == "eur" else "%",
                    "baseline": project.get(kpi["column"]),
                    "format": kpi["format"],
                    "direction": kpi["direction"],
                    "data_needed": kpi[f"data_needed_{lang}"],
                    "data_needed_en": kpi["data_needed_en"],
                }
            )
    schema = {
        "body": pl.String,
        "year": pl.Int32,
        "function": pl.String,
        "kpi": pl.String,
        "kind": pl.String,
        "label": pl.String,
        "label_en": pl.String,
        "unit": pl.String,
        "baseline": pl.Float64,
        "format": pl.String,
        "direction": pl.String,
        "data_needed": pl.String,
        "data_needed_en": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)
