"""What the DUP document needs beyond the workbook's tables: the resources of the three forecast years, each plan's
phases in rows, the pilot of its field, and the units the body named (``dashboards.dup_document`` writes it).

The three years are the appropriations of the forecast that opens the DUP's period (``dup_document.yaml`` ›
``first_year``): ``stanziamento``, ``stanziamento_anno_2``, ``stanziamento_anno_3`` of its titles 1 and 2, from the
uploaded budget lines, or from the national open data (BDAP) where nobody uploaded that forecast.
"""

from __future__ import annotations

from string import Template

import polars as pl

from dashboards.dup_inputs import DupInputs, period
from dashboards.dup_inputs import words as dup_words
from pipelines.plan_catalogue import _csv, field_catalogue, mission_words, plan_kinds
from sources.dup_units import UnitsError, read_units, units_file
from warehouse import store as warehouse

FORECAST_KINDS = {"stanziamento": 0, "stanziamento_anno_2": 1, "stanziamento_anno_3": 2}
LINE_COLUMNS = ["body", "year", "phase", "missione", "programma", "titolo", "amount_kind", "amount_cents"]


def forecasts(con, pairs: list[tuple[str, int]]) -> pl.DataFrame:
    """Per (body, forecast year): the appropriations of its three years by function (programme, and mission for bodies
    analysed by mission) and title. Columns ``body, year, function, offset (0-2), titolo, cents``; empty when none."""
    schema = {
        "body": pl.String,
        "year": pl.Int32,
        "function": pl.String,
        "offset": pl.Int32,
        "titolo": pl.String,
        "cents": pl.Int64,
    }
    if not pairs:
        return pl.DataFrame(schema=schema)
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
    if own.is_empty():
        return pl.DataFrame(schema=schema)
    lines = own.with_columns(offset=pl.col("amount_kind").replace_strict(FORECAST_KINDS, return_dtype=pl.Int32))
    by = ["body", "year", "function", "offset", "titolo"]
    programmes = (
        lines.filter(pl.col("programma").is_not_null())
        .rename({"programma": "function"})
        .group_by(by)
        .agg(cents=pl.col("amount_cents").sum())
    )
    by_mission = (
        lines.rename({"missione": "_m"})
        .with_columns(function=pl.col("_m"))
        .group_by(by)
        .agg(cents=pl.col("amount_cents").sum())
    )
    return pl.concat([programmes, by_mission]).select(list(schema)).cast(schema).sort(by)


def phase_rows(plan: dict, lang: str, words: dict) -> list[tuple[str, str, str, str]]:
    """The plan's phases (development) or steps (other kinds) as rows: (phase, months, who, activity) in ``lang``; who
    leads a phase is known for a development project's phases (``phases.csv`` › ``owner``), empty otherwise.

    The same catalogues as the plan's text (``phases.csv``, the kind's ``*_steps.csv``, ``mission_level.yaml``), with
    the instruments named once, in the co-production form, instead of in the phase again."""
    kind = plan["plan_kind"]
    months = words["months"]
    first = mission_words()["first_step"]
    opening = [
        (
            first[f"label_{lang}"],
            months.format(a=first["months_from"], b=first["months_to"]),
            "",
            first[f"description_{lang}"],
        )
    ]
    if kind == "split":
        return opening
    rows = []
    if kind == "development":
        pilot = pilot_of(plan, lang)
        for p in _csv("phases.csv").iter_rows(named=True):
            activity = Template(p[f"description_{lang}"]).safe_substitute(
                pilot=pilot, instruments=words["instruments_ref"]
            )
            rows.append(
                (p[f"label_{lang}"], months.format(a=p["months_from"], b=p["months_to"]), p[f"owner_{lang}"], activity)
            )
    else:
        allowed = plan.get("coproduction_types" if lang == "it" else "coproduction_types_en") or ""
        for s in _csv(plan_kinds()[kind]["steps"]).iter_rows(named=True):
            if s.get("when", "always") == "coproduction" and not allowed:
                continue
            rows.append(
                (
                    s[f"label_{lang}"],
                    months.format(a=s["months_from"], b=s["months_to"]),
                    "",
                    Template(s[f"description_{lang}"]).safe_substitute(allowed=allowed),
                )
            )
    return opening + rows if plan.get("coarse") else rows


def last_month(plan: dict) -> int:
    """When the plan's last step ends (months from the start)."""
    kind = plan["plan_kind"]
    name = "phases.csv" if kind == "development" else plan_kinds()[kind]["steps"]
    return (
        max(int(s["months_to"]) for s in _csv(name).iter_rows(named=True))
        if name
        else int(mission_words()["first_step"]["months_to"])
    )


def positions_of(plan: dict, lang: str) -> tuple[str, str]:
    """Where the service stands on Bovaird's grid today and where the plan takes it, in ``lang`` (the plan stores its own)."""
    grid = {
        (r["planners"], r["deliverers"]): r[f"label_{lang}"] for r in _csv("bovaird_grid.csv").iter_rows(named=True)
    }
    return (
        grid.get((plan.get("current_planners"), plan.get("current_deliverers"))) or plan.get("current_position") or "",
        grid.get((plan.get("target_planners"), plan.get("target_deliverers"))) or plan.get("target_position") or "",
    )


def pilot_of(plan: dict, lang: str) -> str:
    fields = {r["field"]: r for r in field_catalogue().iter_rows(named=True)}
    return (fields.get(plan.get("field") or "") or {}).get(f"pilot_{lang}") or ""


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
        phases={p["function"]: phase_rows(p, lang, words) for p in rows},
        last_months={p["function"]: last_month(p) for p in rows},
        pilots={p["function"]: pilot_of(p, lang) for p in rows},
        positions={p["function"]: positions_of(p, lang) for p in rows},
        workbook=workbook,
        manifest_id=manifest.id if manifest else None,
        as_of=manifest.as_of if manifest else None,
        open_data=open_data,
    )
