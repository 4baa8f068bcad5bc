"""Glue for the restructuring plans: the priority functions of a ranked portfolio become development projects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from string import Template

import polars as pl
import yaml

from dashboards.words import label
from sources.catalogues import status_labels, status_plans
from sources.reference import DATA_DIR
from transforms import plans as tplans
from transforms import strategy as tstrategy
from transforms.amounts import format_euro

PLANS_DIR = DATA_DIR / "plans"
UNKNOWN = "dato da rilevare"
MONTHS = {"it": "mesi", "en": "months"}
MISSION_ONLY = {"it": "Dati solo per missione, che comprende più campi: con il dettaglio per programma il piano si concentra su uno.",
                "en": "Mission-level data only, covering several fields: with programme detail the plan focuses on one."}
STRATEGY_DIR = DATA_DIR / "strategy"


@cache
def plan_config() -> dict:
    return yaml.safe_load((PLANS_DIR / "plans.yaml").read_text(encoding="utf-8"))


@cache
def _csv(name: str) -> pl.DataFrame:
    return pl.read_csv(PLANS_DIR / name, infer_schema=False)


@cache
def mission_words() -> dict:
    """First step, direction and effect words of a plan for a function given only as a mission total."""
    return yaml.safe_load((PLANS_DIR / "mission_level.yaml").read_text(encoding="utf-8"))


@cache
def _rules() -> list[dict]:
    return yaml.safe_load((PLANS_DIR / "response_rules.yaml").read_text(encoding="utf-8"))


@cache
def _strategy(name: str) -> pl.DataFrame:
    return pl.read_csv(STRATEGY_DIR / name, infer_schema=False)


def field_catalogue() -> pl.DataFrame:
    return _strategy("fields.csv")


def labelled_modes(lang: str = "it") -> pl.DataFrame:
    """Delivery modes per field with the mode's name in words (never the internal key)."""
    names = _strategy("modes.csv")
    return _strategy("delivery_modes.csv").join(names.select("mode", pl.col(f"label_{lang}").alias("_label")), on="mode", how="left").with_columns(
        mode=pl.col("_label")).drop("_label")


@dataclass
class Plans:
    projects: pl.DataFrame     # one row per plan: development (priority functions) or hand-over (transferred, delegated)
    projection: pl.DataFrame   # baseline vs with-plan spending for the next three years
    kpis: pl.DataFrame         # field indicators (baseline "dato da rilevare" until the body gives it) and financial ratios


def _pct(value) -> str:
    return "n.d." if value is None else f"{value:.0%}".replace(".", ",")


def _labels(codes: str | None, table: pl.DataFrame, key: str, lang: str, cite: bool = False) -> str:
    wanted = [c for c in (codes or "").split(";") if c]
    rows = {r[key]: r for r in table.iter_rows(named=True)}
    return "; ".join(f"{rows[c][f'label_{lang}']}" + (f" ({rows[c]['citation']})" if cite else "") for c in wanted if c in rows)


def handover_candidates(matrix: pl.DataFrame, ranked: pl.DataFrame) -> pl.DataFrame:
    """Transferred and delegated functions with real spending that the ranking left out (not own-funded)."""
    candidates = matrix.filter(tstrategy.plan_kind(status_plans()) == "handover", pl.col("kind") == "service",
                               ~pl.col("not_classified").fill_null("").is_in(["negligible", "technical", "regions_only"]),
                               pl.col("total_cents") > 0)
    return candidates.join(ranked.select("body", "year", "phase", "function"), on=["body", "year", "phase", "function"], how="anti")


