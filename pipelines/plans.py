"""Glue for the restructuring plans: the priority functions of a ranked portfolio become development projects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from string import Template

import polars as pl
import yaml

from sources.reference import DATA_DIR
from transforms import plans as tplans
from transforms.amounts import format_euro

PLANS_DIR = DATA_DIR / "plans"


@cache
def plan_config() -> dict:
    return yaml.safe_load((PLANS_DIR / "plans.yaml").read_text(encoding="utf-8"))


@cache
def _csv(name: str) -> pl.DataFrame:
    return pl.read_csv(PLANS_DIR / name, infer_schema=False)


@cache
def _rules() -> list[dict]:
    return yaml.safe_load((PLANS_DIR / "response_rules.yaml").read_text(encoding="utf-8"))


@dataclass
class Plans:
    projects: pl.DataFrame     # one row per priority function: positions, logics, effect, kick-start, DUP text
    projection: pl.DataFrame   # baseline vs with-plan spending for the next three years
    kpis: pl.DataFrame         # indicators with today's baseline
    phases: pl.DataFrame
    risks: pl.DataFrame


def _pct(value) -> str:
    return "n.d." if value is None else f"{value:.0%}".replace(".", ",")


def build_plans(ranked: pl.DataFrame, config: dict | None = None, lang: str = "it", effect_scale: float = 1.0,
                logic_scale: dict[str, float] | None = None, texts: bool = True) -> Plans:
    """Plans for the functions in ``plan_tiers``. Scenarios scale the expected effects (all, or per response logic)."""
    config = config or plan_config()
    chosen = ranked.filter(pl.col("tier").is_in(config["plan_tiers"])).with_columns(
        operating_cents=pl.col("operating_share") * pl.col("total_cents"),
        transfer_cents=pl.col("transfer_share") * pl.col("total_cents"),
        coproduced_share=pl.lit(0.0),
    )
    projects = tplans.positions(chosen, _csv("quadrant_plans.csv"), _csv("bovaird_grid.csv"), lang)
    projects = tplans.response_logics(projects, _rules(), lang)
    effects = _csv("effects.csv").with_columns(
        pl.col("low").cast(pl.Float64) * pl.col("logic").replace_strict(logic_scale or {}, default=1.0, return_dtype=pl.Float64) * effect_scale,
        pl.col("high").cast(pl.Float64) * pl.col("logic").replace_strict(logic_scale or {}, default=1.0, return_dtype=pl.Float64) * effect_scale,
    )
    projects = tplans.expected_effect(projects, effects)
    projects = tplans.kick_start(projects, config["kick_start_share"], config["kick_start_min_eur"], config["kick_start_max_eur"])
    kpis = _kpis(projects, lang)
    if texts:
        kpi_rows: dict[tuple, list[dict]] = {}
        for k in kpis.iter_rows(named=True):
            kpi_rows.setdefault((k["body"], k["year"], k["function"]), []).append(k)
        projects = projects.with_columns(
            dup_text=pl.Series([_dup_text(r, effects, kpi_rows.get((r["body"], r["year"], r["function"]), []), lang)
                                for r in projects.to_dicts()], dtype=pl.String)
        )
    risks = _csv("risks.csv")
    return Plans(projects, tplans.projection(projects, config["adoption"]), kpis, _csv("phases.csv"), risks)


def _kpis(projects: pl.DataFrame, lang: str) -> pl.DataFrame:
    table = _csv("kpis.csv")
    rows = []
    for project in projects.iter_rows(named=True):
        for kpi in table.iter_rows(named=True):
            rows.append({"body": project["body"], "year": project["year"], "function": project["function"], "kpi": kpi["kpi"],
                         "label": kpi[f"label_{lang}"], "baseline": project.get(kpi["column"]), "format": kpi["format"],
                         "direction": kpi["direction"]})
    schema = {"body": pl.String, "year": pl.Int32, "function": pl.String, "kpi": pl.String, "label": pl.String,
              "baseline": pl.Float64, "format": pl.String, "direction": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _dup_text(row: dict, effects: pl.DataFrame, own: list[dict], lang: str) -> str:
    """Text ready to paste into the body's DUP (Documento Unico di Programmazione)."""
    names = dict(zip(_csv("response_logics.csv")["code"], _csv("response_logics.csv")[f"name_{lang}"]))
    assumptions = [r[f"assumption_{lang}"] for r in effects.iter_rows(named=True) if r["logic"] in row["logics"]]
    kpi_text = "; ".join(
        f"{k['label']}: {format_euro(round(k['baseline'] * 100)) if k['format'] == 'eur' and k['baseline'] is not None else _pct(k['baseline'])}"
        for k in own
    )
    template = Template((PLANS_DIR / "dup_it.txt").read_text(encoding="utf-8"))
    return template.safe_substitute(
        name=row.get("name") or row["function"], function=row["function"], year=row["year"],
        spending=format_euro(row["total_cents"]), per_capita=format_euro(round((row.get("per_capita_eur") or 0) * 100)),
        share=_pct(row.get("share_of_body")), rigid=_pct(row.get("rigid_share")), transfer=_pct(row.get("transfer_share")),
        service_type=row.get("service_type_it"), authority=f"{row['authority']:.2f}".replace(".", ","), governance=row.get("governance_it"),
        current_position=row.get("current_position"), target_position=row.get("target_position"),
        logics=", ".join(names[code].lower() for code in row["logics"]), logic_reasons=row.get("logic_reasons") or "",
        coproduction=row.get("coproduction_types_it"), instrument=row.get("instrument_it"), examples=row.get("examples"),
        kick_start=format_euro(row["kick_start_cents"]), kpis=kpi_text,
        verb="ha impegnato" if row["phase"] == "rendiconto" else "prevede di spendere",
        effect_low=format_euro(row["effect_low_cents"]), effect_high=format_euro(row["effect_high_cents"]),
        assumptions="; ".join(assumptions), risks="; ".join(_csv("risks.csv")["label_it"]).lower(),
    )
