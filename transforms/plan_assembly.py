"""The restructuring plans assembled: the priority functions of a ranked portfolio become plans of the kind their
legal status calls for (``plan_kinds.csv``): development or maintain (retained), governing the delegation (delegated by
the Region), hand-over (transferred), split (a mission whose programmes differ in status).

Pure: the catalogues come in as a ``PlanCatalogue`` (``sources.plan_catalogue.plan_catalogue()`` loads them); the
parts of each plan in words are ``transforms.plan_parts``, its DUP text ``transforms.plan_texts``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms import plan_rules
from transforms import plans as tplans
from transforms import strategy as tstrategy
from transforms.plan_catalogue import PlanCatalogue
from transforms.plan_parts import field_parts
from transforms.plan_texts import dup_text

KEYS = ["body", "year", "phase", "function"]


@dataclass
class Plans:
    projects: pl.DataFrame  # one row per plan, of the kind its status calls for
    projection: pl.DataFrame  # baseline vs with-plan spending for the next three years
    kpis: pl.DataFrame  # field indicators (baseline "dato da rilevare" until the body gives it) and financial ratios


def handover_candidates(matrix: pl.DataFrame, ranked: pl.DataFrame, status_plans: dict[str, str]) -> pl.DataFrame:
    """Transferred and delegated functions with real spending that the ranking left out (not own-funded)."""
    candidates = matrix.filter(
        tstrategy.plan_kind(status_plans).is_in(["handover", "delegation"]),
        pl.col("kind") == "service",
        ~pl.col("not_classified").fill_null("").is_in(["negligible", "technical", "regions_only"]),
        pl.col("total_cents") > 0,
    )
    return candidates.join(ranked.select(KEYS), on=KEYS, how="anti")


def _with_kind(chosen: pl.DataFrame, catalogue: PlanCatalogue) -> pl.DataFrame:
    rules = catalogue.consistency["pass_through"]
    through = plan_rules.pass_through(rules)
    why = pl.coalesce([pl.when(plan_rules.pass_through([r])).then(pl.lit(r["because_it"])) for r in rules])
    governs = pl.coalesce(
        [pl.when(plan_rules.pass_through([r])).then(pl.lit(r.get("governs", "grants"))) for r in rules]
    )
    chosen = chosen.with_columns(
        plan_kind=plan_rules.plan_kind(catalogue.status_plans, through), pass_through_why=why, governs=governs
    )
    return chosen.with_columns(
        plan_kind=pl.Series(
            [_one_kind(r, catalogue) for r in chosen.select("body", "function", "plan_kind").iter_rows(named=True)],
            dtype=pl.String,
        )
    )


def _one_kind(r: dict, catalogue: PlanCatalogue) -> str:
    """A mission marked mixed whose pertinent programmes all call for one kind of plan gets that kind, not a split
    (mission 10 of a province: 10.01 rail is not the body's, every other programme is retained)."""
    if r["plan_kind"] != "split":
        return r["plan_kind"]
    kinds = {
        catalogue.status_plans.get(p["status"])
        for p in catalogue.programme_statuses(r["body"])
        if p["programme"].startswith(f"{r['function']}.")
    }
    return kinds.pop() if len(kinds) == 1 else "split"


def build_plans(
    ranked: pl.DataFrame,
    catalogue: PlanCatalogue,
    config: dict | None = None,
    lang: str = "it",
    effect_scale: float = 1.0,
    logic_scale: dict[str, float] | None = None,
    texts: bool = True,
    matrix: pl.DataFrame | None = None,
) -> Plans:
    """Plans for the functions in ``plan_tiers`` and, from ``matrix``, for every transferred or delegated function the
    ranking left out. Only development plans propose response logics, effects and kick-start resources; scenarios scale
    the expected effects (all, or per response logic); ``config`` replaces the catalogue's ``plans.yaml``."""
    config = config or catalogue.config
    csv = catalogue.csv
    chosen = ranked.filter(pl.col("tier").is_in(config["plan_tiers"]))
    if matrix is not None and matrix.height:
        chosen = pl.concat(
            [chosen, handover_candidates(matrix, ranked, catalogue.status_plans)], how="diagonal_relaxed"
        )
    for column in ("full_cents", "revenue_cents", "cost_recovery", "coarse", "status_source"):
        if column not in chosen.columns:
            chosen = chosen.with_columns(pl.lit(None).alias(column))
    chosen = _with_kind(tstrategy.with_field(chosen, catalogue.fields()), catalogue).with_columns(
        operating_cents=pl.col("operating_share") * pl.col("total_cents"),
        transfer_cents=pl.col("transfer_share") * pl.col("total_cents"),
    )
    develop = pl.col("plan_kind") == "development"
    projects = tplans.positions(chosen, csv("quadrant_plans.csv"), csv("bovaird_grid.csv"), catalogue.fields(), lang)
    projects = tplans.response_logics(projects, catalogue.response_rules, lang).with_columns(
        logics=pl.when(develop).then(pl.col("logics")).otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )
    effects = csv("effects.csv").with_columns(
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
        return Plans(
            projects, tplans.projection(projects, config["adoption"]), _kpis(projects.clear(), catalogue, lang)
        )
    other = "en" if lang == "it" else "it"  # both languages stored: the workbook is written in either
    projects = projects.with_columns(
        **field_parts(projects, catalogue, lang),
        **{f"{k}_{other}": v for k, v in field_parts(projects, catalogue, other).items()},
    )
    kpis = _kpis(projects, catalogue, lang)
    kpi_rows: dict[tuple, list[dict]] = {}
    for k in kpis.iter_rows(named=True):
        kpi_rows.setdefault((k["body"], k["year"], k["function"]), []).append(k)
    projects = projects.with_columns(
        dup_text=pl.Series(
            [
                dup_text(r, effects, kpi_rows.get((r["body"], r["year"], r["function"]), []), catalogue, lang)
                for r in projects.iter_rows(named=True)
            ],
            dtype=pl.String,
        )
    ).drop("pass_through_why", "governs", "delegation_why", "regional_law")
    return Plans(projects, tplans.projection(projects, config["adoption"]), kpis)


def _kpis(projects: pl.DataFrame, catalogue: PlanCatalogue, lang: str) -> pl.DataFrame:
    """Field indicators first (output, outcome; baseline unknown until the body gives it), financial ratios beside
    them."""
    rows = []
    by_field: dict[str, list[dict]] = {}
    for kpi in catalogue.csv("field_kpis.csv").iter_rows(named=True):
        by_field.setdefault(kpi["field"], []).append(kpi)
    financial_rows = list(catalogue.csv("kpis.csv").iter_rows(named=True))
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