def build_plans(ranked: pl.DataFrame, config: dict | None = None, lang: str = "it", effect_scale: float = 1.0,
                logic_scale: dict[str, float] | None = None, texts: bool = True, matrix: pl.DataFrame | None = None) -> Plans:
    """Development plans for the functions in ``plan_tiers`` that the body owns; hand-over plans for transferred and
    delegated ones (ranked ones in those tiers, and every one of ``matrix`` the ranking left out). Scenarios scale the
    expected effects (all, or per response logic)."""
    config = config or plan_config()
    chosen = ranked.filter(pl.col("tier").is_in(config["plan_tiers"]))
    if matrix is not None and matrix.height:
        chosen = pl.concat([chosen, handover_candidates(matrix, ranked)], how="diagonal_relaxed")
    chosen = tstrategy.with_field(chosen, field_catalogue()).with_columns(
        plan_kind=tstrategy.plan_kind(status_plans()),
        operating_cents=pl.col("operating_share") * pl.col("total_cents"),
        transfer_cents=pl.col("transfer_share") * pl.col("total_cents"),
    )
    projects = tplans.positions(chosen, _csv("quadrant_plans.csv"), _csv("bovaird_grid.csv"), field_catalogue(), lang)
    projects = tplans.response_logics(projects, _rules(), lang).with_columns(
        logics=pl.when(pl.col("plan_kind") == "development").then(pl.col("logics")).otherwise(pl.lit([], dtype=pl.List(pl.String))))
    effects = _csv("effects.csv").with_columns(
        pl.col("low").cast(pl.Float64) * pl.col("logic").replace_strict(logic_scale or {}, default=1.0, return_dtype=pl.Float64) * effect_scale,
        pl.col("high").cast(pl.Float64) * pl.col("logic").replace_strict(logic_scale or {}, default=1.0, return_dtype=pl.Float64) * effect_scale,
    )
    projects = tplans.expected_effect(projects, effects)
    projects = tplans.kick_start(projects, config["kick_start_share"], config["kick_start_min_eur"], config["kick_start_max_eur"]).with_columns(
        kick_start_cents=pl.when(pl.col("plan_kind") == "development").then(pl.col("kick_start_cents")).otherwise(0))
    projects = tplans.detail_first(projects)
    if not texts:  # a scenario needs the projection only: no words, no indicators
        return Plans(projects, tplans.projection(projects, config["adoption"]), _kpis(projects.clear(), lang))
    other = "en" if lang == "it" else "it"  # both languages stored: the workbook is written in either
    projects = projects.with_columns(**_field_parts(projects, lang), **{f"{k}_{other}": v for k, v in _field_parts(projects, other).items()})
    kpis = _kpis(projects, lang)
    kpi_rows: dict[tuple, list[dict]] = {}
    for k in kpis.iter_rows(named=True):
        kpi_rows.setdefault((k["body"], k["year"], k["function"]), []).append(k)
    projects = projects.with_columns(
        dup_text=pl.Series([_dup_text(r, effects, kpi_rows.get((r["body"], r["year"], r["function"]), []), lang)
                            for r in projects.iter_rows(named=True)], dtype=pl.String)
    )
    return Plans(projects, tplans.projection(projects, config["adoption"]), kpis)


def _field_parts(projects: pl.DataFrame, lang: str) -> dict[str, pl.Series]:
    """The field-specific parts of every plan, in words: co-production types with why, actors, instruments with their
    citation, cases, phases (AICCON, or hand-over steps), risks with mitigations."""
    fields = {r["field"]: r for r in field_catalogue().iter_rows(named=True)}
    actors = _strategy("actors.csv")
    risks = _csv("risks.csv")
    names = ("field_name", "coproduction_types", "coproduction_why", "actors", "instruments", "cases", "phases_text", "risks_text",
             "direction")
    parts: dict[str, list] = {k: [] for k in names}
    actors_of: dict[tuple, list[dict]] = {}
    for a in actors.iter_rows(named=True):
        actors_of.setdefault((a["scope"], a["key"]), []).append(a)
    done: dict[tuple, tuple] = {}  # the parts depend on the fields, the programme and the kind only: computed once each
    for r in projects.iter_rows(named=True):
        key = (tuple(r["fields"] or []), r["field"], r["function"], r["plan_kind"], r.get("name"), bool(r.get("coarse")),
               r.get("quadrant"), tuple(r.get("logics") or []))
        if key not in done:
            done[key] = _parts_of(r, fields, actors_of, risks, lang)
        for name, value in zip(names, done[key]):
            parts[name].append(value)
    return {k: pl.Series(v, dtype=pl.String) for k, v in parts.items()}


