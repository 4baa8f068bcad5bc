"""What the DUP document needs beyond the workbook's tables, gathered for ``dashboards.dup_document``: the resources of
the three forecast years, each plan's phases in rows, the pilot of its field, and the units the body named.

The three years are the appropriations of the forecast that opens the DUP's period (``dup_document.yaml`` ›
``first_year``): ``stanziamento``, ``stanziamento_anno_2``, ``stanziamento_anno_3`` of its titles 1 and 2, from the
uploaded budget lines, or from the national open data (BDAP) where nobody uploaded that forecast. What is computed of
them and of each plan is ``transforms.dup_plans``.
"""

from __future__ import annotations

import polars as pl

from dashboards.dup_inputs import DupInputs, period
from dashboards.dup_inputs import words as dup_words
from sources.dup_units import UnitsError, read_units, units_file
from sources.plan_catalogue import plan_catalogue
from transforms.dup_plans import (
    FORECAST_KINDS,
    FORECAST_SCHEMA,
    forecast_totals,
    last_month,
    phase_rows,
    pilot_of,
    positions_of,
)
from warehouse import store as warehouse

LINE_COLUMNS = ["body", "year", "phase", "missione", "programma", "titolo", "amount_kind", "amount_cents"]


def forecasts(con, pairs: list[tuple[str, int]]) -> pl.DataFrame:
    """Per (body, forecast year): the appropriations of its three years by function (programme, and mission for bodies
    analysed by mission) and title. Columns ``body, year, function, offset (0-2), titolo, cents``; empty when none."""
    if not pairs:
        return pl.DataFrame(schema=FORECAST_SCHEMA)
    keys = pl.DataFrame(sorted(set(pairs)), schema={"body": pl.String, "year": pl.Int32}, orient="row")
    kinds = ", ".join(f"'{k}'" for k in FORECAST_KINDS)
    where = f"t.phase = 'previsione' AND t.amount_kind IN ({kinds}) AND t.titolo IN ('1', '2')"
    own = warehouse.read_table(con, "budget_lines", keys, LINE_COLUMNS, where)
    national = warehouse.read_table(con, "national_lines", keys, LINE_COLUMNS, where)
    if national.height:  # an upload always wins over the extract
        national = (
            national.join(own.select("body", "year").unique(), on=["body", "year"], how="anti")
            if own.height
            else national
        )
        own = pl.concat([own, national.select(own.columns)]) if own.height else national.select(LINE_COLUMNS)
    return forecast_totals(own)


def dup_inputs(
    body: str,
    year: int,
    phase: str,
    lang: str,
    home,
    *,
    functions: pl.DataFrame,
    ranked: pl.DataFrame,
    plans: pl.DataFrame,
    kpis: pl.DataFrame,
    body_figures: dict,
    forecast: pl.DataFrame,
    chart_png: bytes | None,
    workbook: str,
    manifest=None,
    open_data: str | None = None,
) -> DupInputs:
    """Everything ``dashboards.dup_document.write_dup`` needs for one body, year and phase."""
    words = dup_words(lang)
    first, _ = period(year, phase)
    own = forecast.filter(pl.col("body") == body, pl.col("year") == first) if forecast.height else forecast
    try:
        units, units_problem = read_units(home, body), None
    except UnitsError as refused:
        units, units_problem = {}, refused.message(lang)
    rows = list(plans.sort("function").iter_rows(named=True)) if plans.height else []
    catalogue = plan_catalogue()
    return DupInputs(
        body=body,
        year=year,
        phase=phase,
        lang=lang,
        functions=functions,
        ranked=ranked,
        plans=rows,
        kpis={f: list(part.iter_rows(named=True)) for (f,), part in kpis.partition_by("function", as_dict=True).items()}
        if kpis.height
        else {},
        body_figures=body_figures,
        forecast=own if own.height else None,
        chart_png=chart_png,
        units=units,
        units_problem=units_problem,
        units_file=units_file(home, body).name if home else f"{body}.csv",
        phases={p["function"]: phase_rows(p, lang, words, catalogue) for p in rows},
        last_months={p["function"]: last_month(p, catalogue) for p in rows},
        pilots={p["function"]: pilot_of(p, lang, catalogue) for p in rows},
        positions={p["function"]: positions_of(p, lang, catalogue) for p in rows},
        workbook=workbook,
        manifest_id=manifest.id if manifest else None,
        as_of=manifest.as_of if manifest else None,
        open_data=open_data,
    )
