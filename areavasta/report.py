"""From the warehouse to the analyses and the Excel reports: classification → portfolio → plans → scenarios → workbooks.

Scenarios are data (``data/scenarios/*.yaml``): each changes thresholds, weights, plan tiers,
adoption or the expected-effect scale, is run end to end, and is saved with its parameters.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import polars as pl
import yaml

from areavasta import warehouse
from areavasta.catalogues import classification_config
from areavasta.classification import run_classification
from areavasta.plans import build_plans, plan_config
from areavasta.portfolio import portfolio_config, run_portfolio
from areavasta.reference import DATA_DIR
from transforms.strategy import merge_catalogue, strategic_analysis

SCENARIO_DIR = DATA_DIR / "scenarios"
STRATEGY_FILE = DATA_DIR / "strategy" / "actors.csv"


def scenarios() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SCENARIO_DIR.glob("*.yaml"))]


def run_scenario(lines: pl.DataFrame, overrides: pl.DataFrame, changes: dict, confirmed: pl.DataFrame | None = None) -> dict:
    """Classification, portfolio and plans with a scenario's changes; returns the pieces and its parameters."""
    c_config = copy.deepcopy(classification_config())
    p_config = copy.deepcopy(portfolio_config())
    plan = copy.deepcopy(plan_config())
    c_config["thresholds"].update(changes.get("thresholds", {}))
    weights = {**p_config["weights"], **changes.get("weights", {})}
    for key in ("plan_tiers", "adoption"):
        if key in changes:
            plan[key] = changes[key]
    classification = run_classification(lines, overrides, c_config)
    portfolio = run_portfolio(classification.functions, p_config, confirmed=confirmed, weights=weights)
    plans = build_plans(portfolio.ranked, plan, effect_scale=changes.get("effect_scale", 1.0),
                        logic_scale=changes.get("effect_scale_by_logic", {}))
    parameters = {"thresholds": c_config["thresholds"], "weights": weights, "plan_tiers": plan["plan_tiers"],
                  "adoption": plan["adoption"], "effect_scale": changes.get("effect_scale", 1.0),
                  "effect_scale_by_logic": changes.get("effect_scale_by_logic", {})}
    return {"classification": classification, "portfolio": portfolio, "plans": plans, "parameters": parameters}


def scenario_comparison(runs: dict[str, dict]) -> pl.DataFrame:
    """Per body, year, phase and projected year: spending of the plan's functions, baseline and each scenario."""
    frames = []
    for name, run in runs.items():
        proj = run["plans"].projection
        if name == "piano":
            frames.append(proj.group_by("body", "year", "phase", "projected_year").agg(total_cents=pl.col("baseline_cents").sum())
                          .with_columns(scenario=pl.lit("base")))
        frames.append(proj.group_by("body", "year", "phase", "projected_year").agg(total_cents=pl.col("with_plan_cents").sum())
                      .with_columns(scenario=pl.lit(name)))
    return pl.concat(frames, how="diagonal_relaxed").sort("body", "year", "phase", "scenario", "projected_year")


def catalogue_versions() -> dict[str, str]:
    files = sorted(p for p in DATA_DIR.rglob("*") if p.is_file() and p.suffix in {".csv", ".yaml", ".txt"})
    return {str(p.relative_to(DATA_DIR)): hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in files}


def _warnings(uploads: pl.DataFrame) -> list[dict]:
    found = []
    for path in uploads["archive_path"].unique().to_list():
        sidecar = Path(path + ".json")
        if sidecar.exists():
            for record in json.loads(sidecar.read_text(encoding="utf-8")):
                found += record.get("warnings", [])
    return found


def write_reports(settings, output: Path | None = None, body: str | None = None, year: int | None = None,
                  phase: str | None = None, lang: str = "it") -> list[Path]:
    """One workbook per body, year and phase in the warehouse (or the selection); scenarios saved beside."""
    from dashboards.charts import matrix_chart, to_png
    from dashboards.workbook import ReportInputs, write_report

    output = output or settings.outputs_dir / "reports"
    with warehouse.connect(settings.warehouse_path) as con:
        lines = warehouse.budget_lines(con)
        overrides = warehouse.authority_overrides(con)
        uploads = warehouse.uploads(con)
    confirmed_file = settings.home / "confirmed_outliers.csv"  # body,function: values checked and confirmed by a person
    confirmed = pl.read_csv(confirmed_file, infer_schema=False) if confirmed_file.exists() else None
    runs = {s["name"]: run_scenario(lines, overrides, s.get("changes") or {}, confirmed) for s in scenarios()}
    actors = pl.read_csv(STRATEGY_FILE, infer_schema=False)
    for name, run in runs.items():
        folder = settings.outputs_dir / "scenarios"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.json").write_text(json.dumps(run["parameters"], indent=2), encoding="utf-8")
        run["plans"].projection.write_csv(folder / f"{name}_projection.csv")
    comparison = scenario_comparison(runs)
    main = runs["piano"]
    functions = main["classification"].functions
    keys = functions.select("body", "year", "phase").unique().sort("body", "year", "phase")
    if body:
        keys = keys.filter(pl.col("body") == body)
    if year:
        keys = keys.filter(pl.col("year") == year)
    if phase:
        keys = keys.filter(pl.col("phase") == phase)
    versions = catalogue_versions()
    written = []
    for b, y, p in keys.iter_rows():
        def pick(frame: pl.DataFrame) -> pl.DataFrame:
            return frame.filter(pl.col("body") == b, pl.col("year") == y, pl.col("phase") == p)

        ranked = pick(main["portfolio"].ranked)
        body_file = settings.home / "strategy" / f"{b}.csv"  # a body's own actors replace the defaults
        catalogue = merge_catalogue(actors, pl.read_csv(body_file, infer_schema=False) if body_file.exists() else None)
        classified = pick(functions).join(ranked.select("function", "tier"), on="function", how="left")
        own_uploads = uploads.filter(pl.col("body") == b, pl.col("year") == y, pl.col("phase") == p)
        inputs = ReportInputs(
            body=b, year=y, phase=p, functions=classified, body_figures=pick(main["classification"].bodies).row(0, named=True),
            ranked=ranked, projects=pick(main["plans"].projects), projection=pick(main["plans"].projection),
            kpis=main["plans"].kpis.filter(pl.col("body") == b, pl.col("year") == y), phases=main["plans"].phases,
            risks=main["plans"].risks, scenarios=pick(comparison), uploads=own_uploads,
            strategy=strategic_analysis(pick(functions), catalogue),
            findings=_warnings(own_uploads.filter(pl.col("status") == "current")),
            parameters={"classificazione": main["classification"].parameters, "portafoglio": main["portfolio"].parameters,
                        "piano": plan_config(), "scenari": {n: r["parameters"] for n, r in runs.items()}},
            catalogue_versions=versions, lang=lang,
            logic_names=pl.read_csv(DATA_DIR / "plans" / "response_logics.csv", infer_schema=False),
            chart_png=to_png(matrix_chart(classified, main["classification"].parameters["thresholds"], lang)) if classified["quadrant"].is_not_null().any() else None,
        )
        written.append(write_report(inputs, output / f"{b}_{y}_{p}{'' if lang == 'it' else '_' + lang}.xlsx"))
    return written