def _parts_of(r: dict, fields: dict, actors_of: dict, risks: pl.DataFrame, lang: str) -> tuple:
    """One plan's field-specific parts, in the order of ``_field_parts``'s names."""
    keys = [k for k in (r["fields"] or []) if k in fields]
    f = fields.get(r["field"]) or {}
    develop = r["plan_kind"] == "development"
    merged = {col: ";".join(dict.fromkeys(c for k in keys for c in fields[k][col].split(";")))
              for col in ("coproduction_types", "instruments", "cases")}
    field_name = ", ".join(fields[k][f"name_{lang}"] for k in keys) or r.get("name") or r["function"]
    types = _labels(merged["coproduction_types"], _csv("coproduction_types.csv"), "type", lang) if develop else ""
    why = f.get(f"why_{lang}") or "" if len(keys) < 2 else (MISSION_ONLY[lang] + " " + "; ".join(
        f"«{fields[k][f'name_{lang}']}»: {fields[k][f'why_{lang}']}" for k in keys))
    own = [a for k in keys for a in actors_of.get(("field", k), [])] + actors_of.get(("programme", r["function"]), [])
    actors = "; ".join(f"{a['actor' if lang == 'it' else 'actor_en']} ({a[f'resources_{lang}']}: {a[f'delivery_mode_{lang}']})" for a in own)
    instruments = _labels(merged["instruments"], _csv("instruments.csv"), "instrument", lang, cite=True)
    cases = _labels(merged["cases"], _csv("cases.csv"), "case", lang) if develop else ""
    if develop:
        steps = [Template(p[f"description_{lang}"]).safe_substitute(pilot=f.get(f"pilot_{lang}") or "", instruments=instruments)
                 for p in _csv("phases.csv").iter_rows(named=True)]
        phases = "; ".join(f"{p[f'label_{lang}']} ({p['months_from']}-{p['months_to']} {MONTHS[lang]}, {p[f'owner_{lang}']}): {s}"
                           for p, s in zip(_csv("phases.csv").iter_rows(named=True), steps))
    else:
        phases = "; ".join(f"{s[f'label_{lang}']} ({s['months_from']}-{s['months_to']} {MONTHS[lang]}): {s[f'description_{lang}']}"
                           for s in _csv("handover_steps.csv").iter_rows(named=True))
    mine = risks.filter((pl.col("scope") == "all") | pl.col("key").is_in(keys))
    risks_text = "; ".join(f"{x[f'label_{lang}']} ({x[f'mitigation_{lang}']})" for x in mine.iter_rows(named=True))
    direction = ""
    if r.get("coarse"):  # a mission total: first get programme detail; a direction, no euro
        words = mission_words()
        phases = f"{_first_step(lang)}; {phases}"
        logic_names = dict(zip(_csv("response_logics.csv")["code"], _csv("response_logics.csv")[f"name_{lang}"]))
        direction = words["direction"][f"{r['plan_kind']}_{lang}"].format(
            governance=r.get(f"governance_{lang}") or "", service_type=r.get(f"service_type_{lang}") or "",
            logics=", ".join(logic_names.get(x, x).lower() for x in r.get("logics") or []) or "-")
    return field_name, types, why, actors, instruments, cases, phases, risks_text, direction


def _first_step(lang: str) -> str:
    step = mission_words()["first_step"]
    return f"{step[f'label_{lang}']} ({step['months_from']}-{step['months_to']} {MONTHS[lang]}): {step[f'description_{lang}']}"


