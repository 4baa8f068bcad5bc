"""The stages that write outputs, a body, year and phase at a time, from the tables the other stages stored: the Excel
workbook with the DUP document beside it (``stage_reports``) and the dashboard pages with their index
(``stage_dashboards``). The warnings of the files in use go into the workbook (``upload_warnings``)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from dashboards import pages
from dashboards.charts import matrix_chart, to_png
from dashboards.dup_document import period, stem, write_dup
from dashboards.words import date_time
from dashboards.workbook import ReportInputs, write_report
from pipelines.changes import changes_since_previous
from pipelines.dup import dup_inputs
from pipelines.dup import forecasts as forecast_resources
from pipelines.output_workers import render_each
from pipelines.reconciliation import difference_findings, reconciliation_config
from pipelines.stages import KEY
from sources import receipts, replacement
from sources.catalogues import classification_config
from sources.findings import Finding
from sources.plan_catalogue import field_catalogue, labelled_modes, plan_catalogue, plan_config, plan_csv, strategy_csv
from sources.portfolio_catalogue import portfolio_config
from sources.reference import body_name
from sources.scenarios import catalogue_versions, scenarios
from transforms.plan_rules import for_region
from transforms.strategy import merge_catalogue, strategic_analysis
from warehouse import store as warehouse


def upload_warnings(uploads: pl.DataFrame, settings=None, lang: str = "it") -> list[dict]:
    """The warnings of the files in use, as received (archive sidecars), and, for a file that replaced another making
    the data worse, who confirmed it and why it was held (the register): never silently worse, downstream either."""
    found = _confirmed_replacements(uploads, settings, lang) if settings is not None else []
    for path in uploads["archive_path"].unique().to_list():
        sidecar = Path(path + ".json")
        if sidecar.exists():
            for record in json.loads(sidecar.read_text(encoding="utf-8")):
                found += record.get("warnings", [])
    return found


def _confirmed_replacements(uploads: pl.DataFrame, settings, lang: str) -> list[dict]:
    found = []
    for seq in uploads["receipt_seq"].drop_nulls().unique().sort().to_list():
        receipt = receipts.get(settings, int(seq))
        if receipt is None or not receipt.worse or not receipt.confirmed_by:
            continue
        for view in replacement.held_view(receipt.comparisons, lang):
            found.append(
                Finding(
                    "REPLACEMENT_CONFIRMED",
                    file=receipt.original_name,
                    params={
                        "previous": view["previous_name"],
                        "reasons": "; ".join(view["reasons"]),
                        "who": receipt.confirmed_by,
                        "when": date_time(receipt.confirmed_at, lang),
                    },
                ).to_dict(lang)
            )
    return found


def _by_key(frame: pl.DataFrame, keys: list[str] | None = None) -> dict:
    """Rows grouped by (body, year, phase) — or other ``keys`` — once, instead of a filter per workbook."""
    keys = keys or ["body", "year", "phase"]
    if frame.is_empty() or not set(keys) <= set(frame.columns):
        return {}
    return frame.partition_by(keys, as_dict=True)


def stage_reports(
    con, keys: pl.DataFrame, settings, output=None, lang: str = "it", phase: str | None = None, manifest=None
) -> list:
    """One workbook per body, year and phase of ``keys``, from the tables the other stages wrote, and beside it the DUP
    as a Word document (``dashboards.dup_document``: the same tables, the chart drawn once for both, the three forecast
    years of the forecast that opens the DUP's period, the responsible units the body named)."""
    output = Path(output or settings.outputs_dir / "reports")
    tables = {
        name: warehouse.read_table(con, name, keys)
        for name in (
            "ruffini_matrix",
            "body_metrics",
            "portfolio",
            "plans",
            "plan_projection",
            "plan_kpis",
            "bdap_reconciliation",
            "execution_indicators",
            "indicator_peers",
        )
    }
    rated = _by_key(warehouse.read_table(con, "coassessment", keys), ["body", "year"])
    comparison = warehouse.read_table(con, "scenario_comparison", keys.select("year").unique())
    per_function = warehouse.read_table(con, "scenario_functions", keys.select("year").unique())
    per_function = _by_key(per_function.join(keys, on=KEY, how="semi") if per_function.width else per_function)
    forecasts = (
        warehouse.read_table(con, "ruffini_matrix", keys.select("body").unique(), ["body", "year", "phase"])
        .unique()
        .filter(pl.col("phase") == "previsione")
    )
    scenario_parameters = warehouse.read_table(con, "scenario_parameters")
    peer_groups = _by_key(warehouse.read_table(con, "peer_groups", keys.select("year").unique()))
    by_mission = _by_key(warehouse.read_table(con, "mission_movement", keys))
    uploads = warehouse.uploads(con)
    actors = strategy_csv("actors.csv")
    logic_names = plan_csv("response_logics.csv")
    versions = catalogue_versions()
    parameters = {
        "classificazione": classification_config(),
        "portafoglio": portfolio_config(),
        "piano": plan_config(),
        "scenari": {r["scenario"]: json.loads(r["parameters"]) for r in scenario_parameters.iter_rows(named=True)}
        if scenario_parameters.width
        else {},
    }
    combos = tables["ruffini_matrix"].select("body", "year", "phase").unique().sort("body", "year", "phase")
    if phase:
        combos = combos.filter(pl.col("phase") == phase)
    groups = {name: _by_key(frame) for name, frame in {**tables, "scenario_comparison": comparison}.items()}
    kpis_by = _by_key(tables["plan_kpis"], ["body", "year"])
    changed = changes_since_previous(con, keys, lang)
    open_data = {(b, y, p): files for b, y, p, files in warehouse.open_data_partitions(con, keys).rows()}
    dup_years = forecast_resources(con, [(b, period(y, p)[0]) for b, y, p in combos.rows()])

    shared = {
        "groups": groups,
        "tables": {name: frame.clear() for name, frame in tables.items()},
        "comparison": comparison,
        "settings": settings,
        "actors": actors,
        "uploads": uploads,
        "parameters": parameters,
        "lang": lang,
        "kpis_by": kpis_by,
        "versions": versions,
        "logic_names": logic_names,
        "changed": changed,
        "manifest": manifest,
        "open_data": open_data,
        "rated": rated,
        "per_function": per_function,
        "peer_groups": peer_groups,
        "by_mission": by_mission,
        "forecasts": forecasts,
        "output": output,
        "dup_years": dup_years,
    }
    return render_each(_report_files, shared, combos.rows())


def stage_dashboards(
    con, keys: pl.DataFrame, settings, lang: str = "it", export: bool = False, manifest=None, folder=None
) -> list:
    """One HTML page per body, year and phase of ``keys``, the index of every page, and the Vega bundle beside them."""
    folder = Path(folder or settings.outputs_dir / "dashboards")
    pages.write_bundle(folder)
    matrix = warehouse.read_table(con, "ruffini_matrix", keys)
    ranked = warehouse.read_table(con, "portfolio", keys)
    moved = warehouse.read_table(con, "matrix_movement", keys)
    by_mission = _by_key(warehouse.read_table(con, "mission_movement", keys))
    peer_groups = _by_key(warehouse.read_table(con, "peer_groups", keys.select("year").unique()))
    compared = _by_key(warehouse.read_table(con, "bdap_reconciliation", keys))
    indicators = _by_key(warehouse.read_table(con, "execution_indicators", keys))
    standing = _by_key(warehouse.read_table(con, "indicator_peers", keys))
    rated = _by_key(warehouse.read_table(con, "coassessment", keys), ["body", "year"])
    changed = changes_since_previous(con, keys, lang)
    open_data = {(b, y, p): files for b, y, p, files in warehouse.open_data_partitions(con, keys).rows()}
    config = classification_config()
    weights = portfolio_config()["weights"]
    by_matrix, by_ranked = _by_key(matrix), _by_key(ranked)
    combos = matrix.select("body", "year", "phase").unique().sort("body", "year", "phase").rows()
    shared = {
        "by_matrix": by_matrix,
        "by_ranked": by_ranked,
        "unranked": ranked.clear()  # a body without priorities: the table's columns, or the peer median alone
        if ranked.height
        else pl.DataFrame({"peer_median_eur": []}, schema={"peer_median_eur": pl.Float64}),
        "by_moved": _by_key(moved) if moved.height else None,  # None: no movement stored at all
        "unmoved": moved.clear(),
        "lang": lang,
        "config": config,
        "weights": weights,
        "rated": rated,
        "changed": changed,
        "compared": compared,
        "manifest": manifest,
        "open_data": open_data,
        "by_mission": by_mission,
        "peer_groups": peer_groups,
        "indicators": indicators,
        "standing": standing,
        "folder": folder,
        "export": export,
    }
    written = render_each(_page_files, shared, combos)
    suffix = "" if lang == "it" else f"_{lang}"
    index = [
        (r.name, body_name(r.name.split("_")[0]))
        for r in sorted(folder.glob("*.html"))
        if not r.name.startswith("index") and (r.stem.endswith(suffix) if suffix else r.stem.count("_") == 2)
    ]
    overview = warehouse.read_table(con, "national_overview")
    (folder / f"index{suffix}.html").write_text(
        pages.index_page(index, overview, lang, manifest.id if manifest else None), encoding="utf-8"
    )
    return written


def _report_files(s: dict, combo: tuple) -> list[Path]:
    """One body's workbook and DUP document from the state ``stage_reports`` read (in a worker when there are
    many: ``pipelines.output_workers``)."""
    groups, tables, comparison, settings, actors, uploads = (
        s[k] for k in ("groups", "tables", "comparison", "settings", "actors", "uploads")
    )
    parameters, lang, kpis_by, versions, logic_names, changed = (
        s[k] for k in ("parameters", "lang", "kpis_by", "versions", "logic_names", "changed")
    )
    manifest, open_data, rated, per_function, peer_groups, by_mission = (
        s[k] for k in ("manifest", "open_data", "rated", "per_function", "peer_groups", "by_mission")
    )
    forecasts, output, dup_years = (s[k] for k in ("forecasts", "output", "dup_years"))
    b, y, p = combo

    def pick(name: str) -> pl.DataFrame:
        frame = groups[name].get(combo)
        return frame if frame is not None else tables.get(name, comparison).clear()

    ranked = pick("portfolio")
    functions = pick("ruffini_matrix")
    functions = (
        functions.join(ranked.select("function", "tier"), on="function", how="left")
        if ranked.height
        else functions.with_columns(tier=pl.lit(None, pl.Int8))
    )
    body_file = settings.home / "strategy" / f"{b}.csv"
    catalogue = for_region(
        merge_catalogue(actors, pl.read_csv(body_file, infer_schema=False) if body_file.exists() else None),
        plan_catalogue().regional_laws(b),
        ("delivery_mode_it", "delivery_mode_en"),
    )
    own_uploads = uploads.filter(pl.col("body") == b, pl.col("year") == y, pl.col("phase") == p)
    has_points = functions["quadrant"].is_not_null().any()
    chart = (
        to_png(matrix_chart(functions, parameters["classificazione"]["thresholds"], lang), lang=lang)
        if has_points
        else None
    )
    inputs = ReportInputs(
        body=b,
        year=y,
        phase=p,
        functions=functions,
        body_figures=pick("body_metrics").row(0, named=True),
        ranked=ranked,
        projects=pick("plans"),
        projection=pick("plan_projection"),
        kpis=kpis_by.get((b, y), tables["plan_kpis"].clear()),
        scenarios=groups["scenario_comparison"].get(combo, comparison.clear()),
        uploads=own_uploads,
        strategy=strategic_analysis(functions, catalogue, field_catalogue(), labelled_modes(lang), lang),
        findings=upload_warnings(own_uploads.filter(pl.col("status") == "current"), settings, lang)
        + difference_findings(pick("bdap_reconciliation"), lang),
        parameters=parameters,
        catalogue_versions=versions,
        lang=lang,
        logic_names=logic_names,
        scenario_labels={s["name"]: s.get(f"label_{lang}", s["name"]) for s in scenarios()},
        changes=changed.get(combo),
        manifest_id=manifest.id if manifest else None,
        as_of=manifest.as_of if manifest else None,
        open_data=open_data.get(combo),
        ratings=rated.get((b, y)),
        scenario_functions=per_function.get(combo),
        peer_group=peer_groups.get(combo),
        mission_moves=by_mission.get(combo),
        indicators=pick("execution_indicators"),
        indicator_peers=pick("indicator_peers"),
        next_forecast=f"{b}_{y + 1}_previsione{'' if lang == 'it' else '_' + lang}.xlsx"
        if forecasts.filter(pl.col("body") == b, pl.col("year") == y + 1).height
        else None,
        chart_png=chart,
    )
    name = stem(b, y, p, lang)
    workbook = write_report(inputs, output / f"{name}.xlsx")
    document = dup_inputs(
        b,
        y,
        p,
        lang,
        settings.home,
        functions=functions,
        ranked=ranked,
        plans=inputs.projects,
        kpis=inputs.kpis,
        body_figures=inputs.body_figures,
        forecast=dup_years,
        chart_png=chart,
        workbook=workbook.name,
        manifest=manifest,
        open_data=open_data.get(combo),
    )
    return [workbook, write_dup(document, output / f"{name}.docx")]


def _page_files(s: dict, combo: tuple) -> list[Path]:
    """One body's page (and its charts when exported) from the state ``stage_dashboards`` read (in a worker when
    there are many: ``pipelines.output_workers``)."""
    by_matrix, by_ranked, unranked, by_moved, lang, config = (
        s[k] for k in ("by_matrix", "by_ranked", "unranked", "by_moved", "lang", "config")
    )
    weights, rated, changed, compared, manifest, open_data = (
        s[k] for k in ("weights", "rated", "changed", "compared", "manifest", "open_data")
    )
    by_mission, peer_groups, indicators, standing, folder, export = (
        s[k] for k in ("by_mission", "peer_groups", "indicators", "standing", "folder", "export")
    )
    b, y, p = combo
    functions = by_matrix[combo]
    own = by_ranked.get(combo, unranked)
    functions = (
        functions.join(own.select("function", "tier"), on="function", how="left")
        if own.height
        else functions.with_columns(tier=pl.lit(None, pl.Int8))
    )
    arrows = pl.DataFrame()
    if by_moved is not None:  # each function from its previous classified year (core.matrix_movement) to this one
        arrows = (
            functions.filter(pl.col("quadrant").is_not_null())
            .join(
                by_moved.get(combo, s["unmoved"]).select("function", "shift_spending", "shift_authority"),
                on="function",
            )
            .with_columns(
                transfer_before=pl.col("transfer_share") - pl.col("shift_spending"),
                authority_before=pl.col("authority") - pl.col("shift_authority"),
            )
        )
    stem = f"{b}_{y}_{p}{'' if lang == 'it' else '_' + lang}"
    parameters = {
        "thresholds": config["thresholds"],
        "borderline_margin": config["borderline_margin"],
        "amount_basis": config["amount_basis"],
        "weights": weights,
    }
    charts = pages.body_charts(functions, own, arrows, weights, parameters, lang)
    path = folder / f"{stem}.html"
    tables = [
        pages.ratings_section(rated.get((b, y)), functions, lang),
        pages.changes_section(changed.get(combo), lang),
        pages.reconciliation_section(compared.get(combo), reconciliation_config()["tolerance"], lang),
    ]
    path.write_text(
        pages.body_page(
            functions,
            own,
            arrows,
            weights,
            parameters,
            b,
            y,
            p,
            lang,
            charts,
            tables,
            manifest.id if manifest else None,
            open_data.get(combo),
            by_mission.get(combo),
            peer_groups.get(combo),
            indicators.get(combo),
            standing.get(combo),
        ),
        encoding="utf-8",
    )
    return [path, *(pages.export_charts(charts, folder / "charts", stem, lang) if export else [])]
