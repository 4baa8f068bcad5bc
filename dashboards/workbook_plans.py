"""The workbook's plan sheets: Piano di riassetto and Scenari."""

from __future__ import annotations

import re

import polars as pl

from dashboards.cell_text import wrapped_lines
from dashboards.words import (
    named,
)
from dashboards.workbook_sheet import Sheet, page_heading
from transforms.figures import range_words
from transforms.plan_parts import PARTS

PLAN_WIDTHS = (32, 76)  # labels, texts: together a landscape page at 100 %
ROW_LINES = 26  # lines of a row at most (409 points)


def plan_sheet(workbook, fmt, inputs):
    t, lang = inputs.t, inputs.lang
    s = Sheet(workbook, t("plan"), fmt, PLAN_WIDTHS, inputs, fixed=(0, 1))
    s.title(t("plan_title"), page_heading(inputs))
    names = (
        dict(zip(inputs.logic_names["code"], inputs.logic_names[f"name_{lang}"]))
        if inputs.logic_names is not None
        else {}
    )
    labels, kinds = t("plan_rows"), t("plan_kinds")
    for p in inputs.projects.iter_rows(named=True):
        if lang != "it":  # the plan's parts in the report's language (stored in both)
            p = {**p, **{k: p[f"{k}_{lang}"] for k in PARTS if p.get(f"{k}_{lang}") is not None}}
        s.note(f"{p['function']} {p.get('name') or ''}", "bold")  # across both columns: never over the next label
        develop = p.get("plan_kind", "development") == "development"
        rows = [
            (labels[12], kinds.get(p.get("plan_kind") or "development", "")),
            (labels[13], p.get("coproduction_why")),
            (labels[14], p.get("actors")),
            (labels[4], p.get("instruments")),
            (labels[6], p.get("phases_text")),
            (labels[7], p.get("risks_text")),
        ]
        if develop:
            rows[2:2] = [
                (labels[0], p.get("current_position")),
                (labels[1], p.get("target_position")),
                (labels[2], ", ".join(names.get(x, x) for x in p["logics"]) + f" ({p.get('logic_reasons') or ''})"),
                (labels[3], p.get("coproduction_types")),
                (labels[5], p.get("cases")),
            ]
        if p.get("coarse"):  # a mission total: a direction, no euro (first step: programme detail, in the phases)
            rows += [(labels[15], p.get("direction"))] + ([(labels[9], t("mission_effect"))] if develop else [])
        for name, text in rows:
            s.line((name, "label"), text or "")
        if develop and not p.get("coarse"):
            s.line((labels[8], "label"), (round(p["kick_start_cents"], -5), "euro"), style="left")  # to 1,000 €
            s.line((labels[9], "label"), range_words(p["effect_low_cents"], p["effect_high_cents"], lang))
        for k in inputs.kpis.filter(pl.col("function") == p["function"]).iter_rows(named=True):
            name = f"{labels[10]}: {k.get(f'label_{lang}') or k['label']} ({k.get('unit') or ''})"
            if k["baseline"] is None:
                needed = k.get(f"data_needed_{lang}") or k.get("data_needed") or ""
                s.line((name, "label"), f"{t('kpi_unknown')} ({needed})")
            else:
                s.line((name, "label"), (k["baseline"], "num" if k["format"] == "eur" else "pct"), style="left")
        paragraphs = [x for x in p["dup_text"].split("\n\n") if x.strip()]
        for i, paragraph in enumerate(chunk for x in paragraphs for chunk in row_sized(x, PLAN_WIDTHS[1])):
            s.line((labels[11] if i == 0 else "", "label"), paragraph)  # one row each: rows stop at 409 points
        s.row += 1


def row_sized(paragraph: str, width: float) -> list[str]:
    """``paragraph`` in pieces that each fit a row (409 points) of a column ``width`` wide, cut between sentences."""
    if wrapped_lines(paragraph, width) <= ROW_LINES:
        return [paragraph]
    pieces, current = [], ""
    for sentence in re.split(r"(?<=[.;:])\s+", paragraph):
        joined = f"{current} {sentence}".strip()
        if current and wrapped_lines(joined, width) > ROW_LINES:
            pieces.append(current)
            joined = sentence
        current = joined
    return [*pieces, current]


def scenarios_sheet(workbook, fmt, inputs):
    """Side by side: one column per scenario, one row per projected year, every one over the same functions; then each
    scenario's difference from the Base, function by function (parameters in the Metodo sheet)."""
    if "scenario" not in inputs.scenarios.columns:  # the year's scenarios not computed yet (a first upload's fast run)
        s = Sheet(workbook, inputs.t("scenarios"), fmt, [110], inputs)
        s.title(inputs.t("scenarios_title"), inputs.t("scenarios_pending"))
        return
    t = inputs.t
    names = ["base", *sorted(n for n in inputs.scenarios["scenario"].unique().to_list() if n != "base")]
    s = Sheet(workbook, t("scenarios"), fmt, [12, 30] + [20] * len(names), inputs)
    s.title(t("scenarios_title"), t("scenarios_subtitle"))
    if inputs.phase == "rendiconto":  # a closed year: what the plans would have changed
        s.note(
            t("scenarios_ex_post").format(year=inputs.year, next=inputs.year + 1)
            + " "
            + (
                t("scenarios_next_forecast").format(next=inputs.year + 1, file=inputs.next_forecast)
                if inputs.next_forecast
                else t("scenarios_no_forecast").format(next=inputs.year + 1)
            ),
            style="wrap",
        )
    functions = inputs.scenarios["functions"].max() if "functions" in inputs.scenarios.columns else None
    if functions:
        s.note(t("scenarios_same_set").format(n=functions), style="wrap")
    s.row += 1
    labels = [t("baseline") if n == "base" else inputs.scenario_labels.get(n, n) for n in names]
    s.header(t("year"), t("functions_compared"), *labels)
    wide = inputs.scenarios.pivot(on="scenario", index="projected_year", values="total_cents").sort("projected_year")
    for r in wide.iter_rows(named=True):
        s.line(
            (r["projected_year"], "int"), (functions, "int") if functions else "", *[(r.get(n), "euro") for n in names]
        )
    per_function = inputs.scenario_functions
    if per_function is None or per_function.is_empty():
        return
    last = per_function["projected_year"].max()
    s.row += 1
    s.note(t("scenarios_by_function").format(year=last))
    s.header(t("code"), t("function_word"), *labels)
    rows = {r["function"]: r for r in inputs.functions.iter_rows(named=True)}
    at_end = per_function.filter(pl.col("projected_year") == last)
    base = dict(at_end.select("function", "baseline_cents").unique("function").iter_rows())
    for function in sorted(base):
        row_of = rows.get(function, {"function": function})
        cells = [function, named(row_of, inputs.lang), (base[function], "euro")]
        for name in names[1:]:
            row = at_end.filter(pl.col("scenario") == name, pl.col("function") == function)
            if not (row.height and row["in_plan"][0]):
                cells.append(t("not_in_plan"))
            elif row_of.get("coarse"):  # a mission total: the plan has a direction, no euro effect
                cells.append(t("effect_by_mission"))
            else:
                cells.append((row["with_plan_cents"][0] - base[function], "euro"))
        s.line(*cells)
    s.note(t("scenarios_difference_note"), style="wrap")