def _kpis(projects: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Field indicators first (output, outcome; baseline unknown until the body gives it), financial ratios beside them."""
    field_kpis = _csv("field_kpis.csv")
    financial = _csv("kpis.csv")
    rows = []
    by_field: dict[str, list[dict]] = {}
    for kpi in field_kpis.iter_rows(named=True):
        by_field.setdefault(kpi["field"], []).append(kpi)
    financial_rows = list(financial.iter_rows(named=True))
    for project in projects.iter_rows(named=True):
        for kpi in (k for f in dict.fromkeys(project["fields"] or []) for k in by_field.get(f, [])):
            rows.append({"body": project["body"], "year": project["year"], "function": project["function"], "kpi": kpi["kpi"],
                         "kind": kpi["kind"], "label": kpi[f"label_{lang}"], "label_en": kpi["label_en"], "unit": kpi["unit"], "baseline": None,
                         "format": "unit", "direction": kpi["direction"], "data_needed": kpi[f"data_needed_{lang}"],
                         "data_needed_en": kpi["data_needed_en"]})
        for kpi in financial_rows:
            rows.append({"body": project["body"], "year": project["year"], "function": project["function"], "kpi": kpi["kpi"],
                         "kind": "financial", "label": kpi[f"label_{lang}"], "label_en": kpi["label_en"],
                         "unit": "€" if kpi["format"] == "eur" else "%",
                         "baseline": project.get(kpi["column"]), "format": kpi["format"], "direction": kpi["direction"],
                         "data_needed": kpi[f"data_needed_{lang}"], "data_needed_en": kpi["data_needed_en"]})
    schema = {"body": pl.String, "year": pl.Int32, "function": pl.String, "kpi": pl.String, "kind": pl.String, "label": pl.String,
              "label_en": pl.String, "unit": pl.String, "baseline": pl.Float64, "format": pl.String, "direction": pl.String, "data_needed": pl.String,
              "data_needed_en": pl.String}
    return pl.DataFrame(rows, schema=schema)




def _sentence(text: str | None) -> str:
    text = (text or "").strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".") if text else ""


def _kpi_text(k: dict) -> str:
    if k["baseline"] is None:
        return f"{k['label']} ({k['unit']}): {UNKNOWN} ({k['data_needed']})"
    value = format_euro(round(k["baseline"] * 100)) if k["format"] == "eur" else _pct(k["baseline"])
    return f"{k['label']}: {value}"


def _dup_text(row: dict, effects: pl.DataFrame, own: list[dict], lang: str) -> str:
    """Text ready to paste into the body's DUP (Documento Unico di Programmazione), from the plan's own parts."""
    names = dict(zip(_csv("response_logics.csv")["code"], _csv("response_logics.csv")[f"name_{lang}"]))
    assumptions = [r[f"assumption_{lang}"] for r in effects.iter_rows(named=True) if r["logic"] in row["logics"]]
    common = dict(
        name=row.get("name") or row["function"], function=row["function"], year=row["year"], spending=format_euro(row["total_cents"]),
        per_capita=format_euro(round((row.get("per_capita_eur") or 0) * 100)), actors=row["actors"], instruments=row["instruments"],
        risks=row["risks_text"], kpis="; ".join(_kpi_text(k) for k in own if k["kind"] != "financial"),
        verb="ha impegnato" if row["phase"] == "rendiconto" else "prevede di spendere",
    )
    if row["plan_kind"] == "handover":
        level = int(row.get("own_funding") or 0)
        funding = ("Non risulta spesa a carico del bilancio proprio: va verificato nella ricognizione quanto è coperto da trasferimenti."
                   if level == 0 else
                   f"L'ente dichiara di finanziarne con risorse proprie una quota {['', 'marginale', 'rilevante', 'totale'][level]}: "
                   "per questo la funzione entra nella graduatoria delle priorità.")
        template = Template((PLANS_DIR / "handover_it.txt").read_text(encoding="utf-8"))
        return template.safe_substitute(**common, status_word=status_labels("it").get(row["status"], ""), status_source=row.get("status_source") or "",
                                        funding=funding, steps=row["phases_text"])
    if row.get("coarse"):  # a mission total: the first step, a direction, no euro effects
        template = Template((PLANS_DIR / "dup_mission_it.txt").read_text(encoding="utf-8"))
        return template.safe_substitute(**common, share=_pct(row.get("share_of_body")), service_type=row.get("service_type_it"),
                                        first_step=_sentence(_first_step("it"))[:-1], direction=_sentence(row["direction"])[:-1],
                                        field_name=row["field_name"], why=_sentence(row["coproduction_why"]),
                                        phases=row["phases_text"].removeprefix(_first_step("it") + "; "), effect=_sentence(label("mission_effect", "it"))[:-1])
    template = Template((PLANS_DIR / "dup_it.txt").read_text(encoding="utf-8"))
    return template.safe_substitute(
        **common, share=_pct(row.get("share_of_body")), rigid=_pct(row.get("rigid_share")), transfer=_pct(row.get("transfer_share")),
        service_type=row.get("service_type_it"), authority=f"{row['authority']:.2f}".replace(".", ","), governance=row.get("governance_it"),
        current_position=row.get("current_position"), target_position=row.get("target_position"),
        field_name=row["field_name"], why=_sentence(row["coproduction_why"]),
        logics=", ".join(names[code].lower() for code in row["logics"]), logic_reasons=row.get("logic_reasons") or "",
        coproduction=row["coproduction_types"], cases=row["cases"] or "nessuna esperienza dei materiali di riferimento per questo campo",
        phases=row["phases_text"], kick_start=format_euro(row["kick_start_cents"]),
        financial="; ".join(_kpi_text(k) for k in own if k["kind"] == "financial"),
        effect_low=format_euro(row["effect_low_cents"]), effect_high=format_euro(row["effect_high_cents"]),
        assumptions="; ".join(assumptions),
    )
